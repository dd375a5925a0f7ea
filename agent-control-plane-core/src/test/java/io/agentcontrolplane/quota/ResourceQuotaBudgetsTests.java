package io.agentcontrolplane.quota;

import java.time.Duration;
import java.util.Arrays;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The budgets of a {@link ResourceQuota}, and the budget form of {@link QuotaExceededException}.
 */
class ResourceQuotaBudgetsTests {

	private static final Budget TOKENS = Budget.of(BudgetUnit.TOKENS, 200_000, BudgetWindow.parse("1m"));

	private static final Budget COST = Budget.builder(BudgetUnit.COST).limit("25.00").per("day").warnAt("80%").build();

	@Test
	void aQuotaHasNoBudgetsByDefault() {
		ResourceQuota quota = ResourceQuota.of("a", 1);
		assertThat(quota.budgets()).isEmpty();
		assertThat(quota.hasBudgets()).isFalse();
		assertThat(quota).hasToString("ResourceQuota[agentId=a, maxConcurrentExecutions=1, maxWait=PT0S, fair=true, "
				+ "maxRequestsPerMinute=unlimited, maxRequestsPerHour=unlimited, maxExecutionTime=none, "
				+ "allowedActions=all, joinNestedCalls=true, budgets=none]");
	}

	@Test
	void budgetsAreKeptInOrderAndCopiedByToBuilder() {
		ResourceQuota quota = ResourceQuota.builder("a").maxRequestsPerMinute(60).budgets(TOKENS, COST).build();
		assertThat(quota.budgets()).containsExactly(TOKENS, COST);
		assertThat(quota.hasBudgets()).isTrue();
		assertThat(quota.maxRequestsPerMinute()).hasValue(60);
		assertThat(quota.toBuilder().build()).isEqualTo(quota).hasSameHashCodeAs(quota).hasToString(quota.toString());
		assertThat(quota.toBuilder("b").build().budgets()).containsExactly(TOKENS, COST);
		assertThat(quota.toString()).contains("budgets=[tokens 200000 per 1m, cost 25.00 per day (warn at 80%)]");
		assertThat(quota.toBuilder().budgets().build()).isNotEqualTo(quota).satisfies((copy) -> {
			assertThat(copy.budgets()).isEmpty();
		});
		assertThat(ResourceQuota.builder("a").maxRequestsPerMinute(60).budget(TOKENS).budget(COST).build())
			.isEqualTo(quota);
		assertThat(ResourceQuota.builder("a").maxRequestsPerMinute(60).budgets(COST, TOKENS).build())
			.as("order is part of the value: it is the order budgets are checked and reported in")
			.isNotEqualTo(quota);
	}

	@Test
	void theBudgetListCannotBeChangedFromOutside() {
		Budget[] budgets = { TOKENS };
		ResourceQuota quota = ResourceQuota.builder("a").budgets(budgets).build();
		budgets[0] = COST;
		assertThat(quota.budgets()).containsExactly(TOKENS);
		assertThat(quota.budgets()).isUnmodifiable();
	}

	@Test
	void badBudgetsNameTheFieldAndTheValue() {
		assertThatIllegalArgumentException().isThrownBy(() -> ResourceQuota.builder("a").budgets((Budget[]) null))
			.withMessageContaining("budgets");
		assertThatIllegalArgumentException().isThrownBy(() -> ResourceQuota.builder("a").budgets(TOKENS, null))
			.withMessageContaining("budgets must not contain null");
		Budget sameUnitAndWindow = Budget.of(BudgetUnit.TOKENS, 1_000, BudgetWindow.of(Duration.ofSeconds(60)));
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ResourceQuota.builder("a").budgets(TOKENS, sameUnitAndWindow))
			.withMessageContaining("two tokens budgets per 1m")
			.withMessageContaining("tokens 1000 per 1m");
		ResourceQuota.Builder builder = ResourceQuota.builder("a").budgets(COST);
		assertThatIllegalArgumentException().isThrownBy(() -> builder.budgets(Arrays.asList(TOKENS, null)));
		assertThat(builder.build().budgets()).as("a refused list leaves the builder as it was").containsExactly(COST);
	}

	@Test
	void aBudgetRefusalNamesItsBudget() {
		QuotaExceededException refusal = new QuotaExceededException("a", RejectionReason.BUDGET_EXHAUSTED,
				"Agent 'a' exhausted its budget", Duration.ofSeconds(3), COST);
		assertThat(refusal.budget()).hasValue(COST);
		assertThat(refusal.retryAfter()).hasValue(Duration.ofSeconds(3));
		assertThat(new QuotaExceededException("a", RejectionReason.RATE_LIMIT, "m", null).budget()).isEmpty();
	}

}
