package io.agentcontrolplane.redis;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A clock the test sets by hand, for calendar budgets (the core's test clock is not shared
 * across modules).
 */
final class SettableClock extends Clock {

	private volatile Instant now;

	SettableClock(Instant start) {
		this.now = start;
	}

	void set(Instant instant) {
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
