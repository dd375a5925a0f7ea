package io.agentcontrolplane.quota;

/**
 * A permit that reserved an estimate from the agent's listed budgets ({@link BudgetLedger}):
 * {@link #settle(Usage)} replaces the estimate by the real usage, {@link #refund()} gives it all
 * back, and closing it without either keeps the estimate charged, the safe assumption.
 */
final class BudgetedPermit extends TrackedPermit {

	private final Reservation reservation;

	BudgetedPermit(AgentState state, ResourceQuota quota, CompositeListener listeners, long lease, long acquiredNanos,
			int ageCell, Reservation reservation) {
		super(state, quota, listeners, lease, acquiredNanos, ageCell);
		this.reservation = reservation;
	}

	@Override
	public void settle(Usage actual) {
		this.reservation.settle(actual);
		super.settle(actual);
	}

	@Override
	public void refund() {
		this.reservation.refund();
	}

	@Override
	void beforeRelease() {
		// Not settled: the estimate stays charged. A settled or refunded reservation ignores it.
		this.reservation.close();
	}

}
