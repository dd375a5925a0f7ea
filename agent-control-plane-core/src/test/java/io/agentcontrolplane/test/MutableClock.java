package io.agentcontrolplane.test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * The one clock every module's tests move by hand, so that rate windows, budgets and idle
 * time-outs are tested without waiting. Shared through the core module's test-jar. Safe to read
 * from any thread; moved by the test thread.
 */
public final class MutableClock extends Clock {

	private volatile Instant now;

	/**
	 * A clock standing at the given instant.
	 * @param start where it stands
	 */
	public MutableClock(Instant start) {
		this.now = start;
	}

	/** A clock standing at 2025-01-01T00:00:00Z. */
	public MutableClock() {
		this(Instant.parse("2025-01-01T00:00:00Z"));
	}

	/**
	 * Move the clock.
	 * @param duration how far (negative to step back)
	 */
	public void advance(Duration duration) {
		this.now = this.now.plus(duration);
	}

	/**
	 * Put the clock at an instant.
	 * @param instant where it stands from now on
	 */
	public void set(Instant instant) {
		this.now = instant;
	}

	@Override
	public ZoneId getZone() {
		return ZoneOffset.UTC;
	}

	@Override
	public Clock withZone(ZoneId zone) {
		return this;
	}

	@Override
	public Instant instant() {
		return this.now;
	}

}
