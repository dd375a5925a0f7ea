package io.agentcontrolplane.autoconfigure.badinput;

import io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration;
import io.agentcontrolplane.autoconfigure.aop.BoundedExecutionAutoConfiguration;

import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.context.annotation.Configuration;

/**
 * The auto-configurations under test and nothing else, so that a failure is ours.
 */
@Configuration(proxyBeanMethods = false)
@ImportAutoConfiguration({ AgentControlPlaneAutoConfiguration.class, BoundedExecutionAutoConfiguration.class })
class BadInputApplication {

}
