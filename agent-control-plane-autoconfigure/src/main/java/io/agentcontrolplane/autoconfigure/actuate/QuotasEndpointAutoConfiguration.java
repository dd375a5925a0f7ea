package io.agentcontrolplane.autoconfigure.actuate;

import io.agentcontrolplane.autoconfigure.PolicyEngineBuilderCustomizer;
import io.agentcontrolplane.quota.PolicyEngine;

import org.springframework.boot.actuate.autoconfigure.endpoint.condition.ConditionalOnAvailableEndpoint;
import org.springframework.boot.actuate.autoconfigure.endpoint.expose.EndpointExposure;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} for
 * the {@link QuotasEndpoint}.
 */
@AutoConfiguration(afterName = "io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration")
@ConditionalOnClass(Endpoint.class)
@ConditionalOnAvailableEndpoint(QuotasEndpoint.class)
@ConditionalOnBean(PolicyEngine.class)
public final class QuotasEndpointAutoConfiguration {

	/**
	 * The endpoint shows the age of each agent's oldest permit, so the engine tracks permit ages
	 * while it is available (a clock read and a compare-and-set per permit that nothing would
	 * read otherwise). {@code agent-control-plane.track-permit-age} decides when set.
	 */
	@Bean
	static PolicyEngineBuilderCustomizer quotasEndpointPermitAges() {
		return (builder) -> builder.trackPermitAge(true);
	}

	@Bean
	@ConditionalOnMissingBean
	QuotasEndpoint quotasEndpoint(PolicyEngine engine) {
		return new QuotasEndpoint(engine);
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnBean(QuotasEndpoint.class)
	@ConditionalOnAvailableEndpoint(exposure = EndpointExposure.WEB)
	QuotasEndpointWebExtension quotasEndpointWebExtension(QuotasEndpoint quotasEndpoint) {
		return new QuotasEndpointWebExtension(quotasEndpoint);
	}

}
