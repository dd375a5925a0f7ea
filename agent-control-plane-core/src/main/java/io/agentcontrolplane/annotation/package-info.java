/**
 * The {@code @BoundedExecution} annotation that puts a method under an agent's quota.
 */
@NullMarked
package io.agentcontrolplane.annotation;

import org.jspecify.annotations.NullMarked;
