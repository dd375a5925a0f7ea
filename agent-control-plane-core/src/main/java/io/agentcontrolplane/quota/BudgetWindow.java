package io.agentcontrolplane.quota;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.time.temporal.TemporalAdjusters;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

/**
 * The window a {@link Budget} is measured over: either a duration, over which the budget refills
 * smoothly (no burst at window edges, like the request budgets), or a calendar day, week (ISO,
 * starting on Monday) or month that resets to the full limit at its start in a time zone.
 * <p>
 * A duration of one day ({@code 1d}, {@code PT24H}) and the calendar {@code day} differ: the first
 * gives back a little of the budget every moment, the second gives all of it back at midnight.
 */
public final class BudgetWindow {

	/**
	 * The calendar periods a window can reset on.
	 */
	public enum Calendar {

		/** A calendar day, starting at the first instant of the day in the zone. */
		DAY,

		/** An ISO week, starting on Monday at the first instant of the day in the zone. */
		WEEK,

		/** A calendar month, starting on its first day at the first instant of the day in the zone. */
		MONTH

	}

	private final @Nullable Duration duration;

	private final @Nullable Calendar calendar;

	private BudgetWindow(@Nullable Duration duration, @Nullable Calendar calendar) {
		this.duration = duration;
		this.calendar = calendar;
	}

	/**
	 * A window that refills smoothly over the given duration.
	 * @param duration the duration, {@code > 0}
	 * @return the window
	 * @throws IllegalArgumentException when the duration is null, zero or negative
	 */
	public static BudgetWindow of(Duration duration) {
		if (duration == null || duration.isNegative() || duration.isZero()) {
			throw new IllegalArgumentException("window must be a duration > 0, was " + duration);
		}
		return new BudgetWindow(duration, null);
	}

	/**
	 * A window that resets at the start of every calendar period.
	 * @param calendar the period
	 * @return the window
	 */
	public static BudgetWindow of(Calendar calendar) {
		if (calendar == null) {
			throw new IllegalArgumentException("window must not be null");
		}
		return new BudgetWindow(null, calendar);
	}

	/**
	 * A calendar day.
	 * @return the window
	 */
	public static BudgetWindow day() {
		return of(Calendar.DAY);
	}

	/**
	 * An ISO week (Monday to Sunday).
	 * @return the window
	 */
	public static BudgetWindow week() {
		return of(Calendar.WEEK);
	}

	/**
	 * A calendar month.
	 * @return the window
	 */
	public static BudgetWindow month() {
		return of(Calendar.MONTH);
	}

	/**
	 * Parse a window as written in configuration: {@code day}, {@code week}, {@code month}, a
	 * simple duration ({@code 500ms}, {@code 30s}, {@code 1m}, {@code 1h}, {@code 1d}; no unit
	 * means milliseconds, as Spring Boot reads durations) or an ISO-8601 duration
	 * ({@code PT30S}).
	 * @param value the text
	 * @return the window
	 * @throws IllegalArgumentException naming the value and the accepted forms
	 */
	public static BudgetWindow parse(String value) {
		if (value == null || value.isBlank()) {
			throw invalid(value, null);
		}
		String text = value.trim().toLowerCase(Locale.ROOT);
		switch (text) {
			case "day":
				return day();
			case "week":
				return week();
			case "month":
				return month();
			default:
				break;
		}
		Duration duration;
		try {
			duration = (text.startsWith("p") || text.startsWith("-p")) ? Duration.parse(text.toUpperCase(Locale.ROOT))
					: parseSimple(text);
		}
		catch (DateTimeParseException | ArithmeticException | NumberFormatException ex) {
			throw invalid(value, ex);
		}
		if (duration == null || duration.isNegative() || duration.isZero()) {
			throw invalid(value, null);
		}
		return of(duration);
	}

	private static @Nullable Duration parseSimple(String text) {
		int split = 0;
		while (split < text.length() && (Character.isDigit(text.charAt(split)))) {
			split++;
		}
		if (split == 0) {
			return null;
		}
		long amount = Long.parseLong(text.substring(0, split));
		return switch (text.substring(split)) {
			case "", "ms" -> Duration.ofMillis(amount);
			case "ns" -> Duration.ofNanos(amount);
			case "us" -> Duration.ofNanos(Math.multiplyExact(amount, 1000L));
			case "s" -> Duration.ofSeconds(amount);
			case "m" -> Duration.ofMinutes(amount);
			case "h" -> Duration.ofHours(amount);
			case "d" -> Duration.ofDays(amount);
			default -> null;
		};
	}

	private static IllegalArgumentException invalid(@Nullable String value, @Nullable Exception cause) {
		return new IllegalArgumentException("window must be a duration > 0 such as 30s, 1m, 1h or PT30S, or one of "
				+ "day, week, month; was " + ((value == null) ? "null" : "'" + value + "'"), cause);
	}

	/**
	 * Whether this window resets on calendar boundaries rather than refilling smoothly.
	 * @return {@code true} for {@code day}, {@code week} and {@code month}
	 */
	public boolean isCalendar() {
		return this.calendar != null;
	}

	/**
	 * The duration of a smoothly refilling window.
	 * @return the duration, empty for a calendar window
	 */
	public Optional<Duration> duration() {
		return Optional.ofNullable(this.duration);
	}

	/**
	 * The calendar period of a calendar window.
	 * @return the period, empty for a duration window
	 */
	public Optional<Calendar> calendar() {
		return Optional.ofNullable(this.calendar);
	}

	/**
	 * The start of the calendar window that contains the given instant.
	 * @param instant the instant
	 * @param zone the zone in which days, weeks and months begin
	 * @return the first instant of the window
	 * @throws IllegalStateException for a duration window, which has no fixed start
	 */
	public Instant startOf(Instant instant, ZoneId zone) {
		LocalDate date = instant.atZone(zone).toLocalDate();
		LocalDate first = switch (requireCalendar()) {
			case DAY -> date;
			case WEEK -> date.with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY));
			case MONTH -> date.withDayOfMonth(1);
		};
		// atStartOfDay(zone) gives the first valid instant of the day, also in zones whose
		// daylight-saving change skips midnight.
		return first.atStartOfDay(zone).toInstant();
	}

	/**
	 * The start of the calendar window after the one that contains the given instant, which is
	 * when a calendar budget is full again.
	 * @param instant the instant
	 * @param zone the zone in which days, weeks and months begin
	 * @return the first instant of the next window
	 * @throws IllegalStateException for a duration window
	 */
	public Instant nextStartAfter(Instant instant, ZoneId zone) {
		LocalDate date = instant.atZone(zone).toLocalDate();
		// Calendar arithmetic on local dates, never adding 24 hours: days around a
		// daylight-saving change last 23 or 25 hours, and months 28 to 31 days.
		LocalDate next = switch (requireCalendar()) {
			case DAY -> date.plusDays(1);
			case WEEK -> date.with(TemporalAdjusters.next(DayOfWeek.MONDAY));
			case MONTH -> date.withDayOfMonth(1).plusMonths(1);
		};
		return next.atStartOfDay(zone).toInstant();
	}

	private Calendar requireCalendar() {
		if (this.calendar == null) {
			throw new IllegalStateException("a " + this + " window refills smoothly and has no calendar start");
		}
		return this.calendar;
	}

	@Override
	public boolean equals(@Nullable Object obj) {
		return (this == obj) || (obj instanceof BudgetWindow other && Objects.equals(this.duration, other.duration)
				&& this.calendar == other.calendar);
	}

	@Override
	public int hashCode() {
		return Objects.hash(this.duration, this.calendar);
	}

	/**
	 * The window as written in configuration: {@code day}, {@code week}, {@code month}, or the
	 * duration in the largest whole unit ({@code 1m}, {@code 90s}) or ISO-8601 when none fits.
	 */
	@Override
	public String toString() {
		if (this.calendar != null) {
			return this.calendar.name().toLowerCase(Locale.ROOT);
		}
		Duration duration = Objects.requireNonNull(this.duration);
		if (duration.getNano() == 0) {
			long seconds = duration.getSeconds();
			if (seconds % 86_400 == 0) {
				return (seconds / 86_400) + "d";
			}
			if (seconds % 3_600 == 0) {
				return (seconds / 3_600) + "h";
			}
			if (seconds % 60 == 0) {
				return (seconds / 60) + "m";
			}
			return seconds + "s";
		}
		if (duration.getNano() % 1_000_000 == 0 && duration.getSeconds() < Long.MAX_VALUE / 1000) {
			return duration.toMillis() + "ms";
		}
		return duration.toString();
	}

}
