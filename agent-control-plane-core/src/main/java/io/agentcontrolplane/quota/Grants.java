package io.agentcontrolplane.quota;

import org.jspecify.annotations.Nullable;

/**
 * Makes the {@link Permit} for a lease just taken: counts the wait, claims an age cell when the
 * engine tracks permit ages, reads the timer for the hold time when the engine measures hold
 * times ({@code Builder.measureHoldTimes}), and tells the listeners. A grant at once with neither ages nor hold times reads no clock.
 */
final class Grants {

	private final CompositeListener listeners;

	private final EngineTime time;

	private final boolean measureHoldTimes;

	Grants(CompositeListener listeners, EngineTime time, boolean measureHoldTimes) {
		this.listeners = listeners;
		this.time = time;
		this.measureHoldTimes = measureHoldTimes;
	}

	/**
	 * {@link #grant}, giving the lease and the reservation back if making the permit fails, so
	 * that nothing is lost.
	 */
	Permit grantOrRevoke(AgentState state, long lease, long waitedNanos,
			@Nullable Reservation reservation) {
		try {
			return grant(state, lease, waitedNanos, reservation);
		}
		catch (Throwable ex) {
			if (reservation != null) {
				reservation.refund();
			}
			state.permits().revoke(lease);
			throw ex;
		}
	}

	Permit grant(AgentState state, long lease, long waitedNanos) {
		return grant(state, lease, waitedNanos, null);
	}

	/**
	 * Make the permit for a lease taken, holding the reservation it will settle, if any.
	 */
	Permit grant(AgentState state, long lease, long waitedNanos, @Nullable Reservation reservation) {
		state.countWaitBeforeGrant(waitedNanos);
		boolean timed = this.measureHoldTimes;
		PermitAges ages = state.ages();
		long nanos = (timed || (ages != null && this.time.isSystemTimer())) ? System.nanoTime() : -1;
		long grantedAt = 0;
		int ageCell = PermitAges.OVERFLOW;
		if (ages != null) {
			grantedAt = this.time.isSystemTimer() ? nanos : this.time.nanos();
			ageCell = ages.claim(grantedAt);
		}
		TrackedPermit permit;
		try {
			long acquiredNanos = timed ? nanos : -1;
			permit = (reservation != null)
					? new BudgetedPermit(state, state.quota(), this.listeners, lease, acquiredNanos, ageCell, reservation)
					: new TrackedPermit(state, state.quota(), this.listeners, lease, acquiredNanos, ageCell);
		}
		catch (Throwable ex) {
			if (ages != null) {
				ages.release(ageCell, null);
			}
			throw ex;
		}
		if (ages != null && ageCell == PermitAges.OVERFLOW) {
			ages.addOverflow(permit, grantedAt);
		}
		if (this.listeners.tellsAcquired()) {
			this.listeners.onAcquired(state.agentId(), waitedNanos);
		}
		return permit;
	}

	/**
	 * A slot was taken (slots have no permit object and no hold time).
	 */
	void slotTaken(AgentState state) {
		if (this.listeners.tellsAcquired()) {
			this.listeners.onAcquired(state.agentId(), 0);
		}
	}

	/**
	 * A slot was given back.
	 */
	void slotReleased(AgentState state) {
		if (this.listeners.tellsReleased()) {
			this.listeners.onReleased(state.agentId(), -1);
		}
	}

}
