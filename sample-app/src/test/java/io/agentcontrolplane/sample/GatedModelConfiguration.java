package io.agentcontrolplane.sample;

import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;

/**
 * Replaces the simulated model's latency with a {@link GatedModelLatency} the tests control.
 */
@TestConfiguration(proxyBeanMethods = false)
class GatedModelConfiguration {

	@Bean
	@Primary
	GatedModelLatency gatedModelLatency() {
		return new GatedModelLatency();
	}

}
