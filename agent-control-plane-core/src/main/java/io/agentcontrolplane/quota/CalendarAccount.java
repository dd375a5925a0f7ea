package io.agentcontrolplane.quota;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.concurrent.locks.ReentrantLock;

import org.jspecify.annotations.Nullable;

/**
 * A calendar window in this JVM: a spent counter that starts again from zero at the start of
 * each day, ISO week or month in the zone, read from the clock. Its windows are not a fixed
 * number of nanoseconds (days of 23 and 25 hours, months of 28 to 31 days), so no bucket can
 * hold them. Also holds zero-limit duration budgets, which never refill anything and so need no
 * bucket (Bucket4j needs a capacity {@code > 0}).
 */
final class CalendarAccount implements PermitStore.BudgetAccount {

	private final ReentrantLock lock = new ReentrantLock();

	private final @Nullable BudgetWindow calendar;

	private final long limit;

	private final Clock clock;

	private final ZoneId zone;

	/** Guarded by {@link #lock}, like every field below. */
	private long spent;

	private Instant start = Instant.MIN;

	private Instant end = Instant.MIN;

	CalendarAccount(Budget budget, Clock clock, ZoneId zone) {
		this.calendar = budget.window().isCalendar() ? budget.window() : null;
		this.limit = budget.limitInBaseUnits();
		this.clock = clock;
		this.zone = zone;
	}

	/**
	 * Move to the window that holds the clock's time. A clock that goes back stays in the
	 * current window, so setting a clock back never gives a budget back. Called under the lock.
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
	public long tryCharge(long amount) {
		this.lock.lock();
		try {
			long wait = nanosUntilHolds(amount);
			if (wait == 0) {
				charge(amount);
			}
			return wait;
		}
		finally {
			this.lock.unlock();
		}
	}

	@Override
	public long nanosUntilHolds(long amount) {
		this.lock.lock();
		try {
			Instant now = roll();
			if (this.limit - this.spent >= amount) {
				return 0;
			}
			if (this.calendar == null) {
				return Long.MAX_VALUE;
			}
			return Math.max(1, Duration.between(now, this.end).toNanos());
		}
		finally {
			this.lock.unlock();
		}
	}

	@Override
	public void charge(long amount) {
		this.lock.lock();
		try {
			roll();
			// Saturate rather than overflow: a settlement must never fail half-way.
			this.spent = (amount > Long.MAX_VALUE - this.spent) ? Long.MAX_VALUE : this.spent + amount;
		}
		finally {
			this.lock.unlock();
		}
	}

	@Override
	public void giveBack(long amount, long window) {
		this.lock.lock();
		try {
			roll();
			if (window == this.start.getEpochSecond()) {
				this.spent = Math.max(0, this.spent - amount);
			}
		}
		finally {
			this.lock.unlock();
		}
	}

	@Override
	public long available() {
		this.lock.lock();
		try {
			roll();
			return this.limit - this.spent;
		}
		finally {
			this.lock.unlock();
		}
	}

	@Override
	public long window() {
		this.lock.lock();
		try {
			roll();
			return this.start.getEpochSecond();
		}
		finally {
			this.lock.unlock();
		}
	}

	@Override
	public Instant resetsAt() {
		this.lock.lock();
		try {
			Instant now = roll();
			return (this.calendar != null) ? this.end : now;
		}
		finally {
			this.lock.unlock();
		}
	}

}
