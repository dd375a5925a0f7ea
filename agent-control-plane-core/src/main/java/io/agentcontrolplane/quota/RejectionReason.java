package io.agentcontrolplane.quota;

/**
 * Why a call was refused by a {@link PolicyEngine}.
 */
public enum RejectionReason {
	/** Every execution slot of the agent was taken (and waiting, if allowed, timed out). */
	CONCURRENCY_LIMIT,
	/** The agent's per-minute or per-hour request budget was spent. */
	RATE_LIMIT,
	/** The action type is not in the agent's allowed action types. */
	ACTION_NOT_ALLOWED,
	/** The agent has no quota and the engine's policy is {@link UnknownAgentPolicy#REJECT}. */
	UNKNOWN_AGENT,
	/**
	 * The cluster-wide store that keeps the agent's permits or rate budget could not be reached
	 * and is configured to fail closed (see {@link PermitStoreUnavailableException}).
	 */
	STORE_UNAVAILABLE,
	/**
	 * One of the agent's token, cost or request {@link Budget budgets} cannot cover the call's
	 * estimate in its current window; {@link QuotaExceededException#budget()} names the budget
	 * and {@link QuotaExceededException#retryAfter()} says when it will (empty when it never
	 * can, because the estimate is larger than the limit).
	 */
	BUDGET_EXHAUSTED
}
