package io.agentcontrolplane.autoconfigure.metrics;

import java.util.Arrays;

import io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration;
import io.agentcontrolplane.quota.PolicyEngine;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a dashboard needs, configured the way a Boot user configures any meter: the rate budget
 * left per window, and wait-time percentiles and histograms switched on with
 * {@code management.metrics.distribution.*}.
 */
class QuotaMetricsDashboardTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(MetricsAutoConfiguration.class,
				SimpleMetricsExportAutoConfiguration.class, AgentControlPlaneAutoConfiguration.class,
				QuotaMetricsAutoConfiguration.class))
		.withPropertyValues("agent-control-plane.quotas.researcher.max-requests-per-minute=5",
				"agent-control-plane.quotas.researcher.max-requests-per-hour=100",
				"agent-control-plane.quotas.planner.max-concurrent-executions=2");

	@Test
	void rateBudgetLeftIsAGaugePerWindow() {
		this.contextRunner.run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			engine.admit("researcher", null, null).close();
			engine.admit("researcher", null, null).close();
			assertThat(remaining(registry, "researcher", "minute")).isEqualTo(3.0);
			assertThat(remaining(registry, "researcher", "hour")).isEqualTo(98.0);
			assertThat(registry.find("agent.quota.rate.remaining").tag("agent", "planner").gauges())
				.as("an agent without a rate budget has no rate gauge")
				.isEmpty();
		});
	}

	@Test
	void waitTimePercentilesAndHistogramAreSwitchedOnWithBootsDistributionProperties() {
		this.contextRunner
			.withPropertyValues("management.metrics.distribution.percentiles.agent.quota.wait=0.5,0.99",
					"management.metrics.distribution.percentiles-histogram.agent.quota.wait=true",
					"management.metrics.distribution.slo.agent.quota.wait=10ms,100ms")
			.run((context) -> {
				PolicyEngine engine = context.getBean(PolicyEngine.class);
				MeterRegistry registry = context.getBean(MeterRegistry.class);
				for (int i = 0; i < 3; i++) {
					engine.admit("planner", null, null).close();
				}
				Timer wait = registry.get("agent.quota.wait")
					.tag("agent", "planner")
					.tag("outcome", "permitted")
					.timer();
				HistogramSnapshot snapshot = wait.takeSnapshot();
				assertThat(snapshot.count()).isEqualTo(3);
				assertThat(Arrays.stream(snapshot.percentileValues()).map(ValueAtPercentile::percentile))
					.containsExactly(0.5, 0.99);
				assertThat(snapshot.histogramCounts()).isNotEmpty();
			});
	}

	@Test
	void unlessAskedForTheWaitTimerReadsTheEnginesTotalsAndRecordsNothingPerCall() {
		this.contextRunner.run((context) -> {
			context.getBean(PolicyEngine.class).admit("planner", null, null).close();
			FunctionTimer wait = context.getBean(MeterRegistry.class)
				.get("agent.quota.wait")
				.tag("agent", "planner")
				.tag("outcome", "permitted")
				.functionTimer();
			assertThat(wait.count()).isEqualTo(1.0);
		});
	}

	private static double remaining(MeterRegistry registry, String agent, String window) {
		return registry.get("agent.quota.rate.remaining").tag("agent", agent).tag("window", window).gauge().value();
	}

}
