/**
 * The sample application: agents that think under quotas (Spring AI {@code ChatClient}s over a
 * simulated model, with governed tools), a fan-out endpoint and a dashboard.
 */
@NullMarked
package io.agentcontrolplane.sample;

import org.jspecify.annotations.NullMarked;
