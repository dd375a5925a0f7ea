package io.agentcontrolplane.autoconfigure.metrics;

import java.util.List;

import io.agentcontrolplane.autoconfigure.actuate.QuotasEndpoint;
import io.agentcontrolplane.quota.Budget;
import io.agentcontrolplane.quota.BudgetUnit;
import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.Pricing;
import io.agentcontrolplane.quota.ResourceQuota;
import io.agentcontrolplane.quota.Usage;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The budget meters of {@link QuotaMetrics}: what remains of each budget, what settled calls
 * spent, and the warnings.
 */
class BudgetMetricsTests {

	private static final String MODEL = "gpt-4.1-mini";

	private final PolicyEngine engine = PolicyEngine.builder()
		.pricing(Pricing.builder("USD").model(MODEL, "0.40", "1.60").build())
		.build();

	private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

	private final QuotaMetrics metrics = new QuotaMetrics(this.engine);

	BudgetMetricsTests() {
		this.engine.setQuota("writer", ResourceQuota.builder("writer")
			.budgets(Budget.builder(BudgetUnit.TOKENS).limit(1_000).per("1h").warnAt("50%").build(),
					Budget.builder(BudgetUnit.COST).limit("1.00").per("day").build())
			.build());
		this.metrics.bindTo(this.registry);
	}

	@AfterEach
	void closeMetrics() {
		this.metrics.close();
	}

	@Test
	void gaugesShowWhatRemainsOfEachBudgetAndCountersWhatWasSpent() {
		try (Permit permit = this.engine.admit("writer", null, Usage.estimate(MODEL, 100, 500), null)) {
			// Estimate: 600 tokens (reaching the 50% warning), 40 + 800 = 840 millionths.
			assertThat(remaining("tokens", "1h")).isEqualTo(400);
			permit.settle(Usage.of(MODEL, 100, 100));
		}
		assertThat(remaining("tokens", "1h")).isEqualTo(800);
		assertThat(remaining("cost", "day")).isEqualTo(1.0 - 0.0002);
		assertThat(this.registry.get("agent.quota.usage").tags("agent", "writer", "unit", "tokens").counter().count())
			.isEqualTo(200);
		assertThat(this.registry.get("agent.quota.usage").tags("agent", "writer", "unit", "cost").counter().count())
			.isEqualTo(0.0002);
		assertThat(this.registry.get("agent.quota.usage").tags("agent", "writer", "unit", "requests").counter().count())
			.isEqualTo(1);
		assertThat(this.registry.get("agent.quota.budget.warnings")
			.tags("agent", "writer", "unit", "tokens", "window", "1h")
			.counter()
			.count()).isEqualTo(1);
	}

	@Test
	void theMetersGoWithTheAgent() {
		try (Permit permit = this.engine.admit("writer", null, Usage.estimate(MODEL, 10, 10), null)) {
			permit.settle(Usage.of(MODEL, 10, 10));
		}
		this.engine.removeQuota("writer");
		assertThat(this.registry.find("agent.quota.budget.remaining").gauges()).isEmpty();
		assertThat(this.registry.find("agent.quota.usage").counters()).isEmpty();
	}

	@Test
	void aBudgetAddedByTheEndpointsPostGetsItsGaugeAtOnce() {
		QuotasEndpoint endpoint = new QuotasEndpoint(this.engine);
		endpoint.updateQuota("writer", null, null, null, null, null, null,
				List.of(Budget.builder(BudgetUnit.TOKENS).limit(1_000).per("1h").build(),
						Budget.builder(BudgetUnit.COST).limit("1.00").per("day").build(),
						Budget.builder(BudgetUnit.OUTPUT_TOKENS).limit(500).per("1m").build()));
		assertThat(remaining("output-tokens", "1m")).isEqualTo(500);
		try (Permit permit = this.engine.admit("writer", null, Usage.estimate(MODEL, 10, 20), null)) {
			permit.settle(Usage.of(MODEL, 10, 20));
		}
		assertThat(remaining("output-tokens", "1m")).isBetween(480.0, 481.0);
		assertThat(this.registry.find("agent.quota.budget.remaining").gauges()).hasSize(3);
	}

	@Test
	void aBudgetRemovedByTheEndpointsPostTakesItsGaugeAway() {
		QuotasEndpoint endpoint = new QuotasEndpoint(this.engine);
		endpoint.updateQuota("writer", null, null, null, null, null, null,
				List.of(Budget.builder(BudgetUnit.TOKENS).limit(2_000).per("1h").build()));
		assertThat(this.registry.find("agent.quota.budget.remaining").tag("unit", "cost").gauges()).isEmpty();
		// The budget of the same unit and window stays one gauge, reading the new limit.
		assertThat(this.registry.find("agent.quota.budget.remaining").gauges()).hasSize(1);
		assertThat(remaining("tokens", "1h")).isEqualTo(2_000);
		endpoint.updateQuota("writer", null, null, null, null, null, null, List.of());
		assertThat(this.registry.find("agent.quota.budget.remaining").gauges()).isEmpty();
		// The agent's other meters stay.
		assertThat(this.registry.find("agent.quota.limit").tag("agent", "writer").gauges()).hasSize(1);
	}

	@Test
	void aRequestBudgetAddedOrRemovedByTheEndpointsPostFollowsToo() {
		QuotasEndpoint endpoint = new QuotasEndpoint(this.engine);
		endpoint.updateQuota("writer", null, null, 30, null, null, null);
		assertThat(this.registry.get("agent.quota.rate.remaining").tags("agent", "writer", "window", "minute")
			.gauge()
			.value()).isEqualTo(30);
		endpoint.updateQuota("writer", null, null, null, 100, null, null);
		assertThat(this.registry.find("agent.quota.rate.remaining").gauges()).hasSize(2);
		assertThat(this.registry.find("agent.quota.budget.remaining").gauges()).hasSize(2);
	}

	@Test
	void aQuotaReplacedInCodeGetsItsBudgetGaugesToo() {
		this.engine.setQuota("writer", ResourceQuota.builder("writer")
			.budgets(Budget.builder(BudgetUnit.INPUT_TOKENS).limit(300).per("1m").build())
			.build());
		assertThat(this.registry.find("agent.quota.budget.remaining").gauges()).hasSize(1);
		assertThat(remaining("input-tokens", "1m")).isEqualTo(300);
	}

	private double remaining(String unit, String window) {
		return this.registry.get("agent.quota.budget.remaining")
			.tags("agent", "writer", "unit", unit, "window", window)
			.gauge()
			.value();
	}

}
