package io.agentcontrolplane.quota;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

import org.jspecify.annotations.Nullable;

/**
 * An estimate charged to every budget of a {@link BudgetLedger}, waiting for the call's real
 * usage. It is settled, refunded or closed once; the ledger does the arithmetic.
 */
final class Reservation implements BudgetLedger.Admission, AutoCloseable {

	private final BudgetLedger ledger;

	private final Usage estimate;

	/** The accounts charged; each may since have been replaced (see {@link LedgerAccount#current()}). */
	private final LedgerAccount[] accounts;

	private final long[] charged;

	/** The window each charge fell in; a refund to a calendar window that has ended is dropped. */
	private final long[] windows;

	/** How the reservation ended, {@code null} while open; set once. */
	private final AtomicReference<@Nullable String> closedBy = new AtomicReference<>();

	Reservation(BudgetLedger ledger, Usage estimate, LedgerAccount[] accounts, long[] charged, long[] windows) {
		this.ledger = ledger;
		this.estimate = estimate;
		this.accounts = accounts;
		this.charged = charged;
		this.windows = windows;
	}

	/**
	 * The estimate this reservation charged.
	 * @return the estimate
	 */
	Usage estimate() {
		return this.estimate;
	}

	/**
	 * What this reservation charged to each budget, in base units, in the ledger's order.
	 * @return a copy of the charges
	 */
	long[] charged() {
		return this.charged.clone();
	}

	LedgerAccount[] accounts() {
		return this.accounts;
	}

	long charged(int index) {
		return this.charged[index];
	}

	long window(int index) {
		return this.windows[index];
	}

	/**
	 * Replace the estimate by the real usage: give back what the estimate charged too much,
	 * charge what it charged too little, even past zero.
	 * @param actual what the call really spent
	 * @throws IllegalArgumentException when a cost budget cannot price the usage; nothing is
	 * changed and the reservation stays open
	 * @throws IllegalStateException when the reservation was already settled, refunded or
	 * closed
	 */
	void settle(Usage actual) {
		this.ledger.settle(this, Objects.requireNonNull(actual, "actual"));
	}

	/**
	 * Give back the whole estimate, for a call that failed before it reached the provider.
	 * @throws IllegalStateException when the reservation was already settled, refunded or
	 * closed
	 */
	void refund() {
		this.ledger.refund(this);
	}

	/**
	 * Close the reservation; when it was neither settled nor refunded, the estimate stays
	 * charged. Idempotent.
	 */
	@Override
	public void close() {
		this.closedBy.compareAndSet(null, "closed");
	}

	/**
	 * Whether the reservation can still be settled or refunded.
	 * @return {@code true} until settled, refunded or closed
	 */
	boolean isOpen() {
		return this.closedBy.get() == null;
	}

	/**
	 * End the reservation, so that exactly one settlement or refund does its arithmetic.
	 * @throws IllegalStateException when it had ended already
	 */
	void finish(String how) {
		if (!this.closedBy.compareAndSet(null, how)) {
			throw new IllegalStateException("reservation of " + this.estimate + " was already " + this.closedBy.get());
		}
	}

}
