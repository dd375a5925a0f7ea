package io.agentcontrolplane.quota;

import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * The answer of {@link BudgetLedger#reserve(Usage)} when a budget cannot cover the estimate:
 * nothing was charged.
 *
 * @param budget the budget that refused; of several, the one that takes longest to cover its
 * share
 * @param requested the estimate's share of that budget, in base units
 * @param remaining what that budget held, in base units (negative while overdrawn)
 * @param retryAfter how long until that budget covers the share (for a calendar window, until
 * the next window starts); {@code null} when it never can, because the share is larger than the
 * limit
 */
record Refusal(Budget budget, long requested, long remaining, @Nullable Duration retryAfter)
		implements BudgetLedger.Admission {

	/**
	 * The refusal as the exception callers see, with reason
	 * {@link RejectionReason#BUDGET_EXHAUSTED}.
	 * @param agentId the agent
	 * @return the exception, naming the agent, the budget's unit, limit and window, and the
	 * amounts
	 */
	QuotaExceededException toException(String agentId) {
		BudgetUnit unit = this.budget.unit();
		String message = "Agent '" + agentId + "' exhausted its " + unit.configName() + " budget of "
				+ unit.format(this.budget.limitInBaseUnits()) + " per " + this.budget.window() + ": the call needs "
				+ unit.format(this.requested) + ", " + unit.format(this.remaining) + " remains"
				+ ((this.retryAfter != null) ? "; retry after " + DurationFormat.format(this.retryAfter)
						: "; the call needs more than the whole limit and can never be admitted");
		return new QuotaExceededException(agentId, RejectionReason.BUDGET_EXHAUSTED, message, this.retryAfter,
				this.budget);
	}

}
