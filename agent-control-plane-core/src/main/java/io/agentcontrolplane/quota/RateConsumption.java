package io.agentcontrolplane.quota;

/**
 * The one place where an agent's budgets are consumed: every admission that counts against
 * the per-minute and per-hour budgets ({@code admit}, {@code admitAsync}, {@code tryAdmit},
 * {@code checkRateLimit}) takes its units here, all or nothing.
 * Budgets of other units (tokens, cost) belong here too, so that an admission is refused by
 * whichever budget is spent and consumes from none of them.
 */
final class RateConsumption {

	/** The answer of {@link #tryConsume} when the units were taken. */
	static final long CONSUMED = RateBudget.CONSUMED;

	RateConsumption() {
	}

	/**
	 * Take one request from every budget of the agent, or from none.
	 * @param state the agent
	 * @return {@link #CONSUMED}, or the nanoseconds until a retry may succeed
	 * ({@link Long#MAX_VALUE} when the budget denies everything)
	 * @throws PermitStoreUnavailableException when a store-kept budget cannot be reached
	 * (nothing was taken)
	 */
	long tryConsume(AgentState state) {
		RateBudget budget = state.rate();
		return (budget != null) ? budget.tryConsume() : CONSUMED;
	}

}
