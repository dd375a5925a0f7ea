/**
 * Spring Boot auto-configuration for agent-control-plane.
 */
@NullMarked
package io.agentcontrolplane.autoconfigure;

import org.jspecify.annotations.NullMarked;
