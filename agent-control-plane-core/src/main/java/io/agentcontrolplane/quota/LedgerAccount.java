package io.agentcontrolplane.quota;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;

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
	 * The account of a budget: kept by the store when it keeps budgets, else in this JVM.
	 * @param timeMeter the time of duration windows in this JVM
	 * @param clock the wall clock of calendar windows
	 * @param zone the zone where calendar windows start
	 * @param store makes the store-kept balance of a budget
	 */
	static LedgerAccount of(Budget budget, TimeMeter timeMeter, Clock clock, ZoneId zone, StoreAccounts store) {
		BudgetAccount local = (budget.window().isCalendar() || budget.limitInBaseUnits() == 0)
				? new CalendarAccount(budget, clock, zone) : new SmoothAccount(budget, timeMeter, clock);
		// A zero limit denies every positive amount and never refills: nothing to share.
		BudgetAccount kept = (budget.limitInBaseUnits() > 0) ? store.create(budget, clock, zone, local) : null;
		return new LedgerAccount(budget, (kept != null) ? kept : local, kept != null, timeMeter);
	}

	/** Whether some of the accounts are kept by the store. */
	static boolean anyShared(LedgerAccount[] accounts) {
		for (LedgerAccount account : accounts) {
			if (account.shared) {
				return true;
			}
		}
		return false;
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
	 * The accounts of replacement budgets: an unchanged budget keeps its account; a budget with
	 * the unit and window of an old one gets a new account that {@linkplain #takeOver takes it
	 * over}; a new budget gets a new account; an old account left without a match is retired.
	 * Called under the ledger's lock.
	 */
	static LedgerAccount[] replace(LedgerAccount[] old, List<Budget> replacement,
			Function<Budget, LedgerAccount> newAccount) {
		boolean[] kept = new boolean[old.length];
		LedgerAccount[] next = new LedgerAccount[replacement.size()];
		for (int j = 0; j < next.length; j++) {
			Budget budget = replacement.get(j);
			int match = -1;
			for (int i = 0; i < old.length && match < 0; i++) {
				if (!kept[i] && old[i].budget.unit() == budget.unit() && old[i].budget.window().equals(budget.window())) {
					match = i;
				}
			}
			if (match >= 0) {
				kept[match] = true;
			}
			if (match >= 0 && old[match].budget.equals(budget)) {
				next[j] = old[match];
			}
			else {
				next[j] = newAccount.apply(budget);
				if (match >= 0) {
					next[j].takeOver(old[match]);
				}
			}
		}
		for (int i = 0; i < old.length; i++) {
			if (!kept[i]) {
				old[i].retired = true;
			}
		}
		return next;
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
	 * The warnings due after a charge of the amounts to the accounts (a null account is skipped).
	 */
	static List<Warning> warningsReached(@Nullable LedgerAccount[] accounts, long[] charged) {
		List<Warning> reached = null;
		for (int i = 0; i < accounts.length; i++) {
			LedgerAccount account = accounts[i];
			if (account != null && charged[i] > 0) {
				Warning warning = account.warningReached();
				if (warning != null) {
					if (reached == null) {
						reached = new ArrayList<>(1);
					}
					reached.add(warning);
				}
			}
		}
		return (reached != null) ? reached : List.of();
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
