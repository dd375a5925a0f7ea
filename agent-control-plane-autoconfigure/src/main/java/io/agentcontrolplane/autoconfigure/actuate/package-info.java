/**
 * Actuator support: the {@code quotas} endpoint that shows and resizes agent quotas live.
 */
@NullMarked
package io.agentcontrolplane.autoconfigure.actuate;

import org.jspecify.annotations.NullMarked;
