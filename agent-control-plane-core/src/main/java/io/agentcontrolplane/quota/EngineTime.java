package io.agentcontrolplane.quota;

import java.time.Clock;
import java.time.Instant;
import java.util.concurrent.locks.ReentrantLock;

import io.github.bucket4j.TimeMeter;

/**
 * The time an engine runs its rate budgets, idle times and permit ages on, in nanoseconds that
 * never go backwards. By default it is the JVM's monotonic timer, so a wall-clock step (NTP, a
 * manual change) can neither refill a budget nor freeze one. A {@link Clock} injected for tests
 * is read the same way: its forward moves count, a step back counts as no time at all, so a
 * refusal's retry-after is always the true wait.
 */
abstract sealed class EngineTime implements TimeMeter {

	/**
	 * The JVM's monotonic timer.
	 */
	static EngineTime monotonic() {
		return Monotonic.INSTANCE;
	}

	/**
	 * Time from a clock, never stepping back.
	 */
	static EngineTime of(Clock clock) {
		return new FromClock(clock);
	}

	/**
	 * Now, in nanoseconds from an arbitrary origin.
	 */
	abstract long nanos();

	/**
	 * Whether this is {@link System#nanoTime()} itself, so that one read can serve as both a
	 * hold time and an age.
	 */
	abstract boolean isSystemTimer();

	@Override
	public long currentTimeNanos() {
		return nanos();
	}

	@Override
	public boolean isWallClockBased() {
		return false;
	}

	private static final class Monotonic extends EngineTime {

		static final Monotonic INSTANCE = new Monotonic();

		@Override
		long nanos() {
			return System.nanoTime();
		}

		@Override
		boolean isSystemTimer() {
			return true;
		}

	}

	private static final class FromClock extends EngineTime {

		private final Clock clock;

		private final ReentrantLock lock = new ReentrantLock();

		private long lastClockNanos;

		private long now;

		FromClock(Clock clock) {
			this.clock = clock;
			this.lastClockNanos = read(clock);
			// Start far from 0 so that "idle since" and grant stamps never meet sentinel values.
			this.now = 1L << 40;
		}

		private static long read(Clock clock) {
			Instant instant = clock.instant();
			return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
		}

		@Override
		long nanos() {
			long clockNanos = read(this.clock);
			this.lock.lock();
			try {
				long elapsed = clockNanos - this.lastClockNanos;
				this.lastClockNanos = clockNanos;
				if (elapsed > 0) {
					this.now += elapsed;
				}
				return this.now;
			}
			finally {
				this.lock.unlock();
			}
		}

		@Override
		boolean isSystemTimer() {
			return false;
		}

	}

}
