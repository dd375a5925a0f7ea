package io.agentcontrolplane.quota;

/**
 * Observes what a {@link PolicyEngine} does, so that metrics can be recorded without the core
 * knowing any metrics library. Every method has an empty default. Listeners are called on the
 * thread doing the work and must be fast and must not throw; an exception thrown by a listener is
 * caught and ignored by the engine so that accounting is never disturbed.
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

}
