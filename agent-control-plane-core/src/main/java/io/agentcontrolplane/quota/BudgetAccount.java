package io.agentcontrolplane.quota;

import java.time.Instant;

/**
 * The balance of one budget: what is left of its limit in the current window. Thread-safe.
 * Amounts are in the budget's base units ({@link Budget#limitInBaseUnits()}); every amount
 * passed is {@code > 0} and no larger than the limit where a method says so, because the
 * {@link BudgetLedger} answers zero amounts and amounts above the limit itself.
 */
interface BudgetAccount {

	/**
	 * Take the amount if the budget holds it now, else take nothing.
	 * @param amount the amount, {@code 0 < amount <= limit}
	 * @return {@code 0} when taken, else the nanoseconds until the budget holds it ({@code > 0})
	 */
	long tryCharge(long amount);

	/**
	 * How long until the budget holds the amount, taking nothing.
	 * @param amount the amount, {@code 0 < amount <= limit}
	 * @return {@code 0} when it holds it now, else the nanoseconds until it does ({@code > 0})
	 */
	long nanosUntilHolds(long amount);

	/**
	 * Take the amount even past zero (an overdraft that later callers wait out).
	 * @param amount the amount, {@code > 0}
	 */
	void charge(long amount);

	/**
	 * Give the amount back, never above the limit, and only to the window it was taken from.
	 * @param amount the amount, {@code > 0}
	 * @param window the window it was taken in, as {@link #window()} answered then
	 */
	void giveBack(long amount, long window);

	/**
	 * What is left now, negative while overdrawn.
	 * @return the balance in base units
	 */
	long available();

	/**
	 * The current window: the epoch second of its start for a calendar window, {@code 0} for a
	 * duration window (which has no separate windows).
	 * @return the window
	 */
	long window();

	/**
	 * When the budget holds its whole limit again.
	 * @return now when it is full, else the instant it will be
	 */
	Instant resetsAt();

}
