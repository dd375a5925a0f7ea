package io.agentcontrolplane.quota;

import java.util.Optional;

/**
 * One execution slot held for an agent. Closing it returns the slot; closing it again, or from
 * several threads at once, returns it exactly once.
 * <p>
 * A permit of an agent whose quota lists {@link ResourceQuota#budgets() budgets} also holds the
 * estimate it reserved (see {@link PolicyEngine#admit(String, ActionType, Usage)}). Before
 * closing it, the caller either {@linkplain #settle(Usage) settles} the call's real usage or,
 * when the call failed before it reached the provider, {@linkplain #refund() refunds} the whole
 * estimate. A permit closed without either keeps the estimate charged (the safe assumption
 * when the real usage is unknown). A permit settles or refunds once.
 */
public interface Permit extends AutoCloseable {

	/**
	 * The agent this permit was taken for.
	 * @return the agent id
	 */
	String agentId();

	/**
	 * The quota this permit was granted under, so that limits that apply while it is held (such
	 * as {@link ResourceQuota#maxExecutionTime()}) are the ones in force at the grant, whatever
	 * changed since.
	 * @return the quota, or empty for an agent without one (an unknown agent under
	 * {@link UnknownAgentPolicy#ALLOW})
	 */
	default Optional<ResourceQuota> quota() {
		return Optional.empty();
	}

	/**
	 * Replace the estimate this permit reserved by what the call really spent: the difference is
	 * given back to each budget, or charged to it even past zero (an overdraft that later callers
	 * wait out), so every budget ends at what was really spent. Listeners are told the usage
	 * ({@link QuotaListener#onUsage}). Call it before {@link #close()}. The default does
	 * nothing: a permit of an agent without budgets has nothing to settle.
	 * @param actual what the call really spent, for example
	 * {@code Usage.of(model, inputTokens, outputTokens)}
	 * @throws IllegalArgumentException when a cost budget cannot price the usage (its model has
	 * no price); nothing changes and the permit can still be settled or refunded
	 * @throws IllegalStateException when the permit's reservation was already settled, refunded
	 * or closed
	 */
	default void settle(Usage actual) {
	}

	/**
	 * Give back the whole estimate this permit reserved, for a call that failed before it
	 * reached the provider (nothing was spent). Call it before {@link #close()}. The default does
	 * nothing: a permit of an agent without budgets has nothing to give back.
	 * @throws IllegalStateException when the permit's reservation was already settled, refunded
	 * or closed
	 */
	default void refund() {
	}

	/**
	 * Returns the slot to the agent's quota. Idempotent and thread-safe. An estimate neither
	 * settled nor refunded stays charged.
	 */
	@Override
	void close();

}
