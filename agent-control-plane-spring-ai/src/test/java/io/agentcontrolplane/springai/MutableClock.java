package io.agentcontrolplane.springai;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;

/**
 * A clock that tests move by hand, so that rate windows and idle times are tested without
 * waiting. The same as the core's and the auto-configuration's test clock: test classes are not
 * shared between modules (that needs a test-jar), so each module keeps this one small copy.
 */
final class MutableClock extends Clock {

	private volatile Instant now;

	MutableClock(Instant start) {
		this.now = start;
	}

	MutableClock() {
		this(Instant.parse("2025-01-01T00:00:00Z"));
	}

	void advance(Duration duration) {
		this.now = this.now.plus(duration);
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
