/**
 * The sample application: agents that think under quotas, a fan-out endpoint and a dashboard.
 */
@NullMarked
package io.agentcontrolplane.sample;

import org.jspecify.annotations.NullMarked;
