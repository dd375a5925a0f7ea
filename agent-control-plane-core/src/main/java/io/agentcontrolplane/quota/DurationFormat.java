package io.agentcontrolplane.quota;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Duration;

/**
 * Durations as people read them in log lines and messages: {@code 308 ms}, {@code 2 s},
 * {@code 1.5 s}, {@code 10 min}, {@code 2 h}, rather than ISO-8601's {@code PT0.308357616S}.
 * The engine's refusal messages ("retry after 18.3 s") and the Spring Boot module's start-up
 * report and configuration errors all use it, so one duration reads the same everywhere.
 */
public final class DurationFormat {

	private DurationFormat() {
	}

	/**
	 * Format a duration in the largest unit that keeps it readable, with at most three decimals.
	 * @param duration the duration
	 * @return the text, for example {@code 308 ms}
	 */
	public static String format(Duration duration) {
		if (duration.isNegative()) {
			return "-" + format(duration.negated());
		}
		long nanos = (duration.getSeconds() < 86_400L * 365) ? duration.toNanos() : Long.MAX_VALUE;
		if (nanos == Long.MAX_VALUE) {
			return scaled(duration.getSeconds(), 3600, "h");
		}
		if (nanos == 0) {
			return "0 s";
		}
		if (nanos < 1_000) {
			return nanos + " ns";
		}
		if (nanos < 1_000_000) {
			return scaled(nanos, 1_000, "µs");
		}
		if (nanos < 1_000_000_000) {
			return scaled(nanos, 1_000_000, "ms");
		}
		if (nanos < 60_000_000_000L) {
			return scaled(nanos, 1_000_000_000, "s");
		}
		if (nanos < 3_600_000_000_000L) {
			return scaled(nanos, 60_000_000_000L, "min");
		}
		return scaled(nanos, 3_600_000_000_000L, "h");
	}

	private static String scaled(long value, long unit, String symbol) {
		BigDecimal scaled = BigDecimal.valueOf(value)
			.divide(BigDecimal.valueOf(unit), (value % unit == 0) ? 0 : ((value >= 100 * unit) ? 0 : 3),
					RoundingMode.HALF_UP)
			.stripTrailingZeros();
		return scaled.toPlainString() + " " + symbol;
	}

}
