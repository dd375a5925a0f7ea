package io.agentcontrolplane.quota;

import java.util.Optional;

import org.jspecify.annotations.Nullable;

/**
 * The forms of admission that answer at once and make no {@link Permit} through the pipeline
 * of {@link Admission}: a bare permit ({@code tryAcquire}), an execution slot, a rate check
 * without a permit ({@code checkRateLimit}) and an action check. Each looks the agent up,
 * counts its refusals through {@link Rejections} and never waits; none holds a lock or an
 * atomic of its own.
 */
final class ImmediateAdmission {

	private final AgentRegistry registry;

	private final Rejections rejections;

	private final RateConsumption rate;

	private final Grants grants;

	ImmediateAdmission(AgentRegistry registry, Rejections rejections, RateConsumption rate, Grants grants) {
		this.registry = registry;
		this.rejections = rejections;
		this.rate = rate;
		this.grants = grants;
	}

	/**
	 * Take a permit if one is free, counting a refusal; never waits, never throws for a refusal.
	 */
	Optional<Permit> tryAcquire(String agentId) {
		for (;;) {
			AgentState state;
			try {
				state = this.registry.lookup(agentId);
			}
			catch (QuotaExceededException ex) {
				return Optional.empty();
			}
			if (state == null) {
				return this.rejections.unknownAllowed(agentId) ? Optional.of(new UntrackedPermit(agentId))
						: Optional.empty();
			}
			long lease;
			try {
				lease = state.permits().tryTake();
			}
			catch (PermitStoreUnavailableException ex) {
				this.rejections.count(state, RejectionReason.STORE_UNAVAILABLE, 0);
				return Optional.empty();
			}
			if (lease >= 0) {
				return Optional.of(this.grants.grant(state, lease, 0));
			}
			if (lease == PermitStore.AgentPermits.CLOSED) {
				this.registry.forget(agentId, state);
				continue;
			}
			this.rejections.count(state, RejectionReason.CONCURRENCY_LIMIT, 0);
			return Optional.empty();
		}
	}

	/**
	 * Take an execution slot if one is free; see {@link PolicyEngine#tryAcquireExecutionSlot}.
	 */
	boolean tryAcquireSlot(String agentId) {
		for (;;) {
			AgentState state;
			try {
				state = this.registry.lookup(agentId);
			}
			catch (QuotaExceededException ex) {
				return false;
			}
			if (state == null) {
				return this.rejections.unknownAllowed(agentId);
			}
			long lease;
			try {
				lease = state.tryTakeSlot();
			}
			catch (PermitStoreUnavailableException ex) {
				this.rejections.count(state, RejectionReason.STORE_UNAVAILABLE, 0);
				return false;
			}
			if (lease >= 0) {
				this.grants.slotTaken(state);
				return true;
			}
			if (lease == PermitStore.AgentPermits.CLOSED) {
				this.registry.forget(agentId, state);
				continue;
			}
			this.rejections.count(state, RejectionReason.CONCURRENCY_LIMIT, 0);
			return false;
		}
	}

	/**
	 * Check the action and consume one request; see {@link PolicyEngine#checkRateLimit}.
	 */
	boolean checkRateLimit(String agentId, @Nullable ActionType action) {
		for (;;) {
			AgentState state;
			try {
				state = this.registry.lookup(agentId);
			}
			catch (QuotaExceededException ex) {
				return false;
			}
			if (state == null) {
				return this.rejections.unknownAllowed(agentId);
			}
			if (action != null && !state.quota().allows(action)) {
				this.rejections.count(state, RejectionReason.ACTION_NOT_ALLOWED, 0);
				return false;
			}
			if (!state.isDynamic()) {
				// Only dynamic agents are evicted, and no agent becomes dynamic later: a static
				// agent is charged at once. One that stopped being dynamic because it was
				// evicted this instant (it leaves the registry next) is looked up again.
				if (state.wasEvicted()) {
					Thread.onSpinWait();
					continue;
				}
				return chargeOneRequest(state);
			}
			// No permit keeps the agent from being evicted while its budget is charged: hold off
			// an eviction for the charge instead, or, while one is deciding, wait for it (an
			// instant) and look the agent up again.
			if (!state.enterCharging()) {
				Thread.onSpinWait();
				continue;
			}
			try {
				return chargeOneRequest(state);
			}
			finally {
				state.exitCharging();
			}
		}
	}

	private boolean chargeOneRequest(AgentState state) {
		if (state.ledger() != null) {
			// Budgets of every unit: the same all-or-nothing step as an admission, for one request.
			try {
				Reservation reservation = this.rate.consume(state, null, 0);
				if (reservation != null) {
					reservation.close();
				}
				return true;
			}
			catch (QuotaExceededException ex) {
				return false;
			}
			catch (PermitStoreUnavailableException ex) {
				this.rejections.count(state, RejectionReason.STORE_UNAVAILABLE, 0);
				return false;
			}
		}
		long retry;
		try {
			retry = this.rate.tryConsume(state);
		}
		catch (PermitStoreUnavailableException ex) {
			this.rejections.count(state, RejectionReason.STORE_UNAVAILABLE, 0);
			return false;
		}
		if (retry != RateConsumption.CONSUMED) {
			this.rejections.count(state, RejectionReason.RATE_LIMIT, 0);
			return false;
		}
		return true;
	}

	/**
	 * Check a named action against the agent's allowed actions, counting a refusal; consumes
	 * nothing. See {@link PolicyEngine#checkAction(String, String)}.
	 * @param action the action, in its canonical form
	 */
	void checkAction(String agentId, String action) {
		AgentState state = this.registry.lookup(agentId);
		if (state == null) {
			if (!this.rejections.unknownAllowed(agentId)) {
				throw this.rejections.unknownAgent(agentId);
			}
			return;
		}
		ResourceQuota quota = state.quota();
		if (!quota.allows(action)) {
			throw this.rejections.actionNotAllowed(state, quota, action);
		}
	}

}
