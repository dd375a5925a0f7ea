package io.agentcontrolplane.autoconfigure;

import io.agentcontrolplane.quota.PolicyEngine;

/**
 * Callback to customize the {@link PolicyEngine.Builder} of the auto-configured
 * {@link PolicyEngine}, after the {@code agent-control-plane.*} properties were applied. The
 * metrics auto-configuration uses one to turn on hold-time measurement.
 */
@FunctionalInterface
public interface PolicyEngineBuilderCustomizer {

	/**
	 * Customize the builder.
	 * @param builder the builder
	 */
	void customize(PolicyEngine.Builder builder);

}
