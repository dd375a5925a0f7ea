package io.agentcontrolplane.quota;

import java.time.Instant;

/**
 * Observes what a {@link PolicyEngine} does, so that metrics can be recorded without the core
 * knowing any metrics library. Every method has an empty default. Listeners are called on the
 * thread doing the work and must be fast and must not throw; an exception thrown by a listener is
 * caught and ignored by the engine so that accounting is never disturbed.
 * <p>
 * The events of every call ({@link #onAcquired}, {@link #onReleased}, {@link #onRejected}) are
 * delivered only to listeners whose class overrides them (looked up once, when the listener is
 * added): a listener for budget warnings or agent changes alone adds nothing to an admission.
 */
public interface QuotaListener {

	/**
	 * A concurrency permit (or execution slot) was granted.
	 * @param agentId the agent
	 * @param waitNanos how long the caller waited for it, {@code 0} when granted at once
	 */
	default void onAcquired(String agentId, long waitNanos) {
	}

	/**
	 * A call was refused. Nothing was consumed.
	 * @param agentId the agent
	 * @param reason why
	 * @param waitNanos how long the caller waited before being refused, {@code 0} when at once
	 */
	default void onRejected(String agentId, RejectionReason reason, long waitNanos) {
	}

	/**
	 * A permit (or execution slot) was returned.
	 * @param agentId the agent
	 * @param heldNanos how long it was held, or {@code -1} when unknown (slots released with
	 * {@link PolicyEngine#releaseExecutionSlot(String)} carry no acquisition time)
	 */
	default void onReleased(String agentId, long heldNanos) {
	}

	/**
	 * An agent became known to the engine: a quota was set, or a dynamic quota was created.
	 * @param agentId the agent
	 */
	default void onAgentAdded(String agentId) {
	}

	/**
	 * An agent was removed from the engine (explicitly, or evicted while idle).
	 * @param agentId the agent
	 */
	default void onAgentRemoved(String agentId) {
	}

	/**
	 * The quota of a known agent was replaced ({@link PolicyEngine#setQuota} on an agent that
	 * had one, {@link PolicyEngine#updateQuota}), so its limits and budgets may differ from
	 * before. Told after the change, outside the engine's locks; an agent that becomes known is
	 * told with {@link #onAgentAdded(String)} instead.
	 * @param agentId the agent
	 */
	default void onQuotaChanged(String agentId) {
	}

	/**
	 * A budget's spending in its window reached its {@link Budget#warnAt() warning threshold}.
	 * Told once per window (for a duration window, at most once per window's duration), after
	 * the charge that reached it.
	 * @param agentId the agent
	 * @param budget the budget
	 * @param spent what the budget has spent in its window, in base units
	 * ({@link BudgetUnit#fromBaseUnits(long)} gives the amount)
	 * @param resetsAt when the budget is full again
	 */
	default void onBudgetWarning(String agentId, Budget budget, long spent, Instant resetsAt) {
	}

	/**
	 * A permit settled the real usage of its call ({@link Permit#settle(Usage)}). Told once per
	 * unit the call spent: requests, tokens (input plus output), input tokens, output tokens and,
	 * when the engine has pricing, cost.
	 * @param agentId the agent
	 * @param unit the unit
	 * @param amount what the call spent, in base units of the unit ({@code > 0})
	 */
	default void onUsage(String agentId, BudgetUnit unit, long amount) {
	}

}
