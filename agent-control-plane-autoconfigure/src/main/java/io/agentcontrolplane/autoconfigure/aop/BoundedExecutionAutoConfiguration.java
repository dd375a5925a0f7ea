package io.agentcontrolplane.autoconfigure.aop;

import io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration;
import io.agentcontrolplane.quota.PolicyEngine;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.config.BeanDefinition;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Role;
import org.springframework.core.env.Environment;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} for
 * {@link io.agentcontrolplane.annotation.BoundedExecution @BoundedExecution}: a
 * {@link BoundedExecutionBeanPostProcessor} that proxies annotated beans. It needs no AspectJ
 * weaver; proxies are class-based unless {@code spring.aop.proxy-target-class=false}, as for
 * Spring Boot's own AOP auto-configuration. With {@code agent-control-plane.enabled=false} the
 * post-processor exists but proxies nothing; the switch is read at run time, so that it also
 * works in an application built ahead of time (AOT).
 */
@AutoConfiguration(after = AgentControlPlaneAutoConfiguration.class)
public final class BoundedExecutionAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	@Role(BeanDefinition.ROLE_INFRASTRUCTURE)
	static BoundedExecutionBeanPostProcessor boundedExecutionBeanPostProcessor(
			ObjectProvider<PolicyEngine> policyEngine, Environment environment) {
		BoundedExecutionBeanPostProcessor postProcessor = new BoundedExecutionBeanPostProcessor(
				policyEngine::getObject);
		postProcessor
			.setProxyTargetClass(environment.getProperty("spring.aop.proxy-target-class", Boolean.class, true));
		// Bound like the properties bean, so that a value that is not a boolean fails the same way.
		postProcessor
			.setEnabled(Binder.get(environment).bind("agent-control-plane.enabled", Boolean.class).orElse(true));
		return postProcessor;
	}

}
