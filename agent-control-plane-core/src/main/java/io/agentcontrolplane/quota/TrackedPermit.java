package io.agentcontrolplane.quota;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

/**
 * A permit of an agent with a quota. Closing it returns its lease to the state it came from,
 * exactly once (a CAS on one field decides), however many threads close it; it also empties
 * its age cell and reports how long it was held.
 */
final class TrackedPermit implements Permit {

	private static final VarHandle CLOSED;

	static {
		try {
			CLOSED = MethodHandles.lookup().findVarHandle(TrackedPermit.class, "closed", int.class);
		}
		catch (ReflectiveOperationException ex) {
			throw new ExceptionInInitializerError(ex);
		}
	}

	private final AgentState state;

	private final CompositeListener listeners;

	private final ResourceQuota quota;

	private final long lease;

	/** When it was granted on {@link System#nanoTime()}, or {@code -1} when hold times are not measured. */
	private final long acquiredNanos;

	/** The cell of the agent's {@link PermitAges} this permit claimed, when ages are tracked. */
	private final int ageCell;

	/** The estimate this permit reserved from the agent's listed budgets, {@code null} when none. */
	private final @Nullable Reservation reservation;

	private volatile int closed;

	TrackedPermit(AgentState state, ResourceQuota quota, CompositeListener listeners, long lease, long acquiredNanos,
			int ageCell, @Nullable Reservation reservation) {
		this.reservation = reservation;
		this.state = state;
		this.quota = quota;
		this.listeners = listeners;
		this.lease = lease;
		this.acquiredNanos = acquiredNanos;
		this.ageCell = ageCell;
	}

	@Override
	public String agentId() {
		return this.state.agentId();
	}

	@Override
	public Optional<ResourceQuota> quota() {
		return Optional.of(this.quota);
	}

	@Override
	public void settle(Usage actual) {
		Reservation reservation = this.reservation;
		if (reservation != null) {
			reservation.settle(actual);
		}
		this.state.reportUsage(actual);
	}

	@Override
	public void refund() {
		Reservation reservation = this.reservation;
		if (reservation != null) {
			reservation.refund();
		}
	}

	@Override
	public void close() {
		if (this.closed != 0 || !CLOSED.compareAndSet(this, 0, 1)) {
			return;
		}
		Reservation reservation = this.reservation;
		if (reservation != null) {
			// Not settled: the estimate stays charged, the safe assumption.
			reservation.close();
		}
		AgentState state = this.state;
		PermitAges ages = state.ages();
		if (ages != null) {
			ages.release(this.ageCell, this);
		}
		state.permits().release(this.lease);
		long held = -1;
		if (this.acquiredNanos >= 0) {
			held = System.nanoTime() - this.acquiredNanos;
			state.countHold(held);
		}
		if (!this.listeners.isEmpty()) {
			this.listeners.onReleased(state.agentId(), held);
		}
	}

	@Override
	public String toString() {
		return "Permit[agentId=" + this.state.agentId() + ", closed=" + (this.closed != 0) + "]";
	}

}
