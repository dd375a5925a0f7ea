package io.agentcontrolplane.autoconfigure.metrics;

import io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.ResourceQuota;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link QuotaMetricsAutoConfiguration}.
 */
class QuotaMetricsAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
				SimpleMetricsExportAutoConfiguration.class, QuotaMetricsAutoConfiguration.class))
		.withBean(PolicyEngine.class, () -> {
			PolicyEngine engine = new PolicyEngine();
			engine.setQuota("planner", ResourceQuota.of("planner", 3));
			return engine;
		});

	@Test
	void bindsTheAgentsOfTheEngineToTheRegistry() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(QuotaMetrics.class);
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			assertThat(registry.get("agent.quota.limit").tag("agent", "planner").gauge().value()).isEqualTo(3.0);
		});
	}

	@Test
	void doesNotRunWithoutMeterRegistry() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(QuotaMetricsAutoConfiguration.class))
			.withBean(PolicyEngine.class, PolicyEngine::new)
			.run((context) -> assertThat(context).doesNotHaveBean(QuotaMetrics.class));
	}

	@Test
	void doesNotRunWithoutPolicyEngine() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
					SimpleMetricsExportAutoConfiguration.class, QuotaMetricsAutoConfiguration.class))
			.run((context) -> assertThat(context).hasSingleBean(MeterRegistry.class)
				.doesNotHaveBean(QuotaMetrics.class));
	}

	@Test
	void doesNotRunWithoutMicrometer() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(MeterRegistry.class))
			.run((context) -> assertThat(context).doesNotHaveBean(QuotaMetrics.class));
	}

	@Test
	void doesNotRunWithoutSpringBootMetrics() {
		// Nothing would bind the binder to the registry without Boot's metrics auto-configuration.
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(QuotaMetricsAutoConfiguration.class))
			.withClassLoader(new FilteredClassLoader(MetricsAutoConfiguration.class))
			.withBean(PolicyEngine.class, PolicyEngine::new)
			.withBean(MeterRegistry.class, SimpleMeterRegistry::new)
			.run((context) -> assertThat(context).hasSingleBean(MeterRegistry.class)
				.doesNotHaveBean(QuotaMetrics.class));
	}

	@Test
	void backsOffWhenTheUserDefinesQuotaMetrics() {
		this.contextRunner
			.withBean("customQuotaMetrics", QuotaMetrics.class,
					() -> new QuotaMetrics(new PolicyEngine()))
			.run((context) -> assertThat(context).hasSingleBean(QuotaMetrics.class)
				.hasBean("customQuotaMetrics"));
	}

	@Test
	void makesTheAutoConfiguredEngineMeasureHoldTimes() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(AgentControlPlaneAutoConfiguration.class,
					MetricsAutoConfiguration.class, SimpleMetricsExportAutoConfiguration.class,
					QuotaMetricsAutoConfiguration.class))
			.withPropertyValues("agent-control-plane.quotas.a.max-concurrent-executions=1")
			.run((context) -> {
				PolicyEngine engine = context.getBean(PolicyEngine.class);
				engine.acquire("a").close();
				assertThat(engine.statistics("a").orElseThrow().timedReleases()).isOne();
			});
	}

}
