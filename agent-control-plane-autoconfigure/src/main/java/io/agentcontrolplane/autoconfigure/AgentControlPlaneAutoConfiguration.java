package io.agentcontrolplane.autoconfigure;

import io.agentcontrolplane.autoconfigure.condition.ConditionalOnEnabledSwitch;
import io.agentcontrolplane.concurrent.BoundedExecutor;
import io.agentcontrolplane.quota.PermitStore;
import io.agentcontrolplane.quota.PolicyEngine;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
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
 * closes. The engine keeps its permits in the {@link PermitStore} bean when there is one (see
 * {@code AgentControlPlaneRedisAutoConfiguration}), else in memory.
 *
 * <p>Every name set under {@code agent-control-plane.*} must be a setting: a misspelt key fails
 * start-up (see {@link AgentControlPlaneUnknownPropertyFailureAnalyzer}).
 *
 * @see AgentControlPlaneProperties
 */
@AutoConfiguration
@ConditionalOnEnabledSwitch
@EnableConfigurationProperties(AgentControlPlaneProperties.class)
public final class AgentControlPlaneAutoConfiguration {

	AgentControlPlaneAutoConfiguration(Environment environment) {
		AgentControlPlanePropertyNames.requireKnown(environment);
	}

	@Bean
	@ConditionalOnMissingBean
	PolicyEngine policyEngine(AgentControlPlaneProperties properties, ObjectProvider<PermitStore> permitStore) {
		return QuotaPropertiesMapper.policyEngine(properties, permitStore.getIfUnique());
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
				PolicyEngine policyEngine, AgentControlPlaneProperties properties) {
			AgentControlPlaneProperties.Executor executor = properties.getExecutor();
			return new BoundedExecutor(agentControlPlaneBoundedExecutorThreads.executor(), policyEngine)
				.withDefaults(executor.getMaxConcurrency(), executor.getQueueCapacity());
		}

	}

}
