package io.agentcontrolplane.quota;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.EstimationProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.local.LocalBucket;
import org.jspecify.annotations.Nullable;

/**
 * The token, cost and request budgets of one agent, and the arithmetic of reserving an estimate
 * before a call and settling the real usage after it.
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
 * what was spent (see below), this is the only way a budget goes below zero. {@link Reservation#refund()} gives back the whole
 * estimate (for a call that never reached the provider), and {@link Reservation#close()} without
 * settling keeps the estimate charged. A reservation is settled, refunded or closed once.
 * <p>
 * <b>Windows.</b> A duration window is a Bucket4j bucket with one greedily refilling bandwidth on
 * the ledger's {@link TimeMeter}: Bucket4j already gives the exact time until a bucket holds an
 * amount, overdraft ({@code consumeIgnoringRateLimits}) and refunds capped at the capacity
 * ({@code addTokens}), and the same bucket can later live on Redis. A calendar window
 * ({@code day}, {@code week}, {@code month}) is counted here, because its windows are not a fixed
 * number of nanoseconds (days of 23 and 25 hours, months of 28 to 31 days): a spent counter that
 * goes back to zero at the start of each window in the ledger's zone, read from its
 * {@link Clock}. An overdraft of a calendar budget ends with its window. A settlement that comes
 * after its window ended charges an underestimate to the current window (the money was really
 * spent) and drops a refund (the window it belonged to is over).
 * <p>
 * <b>Atomicity.</b> Every operation runs under one lock per ledger, so a reservation checks and
 * charges all budgets as one step and a refusal consumes nothing. A pricing error is thrown
 * before anything is charged, and warning callbacks run after the lock is released.
 * <p>
 * <b>Replacing budgets.</b> {@link #replaceBudgets(List)} changes the budgets live (a quota
 * replaced while calls are in flight): a budget with the same unit and window as one before keeps
 * what was spent in its window, so raising a limit gives no fresh burst and lowering it below
 * the spending overdraws it; open reservations settle against the replacement. A budget that is
 * gone is no longer counted, and a new one starts full.
 * <p>
 * <b>Warnings.</b> A budget with {@link Budget#warnAt()} calls the {@link WarningListener} when a
 * charge brings its spending to the threshold or past it: once per calendar window, and for a
 * duration window at most once per window's duration.
 */
final class BudgetLedger {

	private final ReentrantLock lock = new ReentrantLock();

	private final @Nullable Pricing pricing;

	private final TimeMeter timeMeter;

	private final Clock clock;

	private final ZoneId zone;

	private final WarningListener warnings;

	/** Guarded by {@link #lock}. */
	private List<Budget> budgets;

	/** One per budget, in the same order. Guarded by {@link #lock}. */
	private Account[] accounts;

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
			WarningListener warnings) {
		this.pricing = pricing;
		this.timeMeter = Objects.requireNonNull(timeMeter, "timeMeter");
		this.clock = Objects.requireNonNull(clock, "clock");
		this.zone = Objects.requireNonNull(zone, "zone");
		this.warnings = Objects.requireNonNull(warnings, "warnings");
		this.budgets = checked(budgets);
		this.accounts = new Account[this.budgets.size()];
		for (int i = 0; i < this.accounts.length; i++) {
			this.accounts[i] = Account.of(this.budgets.get(i), timeMeter, clock, zone);
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
			Account[] old = this.accounts;
			boolean[] kept = new boolean[old.length];
			Account[] next = new Account[replacement.size()];
			for (int j = 0; j < next.length; j++) {
				Budget budget = replacement.get(j);
				int match = -1;
				for (int i = 0; i < old.length && match < 0; i++) {
					if (!kept[i] && old[i].budget.unit() == budget.unit()
							&& old[i].budget.window().equals(budget.window())) {
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
					next[j] = Account.of(budget, this.timeMeter, this.clock, this.zone);
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
			this.accounts = next;
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
		this.lock.lock();
		try {
			// Under the lock, so that the amounts match the budgets even while they are replaced;
			// pricing a usage is cheap next to a model call.
			Account[] accounts = this.accounts;
			long[] amounts = amountsOf(accounts, estimate, true);
			int refusing = -1;
			long longestWait = 0;
			for (int i = 0; i < accounts.length; i++) {
				long wait = accounts[i].nanosUntilCovers(amounts[i]);
				if (wait > longestWait) {
					refusing = i;
					longestWait = wait;
				}
			}
			if (refusing >= 0) {
				Account account = accounts[refusing];
				return new Refusal(account.budget, amounts[refusing], account.available(),
						(longestWait == Long.MAX_VALUE) ? null : Duration.ofNanos(longestWait));
			}
			long[] windows = new long[amounts.length];
			for (int i = 0; i < accounts.length; i++) {
				accounts[i].charge(amounts[i]);
				windows[i] = accounts[i].window();
			}
			reached = warningsReached(accounts, amounts);
			reservation = new Reservation(estimate, accounts, amounts, windows);
		}
		finally {
			this.lock.unlock();
		}
		fire(reached);
		return reservation;
	}

	/**
	 * Where every budget stands now.
	 * @return one status per budget, in order
	 */
	List<BudgetStatus> statuses() {
		this.lock.lock();
		try {
			List<BudgetStatus> statuses = new ArrayList<>(this.accounts.length);
			for (Account account : this.accounts) {
				statuses.add(new BudgetStatus(account.budget, account.available(), account.resetsAt()));
			}
			return statuses;
		}
		finally {
			this.lock.unlock();
		}
	}

	/**
	 * Whether every budget holds its whole limit, so that forgetting the ledger (evicting an
	 * idle agent) gives nothing away.
	 * @return {@code true} when nothing is spent in any budget
	 */
	boolean isFull() {
		this.lock.lock();
		try {
			for (Account account : this.accounts) {
				if (account.available() < account.budget.limitInBaseUnits()) {
					return false;
				}
			}
			return true;
		}
		finally {
			this.lock.unlock();
		}
	}

	private long[] amountsOf(Account[] accounts, Usage usage, boolean estimate) {
		long[] amounts = new long[accounts.length];
		for (int i = 0; i < amounts.length; i++) {
			amounts[i] = amountOf(accounts[i].budget.unit(), usage, estimate);
		}
		return amounts;
	}

	private long amountOf(BudgetUnit unit, Usage usage, boolean estimate) {
		return switch (unit) {
			case REQUESTS -> usage.requests();
			case TOKENS -> usage.totalTokens();
			case INPUT_TOKENS -> usage.inputTokens();
			case OUTPUT_TOKENS -> usage.outputTokens();
			// An estimate, or a report that does not name its model, is priced at the highest
			// prices so that it never falls short; a named model must have a price.
			case COST -> (estimate || usage.model().isEmpty())
					? Objects.requireNonNull(this.pricing).upperBoundInBaseUnits(usage)
					: Objects.requireNonNull(this.pricing).costInBaseUnits(usage);
		};
	}

	/** Must be called under the lock, after a charge. */
	private static List<Warning> warningsReached(@Nullable Account[] accounts, long[] charged) {
		List<Warning> reached = null;
		for (int i = 0; i < accounts.length; i++) {
			Account account = accounts[i];
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

	private void fire(List<Warning> reached) {
		for (Warning warning : reached) {
			try {
				this.warnings.onWarning(warning.budget, warning.spent, warning.resetsAt);
			}
			catch (Throwable ex) {
				// A listener must never disturb accounting.
			}
		}
	}

	/**
	 * Told when a budget's spending reaches its {@link Budget#warnAt()} threshold.
	 */
	@FunctionalInterface
	interface WarningListener {

		/** A listener that ignores warnings. */
		WarningListener NONE = (budget, spent, resetsAt) -> {
		};

		/**
		 * A budget reached its warning threshold; called once per window, never under the
		 * ledger's lock.
		 * @param budget the budget
		 * @param spent its spending in the current window, in base units
		 * @param resetsAt when it is full again (see {@link BudgetStatus#resetsAt()})
		 */
		void onWarning(Budget budget, long spent, Instant resetsAt);

	}

	private record Warning(Budget budget, long spent, Instant resetsAt) {
	}

	/**
	 * The answer to {@link #reserve(Usage)}: a {@link Reservation} or a {@link Refusal}.
	 */
	sealed interface Admission permits Reservation, Refusal {

	}

	/**
	 * A refusal: nothing was charged.
	 *
	 * @param budget the budget that refused; of several, the one that takes longest to cover
	 * its share
	 * @param requested the estimate's share of that budget, in base units
	 * @param remaining what that budget held, in base units (negative while overdrawn)
	 * @param retryAfter how long until that budget covers the share (for a calendar window, until
	 * the next window starts); {@code null} when it never can, because the share is larger than
	 * the limit
	 */
	record Refusal(Budget budget, long requested, long remaining, @Nullable Duration retryAfter) implements Admission {

		/**
		 * The refusal as the exception callers see, with reason
		 * {@link RejectionReason#BUDGET_EXHAUSTED}.
		 * @param agentId the agent
		 * @return the exception, naming the agent, the budget's unit, limit and window, and the
		 * amounts
		 */
		QuotaExceededException toException(String agentId) {
			BudgetUnit unit = this.budget.unit();
			String message = "Agent '" + agentId + "' exhausted its " + unit.configName() + " budget of "
					+ this.budget.limit().toPlainString() + " per " + this.budget.window() + ": the call needs "
					+ unit.fromBaseUnits(this.requested).toPlainString() + ", "
					+ unit.fromBaseUnits(this.remaining).toPlainString() + " remains"
					+ ((this.retryAfter != null) ? "; retry after " + DurationFormat.format(this.retryAfter)
							: "; the call needs more than the whole limit and can never be admitted");
			return new QuotaExceededException(agentId, RejectionReason.BUDGET_EXHAUSTED, message, this.retryAfter,
					this.budget);
		}

	}

	/**
	 * An estimate charged to every budget, waiting for the call's real usage.
	 */
	final class Reservation implements Admission, AutoCloseable {

		private final Usage estimate;

		/** The accounts charged; each may since have been replaced (see {@link Account#current()}). */
		private final Account[] accounts;

		private final long[] charged;

		/** The window each charge fell in; a refund to a calendar window that has ended is dropped. */
		private final long[] windows;

		/** Guarded by the ledger's lock. */
		private @Nullable String closedBy;

		private Reservation(Usage estimate, Account[] accounts, long[] charged, long[] windows) {
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
			// A replaced account keeps its unit, so the amounts can be computed outside the lock.
			long[] amounts = amountsOf(this.accounts, Objects.requireNonNull(actual, "actual"), false);
			List<Warning> reached;
			lock.lock();
			try {
				finish("settled");
				Account[] current = new Account[amounts.length];
				long[] extra = new long[amounts.length];
				for (int i = 0; i < amounts.length; i++) {
					Account account = this.accounts[i].current();
					if (account == null) {
						continue;
					}
					current[i] = account;
					long difference = amounts[i] - this.charged[i];
					if (difference > 0) {
						account.charge(difference);
						extra[i] = difference;
					}
					else if (difference < 0) {
						account.giveBack(-difference, this.windows[i]);
					}
				}
				reached = warningsReached(current, extra);
			}
			finally {
				lock.unlock();
			}
			fire(reached);
		}

		/**
		 * Give back the whole estimate, for a call that failed before it reached the provider.
		 * @throws IllegalStateException when the reservation was already settled, refunded or
		 * closed
		 */
		void refund() {
			lock.lock();
			try {
				finish("refunded");
				for (int i = 0; i < this.charged.length; i++) {
					Account account = this.accounts[i].current();
					if (account != null) {
						account.giveBack(this.charged[i], this.windows[i]);
					}
				}
			}
			finally {
				lock.unlock();
			}
		}

		/**
		 * Close the reservation; when it was neither settled nor refunded, the estimate stays
		 * charged. Idempotent.
		 */
		@Override
		public void close() {
			lock.lock();
			try {
				if (this.closedBy == null) {
					this.closedBy = "closed";
				}
			}
			finally {
				lock.unlock();
			}
		}

		/**
		 * Whether the reservation can still be settled or refunded.
		 * @return {@code true} until settled, refunded or closed
		 */
		boolean isOpen() {
			lock.lock();
			try {
				return this.closedBy == null;
			}
			finally {
				lock.unlock();
			}
		}

		private void finish(String how) {
			if (this.closedBy != null) {
				throw new IllegalStateException("reservation of " + this.estimate + " was already " + this.closedBy);
			}
			this.closedBy = how;
		}

	}

	/**
	 * One budget's balance. Every method is called under the ledger's lock.
	 */
	private abstract static class Account {

		final Budget budget;

		final long limit;

		final long warnThreshold;

		/** The account that replaced this one, see {@link BudgetLedger#replaceBudgets(List)}. */
		@Nullable Account successor;

		/** Whether this account's budget was removed without a replacement. */
		boolean retired;

		Account(Budget budget) {
			this.budget = budget;
			this.limit = budget.limitInBaseUnits();
			this.warnThreshold = budget.warnThreshold();
		}

		static Account of(Budget budget, TimeMeter timeMeter, Clock clock, ZoneId zone) {
			if (budget.window().isCalendar()) {
				return new CalendarAccount(budget, clock, zone);
			}
			if (budget.limitInBaseUnits() == 0) {
				// Bucket4j needs a capacity > 0; a zero limit refuses every positive amount.
				return new CalendarAccount(budget, clock, zone);
			}
			return new SmoothAccount(budget, timeMeter, clock);
		}

		/**
		 * The account that now counts what this one counted: itself, its latest replacement, or
		 * {@code null} when its budget was removed.
		 */
		final @Nullable Account current() {
			Account account = this;
			while (account.successor != null) {
				account = account.successor;
			}
			return account.retired ? null : account;
		}

		/**
		 * Start from what the replaced account had spent in the current window and from its
		 * warning state, and send its open reservations here.
		 */
		final void takeOver(Account replaced) {
			long spent = replaced.limit - replaced.available();
			if (spent > 0) {
				charge(spent);
			}
			inheritWarning(replaced);
			replaced.successor = this;
		}

		abstract void inheritWarning(Account replaced);

		/**
		 * Nanoseconds until this budget holds the amount: {@code 0} when it does now,
		 * {@link Long#MAX_VALUE} when it never will (the amount is larger than the limit).
		 */
		final long nanosUntilCovers(long amount) {
			if (amount == 0) {
				return 0;
			}
			if (amount > this.limit) {
				return Long.MAX_VALUE;
			}
			return nanosUntilHolds(amount);
		}

		abstract long nanosUntilHolds(long amount);

		/** Take the amount, going below zero if need be (the check, if any, came first). */
		abstract void charge(long amount);

		/** Give the amount back, never above the limit, and only to the window it was taken from. */
		abstract void giveBack(long amount, long window);

		/** What is left, negative while overdrawn. */
		abstract long available();

		/** The current window, for {@link #giveBack}; constant for duration windows. */
		abstract long window();

		abstract Instant resetsAt();

		/** Whether a warning is due now, remembering that it was given. */
		abstract boolean takeWarning();

		final @Nullable Warning warningReached() {
			if (this.warnThreshold < 0 || this.limit - available() < this.warnThreshold || !takeWarning()) {
				return null;
			}
			return new Warning(this.budget, this.limit - available(), resetsAt());
		}

	}

	/**
	 * A duration window: a Bucket4j bucket that refills the limit smoothly over the window.
	 */
	private static final class SmoothAccount extends Account {

		private final LocalBucket bucket;

		private final TimeMeter timeMeter;

		private final Clock clock;

		private final long windowNanos;

		/**
		 * The deepest overdraft Bucket4j can repay: it refuses a debit whose repayment time does
		 * not fit in a long of nanoseconds. Half of that (about 146 years) is far beyond any
		 * wait that matters, so a larger underestimate is charged only down to this depth.
		 */
		private final long maxDebt;

		private long lastWarningNanos;

		private boolean warned;

		SmoothAccount(Budget budget, TimeMeter timeMeter, Clock clock) {
			super(budget);
			this.timeMeter = timeMeter;
			this.clock = clock;
			this.windowNanos = budget.window().duration().orElseThrow().toNanos();
			// No overflow: Budget guarantees limit <= windowNanos, so this is at most
			// Long.MAX_VALUE / 2.
			this.maxDebt = ((Long.MAX_VALUE / 2) / this.windowNanos) * this.limit;
			this.bucket = Bucket.builder()
				.addLimit(Bandwidth.builder()
					.capacity(this.limit)
					.refillGreedy(this.limit, budget.window().duration().orElseThrow())
					.build())
				.withCustomTimePrecision(timeMeter)
				.build();
		}

		@Override
		long nanosUntilHolds(long amount) {
			EstimationProbe probe = this.bucket.estimateAbilityToConsume(amount);
			return probe.canBeConsumed() ? 0 : Math.max(1, probe.getNanosToWaitForRefill());
		}

		@Override
		void charge(long amount) {
			// available >= -maxDebt and available <= limit <= Long.MAX_VALUE / 2 here, so the sum
			// cannot overflow.
			long chargeable = Math.min(amount, Math.max(0, this.bucket.getAvailableTokens() + this.maxDebt));
			if (chargeable > 0) {
				this.bucket.consumeIgnoringRateLimits(chargeable);
			}
		}

		@Override
		void giveBack(long amount, long window) {
			if (amount > 0) {
				// addTokens never fills past the capacity, so a refund can never create budget.
				this.bucket.addTokens(amount);
			}
		}

		@Override
		long available() {
			return this.bucket.getAvailableTokens();
		}

		@Override
		long window() {
			return 0;
		}

		@Override
		Instant resetsAt() {
			Instant now = this.clock.instant();
			EstimationProbe probe = this.bucket.estimateAbilityToConsume(this.limit);
			return probe.canBeConsumed() ? now : now.plusNanos(probe.getNanosToWaitForRefill());
		}

		@Override
		void inheritWarning(Account replaced) {
			if (replaced instanceof SmoothAccount smooth) {
				this.warned = smooth.warned;
				this.lastWarningNanos = smooth.lastWarningNanos;
			}
		}

		@Override
		boolean takeWarning() {
			long now = this.timeMeter.currentTimeNanos();
			if (this.warned && now - this.lastWarningNanos < this.windowNanos) {
				return false;
			}
			this.warned = true;
			this.lastWarningNanos = now;
			return true;
		}

	}

	/**
	 * A calendar window: a spent counter that starts again from zero at the start of each day,
	 * ISO week or month in the zone. Also holds zero-limit duration budgets, which never refill
	 * anything and so need no bucket.
	 */
	private static final class CalendarAccount extends Account {

		private final @Nullable BudgetWindow calendar;

		private final Clock clock;

		private final ZoneId zone;

		private long spent;

		private Instant start = Instant.MIN;

		private Instant end = Instant.MIN;

		private Instant warnedIn = Instant.MIN;

		CalendarAccount(Budget budget, Clock clock, ZoneId zone) {
			super(budget);
			this.calendar = budget.window().isCalendar() ? budget.window() : null;
			this.clock = clock;
			this.zone = zone;
		}

		/**
		 * Move to the window that holds the clock's time. A clock that goes back stays in the
		 * current window, so setting a clock back never gives a budget back.
		 */
		private Instant roll() {
			Instant now = this.clock.instant();
			BudgetWindow calendar = this.calendar;
			if (calendar != null && !now.isBefore(this.end)) {
				this.start = calendar.startOf(now, this.zone);
				this.end = calendar.nextStartAfter(now, this.zone);
				this.spent = 0;
			}
			return now;
		}

		@Override
		long nanosUntilHolds(long amount) {
			Instant now = roll();
			if (this.limit - this.spent >= amount) {
				return 0;
			}
			if (this.calendar == null) {
				return Long.MAX_VALUE;
			}
			return Math.max(1, Duration.between(now, this.end).toNanos());
		}

		@Override
		void charge(long amount) {
			roll();
			// Saturate rather than overflow: a settlement must never fail half-way.
			this.spent = (amount > Long.MAX_VALUE - this.spent) ? Long.MAX_VALUE : this.spent + amount;
		}

		@Override
		void giveBack(long amount, long window) {
			roll();
			if (window == window()) {
				this.spent = Math.max(0, this.spent - amount);
			}
		}

		@Override
		long available() {
			roll();
			return this.limit - this.spent;
		}

		@Override
		long window() {
			roll();
			return this.start.getEpochSecond();
		}

		@Override
		Instant resetsAt() {
			Instant now = roll();
			return (this.calendar != null) ? this.end : now;
		}

		@Override
		void inheritWarning(Account replaced) {
			if (replaced instanceof CalendarAccount calendar) {
				this.warnedIn = calendar.warnedIn;
			}
		}

		@Override
		boolean takeWarning() {
			roll();
			if (this.warnedIn.equals(this.start)) {
				return false;
			}
			this.warnedIn = this.start;
			return true;
		}

	}

}
