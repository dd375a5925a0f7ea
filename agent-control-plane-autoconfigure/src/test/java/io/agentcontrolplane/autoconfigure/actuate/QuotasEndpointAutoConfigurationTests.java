package io.agentcontrolplane.autoconfigure.actuate;

import io.agentcontrolplane.quota.PolicyEngine;
import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link QuotasEndpointAutoConfiguration}.
 */
class QuotasEndpointAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(QuotasEndpointAutoConfiguration.class))
		.withBean(PolicyEngine.class, PolicyEngine::new);

	@Test
	void runsWhenExposedOverWeb() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=quotas")
			.run((context) -> assertThat(context).hasSingleBean(QuotasEndpoint.class)
				.hasSingleBean(QuotasEndpointWebExtension.class));
	}

	@Test
	void runsWithoutWebExtensionWhenExposedOverJmxOnly() {
		this.contextRunner
			.withPropertyValues("spring.jmx.enabled=true", "management.endpoints.jmx.exposure.include=quotas")
			.run((context) -> assertThat(context).hasSingleBean(QuotasEndpoint.class)
				.doesNotHaveBean(QuotasEndpointWebExtension.class));
	}

	@Test
	void doesNotRunWhenNotExposed() {
		this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(QuotasEndpoint.class)
			.doesNotHaveBean(QuotasEndpointWebExtension.class));
	}

	@Test
	void doesNotRunWhenAccessIsNone() {
		this.contextRunner
			.withPropertyValues("management.endpoints.web.exposure.include=quotas",
					"management.endpoint.quotas.access=NONE")
			.run((context) -> assertThat(context).doesNotHaveBean(QuotasEndpoint.class));
	}

	@Test
	void doesNotRunWithoutPolicyEngine() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(QuotasEndpointAutoConfiguration.class))
			.withPropertyValues("management.endpoints.web.exposure.include=quotas")
			.run((context) -> assertThat(context).doesNotHaveBean(QuotasEndpoint.class));
	}

	@Test
	void doesNotRunWithoutActuator() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=quotas")
			.withClassLoader(new FilteredClassLoader(Endpoint.class))
			.run((context) -> assertThat(context).doesNotHaveBean(QuotasEndpoint.class));
	}

	@Test
	void backsOffWhenTheUserDefinesAnEndpoint() {
		this.contextRunner.withPropertyValues("management.endpoints.web.exposure.include=quotas")
			.withBean("customQuotasEndpoint", QuotasEndpoint.class,
					() -> new QuotasEndpoint(new PolicyEngine()))
			.run((context) -> assertThat(context).hasSingleBean(QuotasEndpoint.class)
				.hasBean("customQuotasEndpoint"));
	}

}
