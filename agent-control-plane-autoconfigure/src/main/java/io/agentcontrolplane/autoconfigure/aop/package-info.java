/**
 * The {@code @BoundedExecution} interceptor and its auto-configuration.
 */
@NullMarked
package io.agentcontrolplane.autoconfigure.aop;

import org.jspecify.annotations.NullMarked;
