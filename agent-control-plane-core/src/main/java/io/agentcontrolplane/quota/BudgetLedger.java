package io.agentcontrolplane.quota;

import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

import io.agentcontrolplane.quota.LedgerAccount.Warning;
import io.github.bucket4j.TimeMeter;
import org.jspecify.annotations.Nullable;

/**
 * The token, cost and request budgets of one agent, and the arithmetic of reserving an estimate
 * before a call and settling the real usage after it: all or nothing over the agent's
 * {@link LedgerAccount accounts}, each of which holds one budget's balance in a
 * {@link BudgetAccount}: {@link SmoothAccount} for a duration window and {@link CalendarAccount}
 * for a calendar window in this JVM, or the {@link PermitStore}'s account, shared by every
 * instance, when the store {@linkplain PermitStore#createBudgetAccount keeps budgets}.
 * <p>
 * <b>Reserve.</b> {@link #reserve(Usage)} charges the estimate to every budget, or to none: when
 * any budget cannot cover its share, nothing is charged and the {@link Refusal} names the budget
 * that will take longest to cover it, and exactly how long that is. A budget is never taken below
 * zero by a reservation.
 * <p>
 * <b>Settle.</b> {@link Reservation#settle(Usage)} replaces the estimate by the real usage: an
 * estimate that was too high is given back, one that was too low is charged even past zero, by
 * exactly what the call spent beyond its estimate (down to a depth of about 146 years of refill,
 * the most Bucket4j can repay); the next callers wait it out. Apart from lowering a limit below
 * what was spent (see below), this is the only way a budget goes below zero.
 * {@link Reservation#refund()} gives back the whole estimate (for a call that never reached the
 * provider), and {@link Reservation#close()} without settling keeps the estimate charged. A reservation is settled, refunded or closed once.
 * <p>
 * <b>Windows.</b> Duration windows refill on the ledger's {@link TimeMeter}; calendar windows
 * start in its zone by its {@link Clock}, and an overdraft of one ends with its window. A
 * settlement that comes after its window ended charges an underestimate to the current window
 * (the money was really spent) and drops a refund (the window it belonged to is over).
 * <p>
 * <b>Atomicity.</b> A reservation takes its share from each account in order and, when one
 * refuses (or its store fails), gives back what it took from the accounts before it, so a
 * refusal consumes nothing and a reservation never takes a budget below zero. While every
 * account is in this JVM, every operation runs under one lock per ledger, so no other caller
 * sees a share taken and given back. With store-kept accounts no lock is held across the
 * network: each account's operation is atomic in the store, and a concurrent caller (in any
 * instance) may see, for the length of a round trip, a share that a refused reservation took and
 * is about to give back, and be refused by it. A pricing error is thrown before anything is
 * charged, and warning callbacks run after the lock is released.
 * <p>
 * <b>Replacing budgets.</b> {@link #replaceBudgets(List)} changes the budgets live (a quota
 * replaced while calls are in flight): a budget with the same unit and window as one before keeps
 * what was spent in its window, so raising a limit gives no fresh burst and lowering it below
 * the spending overdraws it; open reservations settle against the replacement. A budget that is
 * gone is no longer counted, and a new one starts full.
 * <p>
 * <b>Warnings.</b> A budget with {@link Budget#warnAt()} calls the {@link BudgetWarningListener}
 * when a charge brings its spending to the threshold or past it (see
 * {@link LedgerAccount#warningReached()}).
 */
final class BudgetLedger {

	private final ReentrantLock lock = new ReentrantLock();

	private final @Nullable Pricing pricing;

	private final TimeMeter timeMeter;

	private final Clock clock;

	private final ZoneId zone;

	private final BudgetWarningListener warnings;

	/** Guarded by {@link #lock}. */
	private List<Budget> budgets;

	/** Makes the store-kept balance of a budget, or answers {@code null} to keep it here. */
	private final StoreAccounts store;

	/** One per budget, in the same order. Guarded by {@link #lock}. */
	private LedgerAccount[] accounts;

	/** Whether some account is store-kept, so that operations run without the lock. */
	private boolean shared;

	/**
	 * Create the ledger of one agent.
	 * @param budgets the budgets, in the order they are checked and reported
	 * @param pricing the prices for cost budgets, {@code null} when there are none
	 * @param timeMeter the time of duration windows (monotonic in production, a test clock in
	 * tests)
	 * @param clock the wall clock of calendar windows and of the reset times in snapshots
	 * @param zone the zone where days, weeks and months begin
	 * @param warnings called when a budget reaches its warning threshold
	 * @throws IllegalArgumentException when a cost budget has no pricing
	 */
	BudgetLedger(List<Budget> budgets, @Nullable Pricing pricing, TimeMeter timeMeter, Clock clock, ZoneId zone,
			BudgetWarningListener warnings) {
		this(budgets, pricing, timeMeter, clock, zone, warnings, StoreAccounts.NONE);
	}

	/**
	 * Create the ledger of one agent whose budgets the permit store may keep.
	 * @param store makes the store-kept balance of a budget (see
	 * {@link PermitStore#createBudgetAccount})
	 * @see #BudgetLedger(List, Pricing, TimeMeter, Clock, ZoneId, BudgetWarningListener)
	 */
	BudgetLedger(List<Budget> budgets, @Nullable Pricing pricing, TimeMeter timeMeter, Clock clock, ZoneId zone,
			BudgetWarningListener warnings, StoreAccounts store) {
		this.pricing = pricing;
		this.store = Objects.requireNonNull(store, "store");
		this.timeMeter = Objects.requireNonNull(timeMeter, "timeMeter");
		this.clock = Objects.requireNonNull(clock, "clock");
		this.zone = Objects.requireNonNull(zone, "zone");
		this.warnings = Objects.requireNonNull(warnings, "warnings");
		this.budgets = checked(budgets);
		this.accounts = new LedgerAccount[this.budgets.size()];
		for (int i = 0; i < this.accounts.length; i++) {
			this.accounts[i] = newAccount(this.budgets.get(i));
		}
		this.shared = LedgerAccount.anyShared(this.accounts);
	}

	private LedgerAccount newAccount(Budget budget) {
		return LedgerAccount.of(budget, this.timeMeter, this.clock, this.zone, this.store);
	}

	/**
	 * Take the lock and read the accounts; release the lock at once when some account is kept
	 * by the store (no lock is held across the network). {@link #leave()} ends what this began.
	 */
	private LedgerAccount[] enter() {
		this.lock.lock();
		LedgerAccount[] accounts = this.accounts;
		if (this.shared) {
			this.lock.unlock();
		}
		return accounts;
	}

	private void leave() {
		if (this.lock.isHeldByCurrentThread()) {
			this.lock.unlock();
		}
	}

	private List<Budget> checked(List<Budget> budgets) {
		List<Budget> copy = List.copyOf(budgets);
		for (Budget budget : copy) {
			if (budget.unit() == BudgetUnit.COST && this.pricing == null) {
				throw new IllegalArgumentException("a cost budget needs pricing, was [" + budget + "] without pricing");
			}
		}
		return copy;
	}

	/**
	 * The budgets of this ledger.
	 * @return the budgets in order
	 */
	List<Budget> budgets() {
		this.lock.lock();
		try {
			return this.budgets;
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Replace the budgets, keeping what was spent: each new budget with the unit and window of
	 * an old one starts from the old one's spending in the current window (its warning state
	 * too); a new budget starts full; an old budget that is not replaced stops counting.
	 * Reservations open on a replaced budget settle and refund against its replacement.
	 * @param budgets the new budgets, in order
	 * @throws IllegalArgumentException when a cost budget has no pricing; nothing changes
	 */
	void replaceBudgets(List<Budget> budgets) {
		List<Budget> replacement = checked(budgets);
		this.lock.lock();
		try {
			LedgerAccount[] next = LedgerAccount.replace(this.accounts, replacement, this::newAccount);
			this.accounts = next;
			this.shared = LedgerAccount.anyShared(next);
			this.budgets = replacement;
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Charge an estimate to every budget, or to none.
	 * @param estimate what the call is expected to spend
	 * @return a {@link Reservation} to settle, or a {@link Refusal} that charged nothing
	 * @throws IllegalArgumentException when a cost budget cannot price the estimate (its model has
	 * no price); nothing is charged
	 */
	Admission reserve(Usage estimate) {
		Objects.requireNonNull(estimate, "estimate");
		List<Warning> reached;
		Reservation reservation;
		LedgerAccount[] accounts = enter();
		try {
			long[] amounts = amountsOf(accounts, estimate, true);
			long[] windows = new long[amounts.length];
			Refusal refusal = chargeAll(accounts, amounts, windows);
			if (refusal != null) {
				return refusal;
			}
			reached = LedgerAccount.warningsReached(accounts, amounts);
			reservation = new Reservation(this, estimate, accounts, amounts, windows);
		}
		finally {
			leave();
		}
		fire(reached);
		return reservation;
	}

	/**
	 * Take each account's share in order; when one refuses (or fails), give back what was taken
	 * from the accounts before it.
	 * @return {@code null} when every share was taken (and {@code windows} filled in), else the
	 * refusal of the budget that takes longest to cover its share
	 */
	private @Nullable Refusal chargeAll(LedgerAccount[] accounts, long[] amounts, long[] windows) {
		int taken = 0;
		long wait = 0;
		try {
			while (taken < accounts.length && (wait = accounts[taken].tryCharge(amounts[taken])) == 0) {
				windows[taken] = accounts[taken].window();
				taken++;
			}
		}
		finally {
			if (taken < accounts.length) {
				giveBack(accounts, amounts, windows, taken);
			}
		}
		if (taken == accounts.length) {
			return null;
		}
		// The accounts before the refusing one held their share; of those after it, the one that
		// waits longest is named (a later one may wait longer than the first to refuse).
		int refusing = taken;
		long longestWait = wait;
		for (int i = taken + 1; i < accounts.length; i++) {
			long next;
			try {
				next = accounts[i].nanosUntilCovers(amounts[i]);
			}
			catch (PermitStoreUnavailableException ex) {
				// The refusal stands; a store that cannot say how long it would wait is left out.
				continue;
			}
			if (next > longestWait) {
				refusing = i;
				longestWait = next;
			}
		}
		LedgerAccount account = accounts[refusing];
		return new Refusal(account.budget, amounts[refusing], account.available(),
				(longestWait == Long.MAX_VALUE) ? null : Duration.ofNanos(longestWait));
	}

	private static void giveBack(LedgerAccount[] accounts, long[] amounts, long[] windows, int taken) {
		for (int i = 0; i < taken; i++) {
			accounts[i].giveBack(amounts[i], windows[i]);
		}
	}

	/**
	 * Settle a reservation, see {@link Reservation#settle(Usage)}.
	 */
	void settle(Reservation reservation, Usage actual) {
		// A replaced account keeps its unit, so the amounts can be computed outside the lock.
		LedgerAccount[] accounts = reservation.accounts();
		long[] amounts = amountsOf(accounts, actual, false);
		List<Warning> reached;
		enter();
		try {
			reservation.finish("settled");
			LedgerAccount[] current = new LedgerAccount[amounts.length];
			long[] extra = new long[amounts.length];
			for (int i = 0; i < amounts.length; i++) {
				LedgerAccount account = accounts[i].current();
				if (account == null) {
					continue;
				}
				current[i] = account;
				long difference = amounts[i] - reservation.charged(i);
				if (difference > 0) {
					account.charge(difference);
					extra[i] = difference;
				}
				else if (difference < 0) {
					account.giveBack(-difference, reservation.window(i));
				}
			}
			reached = LedgerAccount.warningsReached(current, extra);
		}
		finally {
			leave();
		}
		fire(reached);
	}

	/**
	 * Refund a reservation, see {@link Reservation#refund()}.
	 */
	void refund(Reservation reservation) {
		LedgerAccount[] accounts = reservation.accounts();
		enter();
		try {
			reservation.finish("refunded");
			for (int i = 0; i < accounts.length; i++) {
				LedgerAccount account = accounts[i].current();
				if (account != null) {
					account.giveBack(reservation.charged(i), reservation.window(i));
				}
			}
		}
		finally {
			leave();
		}
	}

	/**
	 * Where every budget stands now.
	 * @return one status per budget, in order
	 */
	List<BudgetStatus> statuses() {
		LedgerAccount[] accounts = enter();
		try {
			List<BudgetStatus> statuses = new ArrayList<>(accounts.length);
			for (LedgerAccount account : accounts) {
				statuses.add(new BudgetStatus(account.budget, account.available(), account.resetsAt()));
			}
			return statuses;
		}
		finally {
			leave();
		}
	}

	/**
	 * Whether every budget holds its whole limit, so that forgetting the ledger (evicting an
	 * idle agent) gives nothing away.
	 * @return {@code true} when nothing is spent in any budget kept in this JVM
	 */
	boolean isFull() {
		LedgerAccount[] accounts = enter();
		try {
			for (LedgerAccount account : accounts) {
				if (!account.isFull()) {
					return false;
				}
			}
			return true;
		}
		finally {
			leave();
		}
	}

	private long[] amountsOf(LedgerAccount[] accounts, Usage usage, boolean estimate) {
		long[] amounts = new long[accounts.length];
		for (int i = 0; i < amounts.length; i++) {
			amounts[i] = accounts[i].budget.unit().amountOf(usage, this.pricing, estimate);
		}
		return amounts;
	}

	private void fire(List<Warning> reached) {
		for (Warning warning : reached) {
			try {
				this.warnings.onWarning(warning.budget(), warning.spent(), warning.resetsAt());
			}
			catch (Throwable ex) {
				// A listener must never disturb accounting.
			}
		}
	}

	/**
	 * The answer to {@link #reserve(Usage)}: a {@link Reservation} or a {@link Refusal}.
	 */
	sealed interface Admission permits Reservation, Refusal {

	}

}
