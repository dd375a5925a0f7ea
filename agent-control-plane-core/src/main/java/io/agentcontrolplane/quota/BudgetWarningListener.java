package io.agentcontrolplane.quota;

import java.time.Instant;

/**
 * Told when a budget's spending reaches its {@link Budget#warnAt()} threshold (see
 * {@link BudgetLedger}).
 */
@FunctionalInterface
interface BudgetWarningListener {

	/** A listener that ignores warnings. */
	BudgetWarningListener NONE = (budget, spent, resetsAt) -> {
	};

	/**
	 * A budget reached its warning threshold; called once per window, never under the ledger's
	 * lock.
	 * @param budget the budget
	 * @param spent its spending in the current window, in base units
	 * @param resetsAt when it is full again (see {@link BudgetStatus#resetsAt()})
	 */
	void onWarning(Budget budget, long spent, Instant resetsAt);

}
