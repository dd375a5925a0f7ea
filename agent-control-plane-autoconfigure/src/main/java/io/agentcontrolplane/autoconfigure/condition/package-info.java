/**
 * Conditions of the agent-control-plane auto-configurations.
 */
@NullMarked
package io.agentcontrolplane.autoconfigure.condition;

import org.jspecify.annotations.NullMarked;
