package io.agentcontrolplane.quota;

/**
 * What a {@link PolicyEngine} does with an agent id that has no quota.
 */
public enum UnknownAgentPolicy {
	/** No quota means no limit, as in the original design. */
	ALLOW,
	/** Calls for an agent without a quota are rejected with {@link RejectionReason#UNKNOWN_AGENT}. */
	REJECT,
	/**
	 * The agent's quota is created lazily from the engine's default quota template. Meant for
	 * per-tenant agent ids that come from requests; idle dynamic agents may be evicted.
	 */
	DEFAULT_QUOTA
}
