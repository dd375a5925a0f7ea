package io.agentcontrolplane.autoconfigure.actuate;

import java.time.Duration;

import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.ResourceQuota;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * A tiny application with two agents, for the web tests of the endpoint and the metrics.
 */
@SpringBootConfiguration(proxyBeanMethods = false)
@EnableAutoConfiguration
class QuotasTestApplication {

	@Bean
	PolicyEngine policyEngine() {
		PolicyEngine engine = PolicyEngine.builder().trackPermitAge(true).measureHoldTimes(true).build();
		engine.setQuota("planner", ResourceQuota.builder("planner")
			.maxConcurrentExecutions(3)
			.maxWait(Duration.ofMillis(1500))
			.maxRequestsPerMinute(60)
			.build());
		engine.setQuota("critic", ResourceQuota.of("critic", 1));
		return engine;
	}

}
