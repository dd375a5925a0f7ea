package io.agentcontrolplane.autoconfigure;

import java.util.Map;

import io.agentcontrolplane.autoconfigure.aop.BoundedExecutionBeanPostProcessor;
import io.agentcontrolplane.concurrent.BoundedExecutor;
import io.agentcontrolplane.quota.PermitStore;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.UnknownAgentPolicy;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

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
 * <p>The master switch {@code agent-control-plane.enabled} is read when the beans are created,
 * not as a condition, so that it also works in an application built ahead of time (AOT), where
 * conditions are decided at build time. Switched off, both beans still exist, so code that
 * injects them keeps working, but the engine holds no quota and lets every agent through.
 *
 * <p>Every name set under {@code agent-control-plane.*} must be a setting: a misspelt key fails
 * start-up (see {@link AgentControlPlaneUnknownPropertyFailureAnalyzer}).
 *
 * @see AgentControlPlaneProperties
 */
@AutoConfiguration
@EnableConfigurationProperties(AgentControlPlaneProperties.class)
public final class AgentControlPlaneAutoConfiguration {

	private static final Log logger = LogFactory.getLog(AgentControlPlaneAutoConfiguration.class);

	@Bean
	@ConditionalOnMissingBean
	PolicyEngine policyEngine(AgentControlPlaneProperties properties, ObjectProvider<PermitStore> permitStore,
			ObjectProvider<PolicyEngineBuilderCustomizer> customizers) {
		if (!properties.isEnabled()) {
			logger.info("agent-control-plane.enabled is false: no quota is enforced, every @BoundedExecution call"
					+ " and every agent of the BoundedExecutor runs unlimited, and nothing is counted as rejected.");
			return PolicyEngine.builder().unknownAgentPolicy(UnknownAgentPolicy.ALLOW).build();
		}
		return QuotaPropertiesMapper.policyEngine(properties, permitStore.getIfUnique(),
				customizers.orderedStream().toList());
	}

	@Bean
	static UnknownPropertyCheck agentControlPlaneUnknownPropertyCheck() {
		return new UnknownPropertyCheck();
	}

	@Bean
	QuotaStartupReport agentControlPlaneQuotaStartupReport(AgentControlPlaneProperties properties,
			ObjectProvider<PolicyEngine> policyEngine,
			ObjectProvider<BoundedExecutionBeanPostProcessor> boundedExecutionPostProcessor) {
		return new QuotaStartupReport(properties, policyEngine::getObject, () -> {
			BoundedExecutionBeanPostProcessor postProcessor = boundedExecutionPostProcessor.getIfUnique();
			return (postProcessor != null) ? postProcessor.getLiteralAgentIds() : Map.of();
		});
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
