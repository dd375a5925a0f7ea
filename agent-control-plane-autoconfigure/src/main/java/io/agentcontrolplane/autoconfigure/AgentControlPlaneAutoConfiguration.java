package io.agentcontrolplane.autoconfigure;

import io.agentcontrolplane.concurrent.BoundedExecutor;
import io.agentcontrolplane.quota.PolicyEngine;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.thread.Threading;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration
 * Auto-configuration} for agent-control-plane: a
 * {@link PolicyEngine} holding the quotas of {@link AgentControlPlaneProperties} and a
 * {@link BoundedExecutor} on virtual threads when {@code spring.threads.virtual.enabled} is set
 * (Java 21+), else on a cached pool of platform threads; both are stopped when the context
 * closes.
 *
 * @see AgentControlPlaneProperties
 */
@AutoConfiguration
@ConditionalOnBooleanProperty(name = "agent-control-plane.enabled", matchIfMissing = true)
@EnableConfigurationProperties(AgentControlPlaneProperties.class)
public final class AgentControlPlaneAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	PolicyEngine policyEngine(AgentControlPlaneProperties properties) {
		return QuotaPropertiesMapper.policyEngine(properties);
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnMissingBean(BoundedExecutor.class)
	static class BoundedExecutorConfiguration {

		@Bean
		BoundedExecutorThreads agentControlPlaneBoundedExecutorThreads(AgentControlPlaneProperties properties,
				Environment environment) {
			QuotaPropertiesMapper.validate(properties);
			return Threading.VIRTUAL.isActive(environment) ? BoundedExecutorThreads.virtual()
					: BoundedExecutorThreads.platform();
		}

		@Bean
		BoundedExecutor boundedExecutor(BoundedExecutorThreads agentControlPlaneBoundedExecutorThreads,
				PolicyEngine policyEngine) {
			return new BoundedExecutor(agentControlPlaneBoundedExecutorThreads.executor(), policyEngine);
		}

	}

}
