package io.agentcontrolplane.autoconfigure.web;

import io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration;
import io.agentcontrolplane.autoconfigure.condition.ConditionalOnEnabledSwitch;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaExceededException;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication;
import org.springframework.boot.autoconfigure.condition.ConditionalOnWebApplication.Type;
import org.springframework.context.annotation.Bean;
import org.springframework.web.reactive.DispatcherHandler;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} that
 * answers a {@link QuotaExceededException} from a Spring WebFlux handler with an RFC 9457 problem body and a status
 * that says whether to retry (403, 429 or 503; see {@link QuotaExceededExceptionHandler}).
 * Turned off with {@code agent-control-plane.web.enabled=false}.
 */
@AutoConfiguration(after = AgentControlPlaneAutoConfiguration.class)
@ConditionalOnWebApplication(type = Type.REACTIVE)
@ConditionalOnClass(DispatcherHandler.class)
@ConditionalOnEnabledSwitch("agent-control-plane.web.enabled")
public final class AgentControlPlaneWebFluxAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	QuotaExceededExceptionHandler quotaExceededExceptionHandler(ObjectProvider<PolicyEngine> policyEngine) {
		return new QuotaExceededExceptionHandler(policyEngine::getIfUnique);
	}

}
