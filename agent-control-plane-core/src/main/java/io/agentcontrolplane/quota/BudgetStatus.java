package io.agentcontrolplane.quota;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;

/**
 * Where one budget of an agent stands at one moment, for snapshots and the quotas endpoint.
 *
 * @param budget the budget
 * @param remaining what is left in base units (tokens, requests, or millionths of the currency
 * for cost); negative while the budget is overdrawn by calls that spent more than they reserved
 * @param resetsAt for a calendar window, the start of the next window (when the budget is full
 * again); for a duration window, when the smooth refill will have filled it (now, when full)
 */
public record BudgetStatus(Budget budget, long remaining, Instant resetsAt) {

	/**
	 * Check the components.
	 * @param budget the budget
	 * @param remaining what is left in base units
	 * @param resetsAt when the budget is full again
	 */
	public BudgetStatus {
		Objects.requireNonNull(budget, "budget");
		Objects.requireNonNull(resetsAt, "resetsAt");
	}

	/**
	 * What is left, in the unit as a user reads it (for cost, money in the pricing currency).
	 * @return the remaining amount, negative while overdrawn
	 */
	public BigDecimal remainingAmount() {
		return this.budget.unit().fromBaseUnits(this.remaining);
	}

	/**
	 * What has been spent in the current window, in base units: the limit minus what is left
	 * (for a duration window, the part not yet refilled).
	 * @return the spending, {@code >= 0}; above the limit while overdrawn
	 */
	public long spent() {
		return this.budget.limitInBaseUnits() - this.remaining;
	}

}
