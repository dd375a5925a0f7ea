package io.agentcontrolplane.sample;

import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Primary;

/**
 * Replaces the simulated model with a {@link GatedLanguageModel} the tests control.
 */
@TestConfiguration(proxyBeanMethods = false)
class GatedModelConfiguration {

	@Bean
	@Primary
	GatedLanguageModel gatedLanguageModel() {
		return new GatedLanguageModel();
	}

}
