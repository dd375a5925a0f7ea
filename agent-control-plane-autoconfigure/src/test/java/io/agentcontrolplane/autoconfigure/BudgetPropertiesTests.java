package io.agentcontrolplane.autoconfigure;

import java.time.ZoneId;

import io.agentcontrolplane.quota.Budget;
import io.agentcontrolplane.quota.BudgetUnit;
import io.agentcontrolplane.quota.BudgetWindow;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.RejectionReason;
import io.agentcontrolplane.quota.ResourceQuota;
import io.agentcontrolplane.quota.Usage;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.bind.UnboundConfigurationPropertiesException;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The {@code pricing}, {@code budget-zone} and {@code budgets} properties: bound onto the engine,
 * inherited from the defaults, and refused at start-up with the property path, the value and
 * what is allowed.
 */
class BudgetPropertiesTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AgentControlPlaneAutoConfiguration.class));

	@Test
	void budgetsAndPricingAreBoundOntoTheEngine() {
		this.contextRunner
			.withPropertyValues("agent-control-plane.pricing.currency=EUR",
					"agent-control-plane.pricing.models[gpt-4.1-mini].input=0.40",
					"agent-control-plane.pricing.models[gpt-4.1-mini].output=1.60",
					"agent-control-plane.budget-zone=Europe/Berlin",
					"agent-control-plane.quotas.research.max-concurrent-executions=4",
					"agent-control-plane.quotas.research.budgets[0].unit=tokens",
					"agent-control-plane.quotas.research.budgets[0].limit=200000",
					"agent-control-plane.quotas.research.budgets[0].per=1m",
					"agent-control-plane.quotas.research.budgets[1].unit=cost",
					"agent-control-plane.quotas.research.budgets[1].limit=25.00",
					"agent-control-plane.quotas.research.budgets[1].per=day",
					"agent-control-plane.quotas.research.budgets[1].warn-at=80%")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				PolicyEngine engine = context.getBean(PolicyEngine.class);
				ResourceQuota quota = engine.getQuota("research").orElseThrow();
				assertThat(quota.budgets()).containsExactly(
						Budget.builder(BudgetUnit.TOKENS).limit(200_000).per("1m").build(),
						Budget.builder(BudgetUnit.COST).limit("25.00").per("day").warnAt("80%").build());
				// The cost budget is charged at the configured price: 0.0008 per call below.
				engine.admit("research", null, Usage.estimate("gpt-4.1-mini", 1_000, 250), null).close();
				assertThat(engine.snapshot("research").orElseThrow().budgets().get(1).remaining())
					.isEqualTo(25_000_000 - 800);
				// The day ends at midnight in Berlin.
				assertThat(engine.snapshot("research").orElseThrow().budgets().get(1).resetsAt()
					.atZone(ZoneId.of("Europe/Berlin"))
					.toLocalTime()
					.toSecondOfDay()).isZero();
			});
	}

	@Test
	@ExtendWith(OutputCaptureExtension.class)
	void aBudgetReachingItsWarnAtLogsAWarningNamingTheAgentBudgetAndSpend(CapturedOutput output) {
		this.contextRunner
			.withPropertyValues("agent-control-plane.quotas.w.budgets[0].unit=requests",
					"agent-control-plane.quotas.w.budgets[0].limit=4", "agent-control-plane.quotas.w.budgets[0].per=day",
					"agent-control-plane.quotas.w.budgets[0].warn-at=50%")
			.run((context) -> {
				PolicyEngine engine = context.getBean(PolicyEngine.class);
				engine.admit("w", null, null).close();
				assertThat(output).doesNotContain("budget of 4 per day");
				engine.admit("w", null, null).close();
				engine.admit("w", null, null).close();
				assertThat(output.toString().lines().filter((line) -> line.contains("budget of 4 per day")))
					.singleElement()
					.asString()
					.contains("WARN", "Agent 'w' spent 2 of its requests budget of 4 per day (warn-at 50%)");
			});
	}

	@Test
	void quotasWithoutBudgetsInheritTheDefaultBudgets() {
		this.contextRunner
			.withPropertyValues("agent-control-plane.defaults.budgets[0].unit=requests",
					"agent-control-plane.defaults.budgets[0].limit=1", "agent-control-plane.defaults.budgets[0].per=1h",
					"agent-control-plane.quotas.a.max-concurrent-executions=2",
					"agent-control-plane.quotas.b.max-concurrent-executions=2",
					"agent-control-plane.quotas.b.budgets[0].unit=output-tokens",
					"agent-control-plane.quotas.b.budgets[0].limit=100",
					"agent-control-plane.quotas.b.budgets[0].per=week")
			.run((context) -> {
				PolicyEngine engine = context.getBean(PolicyEngine.class);
				assertThat(engine.getQuota("a").orElseThrow().budgets())
					.containsExactly(Budget.of(BudgetUnit.REQUESTS, 1, BudgetWindow.parse("1h")));
				assertThat(engine.getQuota("b").orElseThrow().budgets())
					.containsExactly(Budget.of(BudgetUnit.OUTPUT_TOKENS, 100, BudgetWindow.week()));
				engine.admit("a", null, null).close();
				assertThatExceptionOfType(QuotaExceededException.class).isThrownBy(() -> engine.admit("a", null, null))
					.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(RejectionReason.BUDGET_EXHAUSTED));
			});
	}

	@ParameterizedTest(name = "{0}={1}")
	@CsvSource(delimiter = '|', textBlock = """
			agent-control-plane.quotas.a.budgets[0].unit     | dollars | one of requests, tokens, input-tokens, output-tokens, cost
			agent-control-plane.quotas.a.budgets[0].per      | 0s      | a duration > 0 such as 30s, 1m, 1h or PT30S, or one of day, week, month
			agent-control-plane.quotas.a.budgets[0].limit    | -5      | a whole number >= 0
			agent-control-plane.quotas.a.budgets[0].limit    | 10.5    | a whole number >= 0
			agent-control-plane.quotas.a.budgets[0].warn-at  | 120%    | a percentage > 0% and <= 100% such as 80%, or a fraction > 0 and <= 1 such as 0.8
			agent-control-plane.defaults.budgets[0].per      | fortnight | a duration > 0 such as 30s, 1m, 1h or PT30S, or one of day, week, month
			""")
	void aBadBudgetValueFailsStartupNamingThePropertyTheValueAndWhatIsAllowed(String property, String value,
			String allowed) {
		String list = property.substring(0, property.lastIndexOf('.'));
		this.contextRunner
			.withPropertyValues(list + ".unit=tokens", list + ".limit=100", list + ".per=1m",
					"agent-control-plane.quotas.a.max-concurrent-executions=1", property + "=" + value)
			.run((context) -> {
				assertThat(context).hasFailed();
				AgentControlPlaneConfigurationException failure = findCause(context.getStartupFailure(),
						AgentControlPlaneConfigurationException.class);
				assertThat(failure.getPropertyName()).isEqualTo(property);
				assertThat(String.valueOf(failure.getValue())).isEqualTo(value);
				assertThat(failure.getMessage()).contains("'" + property + "'", "'" + value + "'", allowed);
			});
	}

	@Test
	void aCostBudgetWithoutPricingFailsStartup() {
		this.contextRunner
			.withPropertyValues("agent-control-plane.quotas.a.budgets[0].unit=cost",
					"agent-control-plane.quotas.a.budgets[0].limit=5", "agent-control-plane.quotas.a.budgets[0].per=day")
			.run((context) -> {
				assertThat(context).hasFailed();
				AgentControlPlaneConfigurationException failure = findCause(context.getStartupFailure(),
						AgentControlPlaneConfigurationException.class);
				assertThat(failure.getPropertyName()).isEqualTo("agent-control-plane.quotas.a.budgets[0].unit");
				assertThat(failure.getMessage()).contains("'cost'", "agent-control-plane.pricing.models");
			});
	}

	@Test
	void aBadPriceOrZoneFailsStartup() {
		this.contextRunner.withPropertyValues("agent-control-plane.pricing.models.m.input=-1",
				"agent-control-plane.pricing.models.m.output=1").run((context) -> {
					AgentControlPlaneConfigurationException failure = findCause(context.getStartupFailure(),
							AgentControlPlaneConfigurationException.class);
					assertThat(failure.getPropertyName()).isEqualTo("agent-control-plane.pricing.models.m.input");
					assertThat(failure.getMessage()).contains("'-1'", "a price >= 0");
				});
		this.contextRunner.withPropertyValues("agent-control-plane.budget-zone=Mars/Olympus").run((context) -> {
			AgentControlPlaneConfigurationException failure = findCause(context.getStartupFailure(),
					AgentControlPlaneConfigurationException.class);
			assertThat(failure.getPropertyName()).isEqualTo("agent-control-plane.budget-zone");
			assertThat(failure.getMessage()).contains("'Mars/Olympus'", "a time zone id");
		});
	}

	@Test
	void twoBudgetsOfOneUnitAndWindowFailStartup() {
		this.contextRunner
			.withPropertyValues("agent-control-plane.quotas.a.budgets[0].unit=tokens",
					"agent-control-plane.quotas.a.budgets[0].limit=5", "agent-control-plane.quotas.a.budgets[0].per=1m",
					"agent-control-plane.quotas.a.budgets[1].unit=tokens",
					"agent-control-plane.quotas.a.budgets[1].limit=7", "agent-control-plane.quotas.a.budgets[1].per=1m")
			.run((context) -> {
				AgentControlPlaneConfigurationException failure = findCause(context.getStartupFailure(),
						AgentControlPlaneConfigurationException.class);
				assertThat(failure.getPropertyName()).isEqualTo("agent-control-plane.quotas.a.budgets");
			});
	}

	@Test
	void anUnknownKeyInsideABudgetFailsStartup() {
		this.contextRunner
			.withPropertyValues("agent-control-plane.quotas.a.budgets[0].unit=tokens",
					"agent-control-plane.quotas.a.budgets[0].limit=5", "agent-control-plane.quotas.a.budgets[0].per=1m",
					"agent-control-plane.quotas.a.budgets[0].warn-when=80%")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(findCause(context.getStartupFailure(), UnboundConfigurationPropertiesException.class))
					.hasMessageContaining("agent-control-plane.quotas.a.budgets[0].warn-when");
			});
	}

	private static <T extends Throwable> T findCause(Throwable failure, Class<T> type) {
		Throwable candidate = failure;
		while (candidate != null) {
			if (type.isInstance(candidate)) {
				return type.cast(candidate);
			}
			candidate = candidate.getCause();
		}
		throw new AssertionError("No " + type.getName() + " in the cause chain of " + failure, failure);
	}

}
