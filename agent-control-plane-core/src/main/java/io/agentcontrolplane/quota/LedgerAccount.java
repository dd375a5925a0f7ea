package io.agentcontrolplane.quota;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.concurrent.locks.ReentrantLock;

import io.agentcontrolplane.quota.PermitStore.BudgetAccount;
import io.github.bucket4j.TimeMeter;
import org.jspecify.annotations.Nullable;

/**
 * One budget in a {@link BudgetLedger}: its {@link BudgetAccount} (the balance, kept in this JVM
 * or {@linkplain #shared() by the permit store}), its warning state, and where its spending went
 * when the ledger's budgets were replaced. It answers the amounts every account treats alike
 * (zero, and more than the whole limit) so that an account only ever sees amounts it can hold.
 * Warnings are this instance's: with a shared balance each instance warns once per window.
 */
final class LedgerAccount {

	final Budget budget;

	final long limit;

	private final long warnThreshold;

	private final BudgetAccount balance;

	private final boolean shared;

	private final TimeMeter timeMeter;

	/** The account that replaced this one, see {@link BudgetLedger#replaceBudgets}. */
	private volatile @Nullable LedgerAccount successor;

	/** Whether this account's budget was removed without a replacement. */
	private volatile boolean retired;

	/** Guards the warning state below; taken only when a budget reaches its threshold. */
	private final ReentrantLock warningLock = new ReentrantLock();

	private boolean warned;

	/** For a duration window: when the last warning was given ({@link TimeMeter} nanos). */
	private long lastWarningNanos;

	/** For a calendar window: the window of the last warning. */
	private long warnedIn;

	LedgerAccount(Budget budget, BudgetAccount balance, boolean shared, TimeMeter timeMeter) {
		this.budget = budget;
		this.limit = budget.limitInBaseUnits();
		this.warnThreshold = budget.warnThreshold();
		this.balance = balance;
		this.shared = shared;
		this.timeMeter = timeMeter;
	}

	/**
	 * Whether the balance is kept by the permit store, shared with other instances (and reached
	 * over the network), rather than in this JVM.
	 */
	boolean shared() {
		return this.shared;
	}

	/**
	 * Whether forgetting this account gives nothing away: its budget is full, or the store keeps
	 * the balance (an account made again finds the spending there).
	 */
	boolean isFull() {
		return this.shared || available() >= this.limit;
	}

	/**
	 * The account of a budget kept in this JVM.
	 */
	static BudgetAccount local(Budget budget, TimeMeter timeMeter, Clock clock, ZoneId zone) {
		if (budget.window().isCalendar() || budget.limitInBaseUnits() == 0) {
			return new CalendarAccount(budget, clock, zone);
		}
		return new SmoothAccount(budget, timeMeter, clock);
	}

	/**
	 * The account that now counts what this one counted: itself, its latest replacement, or
	 * {@code null} when its budget was removed.
	 */
	@Nullable LedgerAccount current() {
		LedgerAccount account = this;
		LedgerAccount next = account.successor;
		while (next != null) {
			account = next;
			next = account.successor;
		}
		return account.retired ? null : account;
	}

	void retire() {
		this.retired = true;
	}

	/**
	 * Start from what the replaced account had spent in the current window and from its
	 * warning state, and send its open reservations here. Between two store-kept accounts the
	 * store already carries the spending over (it keys it by unit and window, not by limit).
	 */
	void takeOver(LedgerAccount replaced) {
		long spent = (this.shared && replaced.shared) ? 0 : replaced.limit - replaced.available();
		if (spent > 0) {
			charge(spent);
		}
		replaced.warningLock.lock();
		try {
			this.warned = replaced.warned;
			this.lastWarningNanos = replaced.lastWarningNanos;
			this.warnedIn = replaced.warnedIn;
		}
		finally {
			replaced.warningLock.unlock();
		}
		replaced.successor = this;
	}

	/**
	 * Take the amount if the budget holds it now.
	 * @return {@code 0} when taken, else the nanoseconds until the budget holds it;
	 * {@link Long#MAX_VALUE} when it never will (the amount is larger than the limit)
	 */
	long tryCharge(long amount) {
		if (amount == 0) {
			return 0;
		}
		return (amount > this.limit) ? Long.MAX_VALUE : this.balance.tryCharge(amount);
	}

	/**
	 * Nanoseconds until this budget holds the amount: {@code 0} when it does now,
	 * {@link Long#MAX_VALUE} when it never will (the amount is larger than the limit).
	 */
	long nanosUntilCovers(long amount) {
		if (amount == 0) {
			return 0;
		}
		return (amount > this.limit) ? Long.MAX_VALUE : this.balance.nanosUntilHolds(amount);
	}

	/** Take the amount, going below zero if need be. */
	void charge(long amount) {
		if (amount > 0) {
			this.balance.charge(amount);
		}
	}

	/** Give the amount back, never above the limit, and only to the window it was taken from. */
	void giveBack(long amount, long window) {
		if (amount > 0) {
			this.balance.giveBack(amount, window);
		}
	}

	long available() {
		return this.balance.available();
	}

	long window() {
		return this.balance.window();
	}

	Instant resetsAt() {
		return this.balance.resetsAt();
	}

	/**
	 * The warning due after a charge, remembering that it was given: once per calendar window,
	 * and for a duration window at most once per window's duration.
	 * @return the warning, or {@code null} when none is due
	 */
	@Nullable Warning warningReached() {
		if (this.warnThreshold < 0) {
			return null;
		}
		long spent = this.limit - available();
		if (spent < this.warnThreshold || !takeWarning()) {
			return null;
		}
		return new Warning(this.budget, spent, resetsAt());
	}

	private boolean takeWarning() {
		boolean calendar = this.budget.window().isCalendar();
		if (!calendar && this.limit == 0) {
			// A zero-limit duration budget has no window to warn once in.
			return false;
		}
		long window = calendar ? window() : 0;
		long now = calendar ? 0 : this.timeMeter.currentTimeNanos();
		this.warningLock.lock();
		try {
			if (this.warned && (calendar ? this.warnedIn == window
					: now - this.lastWarningNanos < this.budget.window().duration().orElseThrow().toNanos())) {
				return false;
			}
			this.warned = true;
			this.warnedIn = window;
			this.lastWarningNanos = now;
			return true;
		}
		finally {
			this.warningLock.unlock();
		}
	}

	/**
	 * A budget that reached its warning threshold.
	 *
	 * @param budget the budget
	 * @param spent its spending in the current window, in base units
	 * @param resetsAt when it is full again
	 */
	record Warning(Budget budget, long spent, Instant resetsAt) {
	}

}
