package io.agentcontrolplane.quota;

import java.time.Duration;

/**
 * Every refusal of an engine: counting it on the agent, telling the listeners, and (for the
 * forms that throw) the {@link QuotaExceededException} with a message naming the agent, the
 * reason and the limit. The boolean and {@link java.util.Optional} forms of the engine count a
 * refusal without building an exception.
 */
final class Rejections {

	private final CompositeListener listeners;

	private final UnknownAgentPolicy unknownAgentPolicy;

	Rejections(CompositeListener listeners, UnknownAgentPolicy unknownAgentPolicy) {
		this.listeners = listeners;
		this.unknownAgentPolicy = unknownAgentPolicy;
	}

	/**
	 * Count a refusal and tell the listeners.
	 */
	void count(AgentState state, RejectionReason reason, long waitedNanos) {
		state.countRejection(reason, waitedNanos);
		if (this.listeners.tellsRejected()) {
			this.listeners.onRejected(state.agentId(), reason, waitedNanos);
		}
	}

	/**
	 * Count a refusal, tell the listeners, and describe it.
	 * @param retryNanos for {@link RejectionReason#RATE_LIMIT}, the wait until a retry may
	 * succeed ({@link Long#MAX_VALUE} when never)
	 */
	QuotaExceededException of(AgentState state, RejectionReason reason, long waitedNanos, long retryNanos) {
		count(state, reason, waitedNanos);
		Duration retryAfter = (reason == RejectionReason.RATE_LIMIT && retryNanos > 0 && retryNanos != Long.MAX_VALUE)
				? Duration.ofNanos(retryNanos) : null;
		return new QuotaExceededException(state.agentId(), reason, describe(state, reason, retryNanos), retryAfter);
	}

	/**
	 * Count a refusal by a listed budget, tell the listeners, and describe it: the exception
	 * names the budget's unit, limit and window and carries the exact wait.
	 */
	QuotaExceededException budgetExhausted(AgentState state, Refusal refusal, long waitedNanos) {
		count(state, RejectionReason.BUDGET_EXHAUSTED, waitedNanos);
		return refusal.toException(state.agentId());
	}

	QuotaExceededException concurrency(AgentState state, long waitedNanos) {
		return of(state, RejectionReason.CONCURRENCY_LIMIT, waitedNanos, 0);
	}

	QuotaExceededException actionNotAllowed(AgentState state, ResourceQuota quota, ActionType action) {
		return actionNotAllowed(state, quota, action.actionName());
	}

	QuotaExceededException actionNotAllowed(AgentState state, ResourceQuota quota, String action) {
		count(state, RejectionReason.ACTION_NOT_ALLOWED, 0);
		return new QuotaExceededException(state.agentId(), RejectionReason.ACTION_NOT_ALLOWED,
				"Agent '" + state.agentId() + "' refused (ACTION_NOT_ALLOWED): action '" + action
						+ "' is not in its allowed actions " + quota.allowedActions(),
				null);
	}

	QuotaExceededException storeUnavailable(AgentState state, PermitStoreUnavailableException ex, long waitedNanos) {
		count(state, RejectionReason.STORE_UNAVAILABLE, waitedNanos);
		QuotaExceededException rejection = new QuotaExceededException(state.agentId(),
				RejectionReason.STORE_UNAVAILABLE,
				"Agent '" + state.agentId() + "' refused (STORE_UNAVAILABLE): " + ex.getMessage(), null);
		rejection.initCause(ex);
		return rejection;
	}

	QuotaExceededException removedWhileWaiting(AgentState state, long waitedNanos) {
		count(state, RejectionReason.UNKNOWN_AGENT, waitedNanos);
		return new QuotaExceededException(state.agentId(), RejectionReason.UNKNOWN_AGENT,
				"Agent '" + state.agentId() + "' refused (UNKNOWN_AGENT): its quota was removed while waiting", null);
	}

	/**
	 * Whether an agent without a quota may go on; tells the listeners of the refusal when not.
	 */
	boolean unknownAllowed(String agentId) {
		if (this.unknownAgentPolicy == UnknownAgentPolicy.ALLOW) {
			return true;
		}
		if (this.listeners.tellsRejected()) {
			this.listeners.onRejected(agentId, RejectionReason.UNKNOWN_AGENT, 0);
		}
		return false;
	}

	QuotaExceededException unknownAgent(String agentId) {
		return new QuotaExceededException(agentId, RejectionReason.UNKNOWN_AGENT, "Agent '" + agentId
				+ "' refused (UNKNOWN_AGENT): it has no quota and the unknown-agent policy is "
				+ this.unknownAgentPolicy, null);
	}

	static String describe(AgentState state, RejectionReason reason, long retryNanos) {
		ResourceQuota quota = state.quota();
		StringBuilder message = new StringBuilder("Agent '").append(state.agentId())
			.append("' refused (")
			.append(reason)
			.append("): ");
		switch (reason) {
			case CONCURRENCY_LIMIT -> message.append("all ")
				.append(state.permits().limit())
				.append(" execution slots are in use (maxConcurrentExecutions=")
				.append(state.permits().limit())
				.append(", maxWait=")
				.append(DurationFormat.format(quota.maxWait()))
				.append(')');
			case RATE_LIMIT -> {
				message.append("request budget spent (maxRequestsPerMinute=")
					.append(quota.maxRequestsPerMinute().isPresent() ? quota.maxRequestsPerMinute().getAsInt()
							: "unlimited")
					.append(", maxRequestsPerHour=")
					.append(quota.maxRequestsPerHour().isPresent() ? quota.maxRequestsPerHour().getAsInt()
							: "unlimited")
					.append(')');
				if (retryNanos != Long.MAX_VALUE && retryNanos > 0) {
					message.append("; retry after ").append(DurationFormat.format(Duration.ofNanos(retryNanos)));
				}
			}
			default -> message.append(reason);
		}
		return message.toString();
	}

}
