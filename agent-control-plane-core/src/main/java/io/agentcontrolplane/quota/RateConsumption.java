package io.agentcontrolplane.quota;

import org.jspecify.annotations.Nullable;

/**
 * The one place where an agent's budgets are consumed: every admission that counts against
 * them ({@code admit}, {@code admitAsync}, {@code tryAdmit}, {@code checkRateLimit}) takes its
 * units here, all or nothing. Two kinds of budget take part: the per-minute and per-hour request
 * budgets of {@link ResourceQuota#maxRequestsPerMinute()} and
 * {@link ResourceQuota#maxRequestsPerHour()} ({@link RateBudget}), and the budgets of every unit
 * listed in {@link ResourceQuota#budgets()} ({@link BudgetLedger}), which reserve the call's
 * estimate. A refusal by either gives back what the other took, so a refused call consumes
 * nothing. An agent without listed budgets pays one null check for them.
 */
final class RateConsumption {

	/** The answer of {@link #tryConsume} when the units were taken. */
	static final long CONSUMED = RateBudget.CONSUMED;

	/** What a call admitted without an estimate reserves from listed budgets: one request. */
	static final Usage ONE_REQUEST = Usage.requests(1);

	private final Rejections rejections;

	RateConsumption(Rejections rejections) {
		this.rejections = rejections;
	}

	/**
	 * Take one request from every request budget of the agent ({@link RateBudget}), or from none.
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

	/**
	 * Take a call's units from every budget of the agent, or from none: reserve the estimate in
	 * the agent's ledger (when it has one), then take one request from its request budgets;
	 * when those refuse, the reservation is refunded.
	 * @param state the agent
	 * @param estimate what the call is expected to spend; {@code null} reserves one request
	 * @param waitedNanos how long the caller waited for its permit, counted with a refusal
	 * @return the reservation the permit will settle, or {@code null} when the agent has no
	 * listed budgets
	 * @throws QuotaExceededException when a budget refuses ({@link RejectionReason#RATE_LIMIT}
	 * or {@link RejectionReason#BUDGET_EXHAUSTED}), counted; nothing was taken
	 * @throws PermitStoreUnavailableException when a store-kept budget cannot be reached
	 * (nothing was taken)
	 * @throws IllegalArgumentException when a cost budget cannot price the estimate (nothing
	 * was taken)
	 */
	@Nullable Reservation consume(AgentState state, @Nullable Usage estimate, long waitedNanos) {
		BudgetLedger ledger = state.ledger();
		if (ledger == null) {
			long retry = tryConsume(state);
			if (retry != CONSUMED) {
				throw this.rejections.of(state, RejectionReason.RATE_LIMIT, waitedNanos, retry);
			}
			return null;
		}
		BudgetLedger.Admission answer = ledger.reserve((estimate != null) ? estimate : ONE_REQUEST);
		if (answer instanceof Refusal refusal) {
			throw this.rejections.budgetExhausted(state, refusal, waitedNanos);
		}
		Reservation reservation = (Reservation) answer;
		long retry;
		try {
			retry = tryConsume(state);
		}
		catch (Throwable ex) {
			reservation.refund();
			throw ex;
		}
		if (retry != CONSUMED) {
			reservation.refund();
			throw this.rejections.of(state, RejectionReason.RATE_LIMIT, waitedNanos, retry);
		}
		return reservation;
	}

}
