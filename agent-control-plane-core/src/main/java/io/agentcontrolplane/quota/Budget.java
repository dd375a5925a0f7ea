package io.agentcontrolplane.quota;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Objects;
import java.util.OptionalDouble;

import org.jspecify.annotations.Nullable;

/**
 * One budget of an agent: how much of a {@link BudgetUnit} it may spend per
 * {@link BudgetWindow}, for example 200000 tokens per minute or 25.00 (of the pricing currency)
 * per day, with an optional warning threshold. Immutable; validated when built: bad values throw
 * {@link IllegalArgumentException} naming the field and the value.
 * <p>
 * The limit is kept as a whole number of the unit's base units (see
 * {@link BudgetUnit#toBaseUnits(BigDecimal)}): tokens and requests are whole numbers, cost is
 * counted in millionths of the currency, so {@code 25.00} is 25000000 base units exactly and no
 * budget arithmetic ever rounds a limit. A limit of {@code 0} refuses every call that would
 * spend any of the unit.
 */
public final class Budget {

	private final BudgetUnit unit;

	private final long limit;

	private final BudgetWindow window;

	private final double warnAt;

	private Budget(Builder builder) {
		this.unit = builder.unit;
		this.limit = builder.limit;
		this.window = Objects.requireNonNull(builder.window);
		this.warnAt = builder.warnAt;
	}

	/**
	 * Start building a budget of the given unit.
	 * @param unit the unit
	 * @return a builder; {@link Builder#limit(long) limit} and {@link Builder#per(BudgetWindow)
	 * window} must be set before {@link Builder#build()}
	 */
	public static Builder builder(BudgetUnit unit) {
		return new Builder(unit);
	}

	/**
	 * A budget without a warning threshold.
	 * @param unit the unit
	 * @param limit the limit in the unit as a user writes it (tokens, requests, or money for
	 * {@link BudgetUnit#COST}), {@code >= 0}
	 * @param window the window
	 * @return the budget
	 */
	public static Budget of(BudgetUnit unit, BigDecimal limit, BudgetWindow window) {
		return builder(unit).limit(limit).per(window).build();
	}

	/**
	 * A budget of whole units (requests, tokens, or whole currency units for cost) without a
	 * warning threshold.
	 * @param unit the unit
	 * @param limit the limit, {@code >= 0}
	 * @param window the window
	 * @return the budget
	 */
	public static Budget of(BudgetUnit unit, long limit, BudgetWindow window) {
		return builder(unit).limit(limit).per(window).build();
	}

	/**
	 * What this budget counts.
	 * @return the unit
	 */
	public BudgetUnit unit() {
		return this.unit;
	}

	/**
	 * The limit in the unit as a user writes it: tokens, requests, or money in the pricing
	 * currency (with six decimal places) for {@link BudgetUnit#COST}.
	 * @return the limit
	 */
	public BigDecimal limit() {
		return this.unit.fromBaseUnits(this.limit);
	}

	/**
	 * The limit in base units: tokens, requests, or millionths of the currency for cost.
	 * @return the limit, {@code >= 0}
	 */
	public long limitInBaseUnits() {
		return this.limit;
	}

	/**
	 * The window the limit applies to.
	 * @return the window
	 */
	public BudgetWindow window() {
		return this.window;
	}

	/**
	 * The fraction of the limit whose spending raises a warning, once per window.
	 * @return a fraction {@code > 0} and {@code <= 1}, or empty when this budget does not warn
	 */
	public OptionalDouble warnAt() {
		return (this.warnAt > 0) ? OptionalDouble.of(this.warnAt) : OptionalDouble.empty();
	}

	/**
	 * The spending, in base units, at or above which this budget warns: the limit times
	 * {@link #warnAt()}, rounded up so that a warning never fires below the fraction.
	 * @return the threshold, or {@code -1} when this budget does not warn
	 */
	long warnThreshold() {
		if (this.warnAt <= 0) {
			return -1;
		}
		return BigDecimal.valueOf(this.limit)
			.multiply(BigDecimal.valueOf(this.warnAt))
			.setScale(0, RoundingMode.CEILING)
			.longValueExact();
	}

	@Override
	public boolean equals(@Nullable Object obj) {
		return (this == obj) || (obj instanceof Budget other && this.unit == other.unit && this.limit == other.limit
				&& this.window.equals(other.window) && Double.compare(this.warnAt, other.warnAt) == 0);
	}

	@Override
	public int hashCode() {
		return Objects.hash(this.unit, this.limit, this.window, this.warnAt);
	}

	/**
	 * The budget in words, for example {@code cost 25.000000 per day (warn at 80%)}; used in
	 * refusal messages.
	 */
	@Override
	public String toString() {
		String text = this.unit.configName() + " " + this.unit.format(this.limit) + " per " + this.window;
		if (this.warnAt > 0) {
			// BigDecimal.valueOf keeps the fraction's shortest decimal form, so 0.07 reads 7%
			// rather than the 7.000000000000001% that multiplying the double by 100 gives.
			text += " (warn at " + BigDecimal.valueOf(this.warnAt).movePointRight(2).stripTrailingZeros().toPlainString()
					+ "%)";
		}
		return text;
	}

	/**
	 * Builds a validated {@link Budget}. Every setter validates its argument at once and throws
	 * {@link IllegalArgumentException} naming the field and the value.
	 */
	public static final class Builder {

		private final BudgetUnit unit;

		private long limit = -1;

		private @Nullable BudgetWindow window;

		private double warnAt;

		private Builder(BudgetUnit unit) {
			if (unit == null) {
				throw new IllegalArgumentException("unit must not be null");
			}
			this.unit = unit;
		}

		/**
		 * The limit in whole units: requests, tokens, or whole currency units for cost.
		 * @param limit the limit, {@code >= 0}
		 * @return this builder
		 */
		public Builder limit(long limit) {
			if (limit < 0) {
				throw new IllegalArgumentException("limit must be >= 0, was " + limit);
			}
			return limit(BigDecimal.valueOf(limit));
		}

		/**
		 * The limit in the unit as a user writes it: whole requests or tokens, or an amount of
		 * money with at most six decimal places for cost.
		 * @param limit the limit, {@code >= 0}
		 * @return this builder
		 */
		public Builder limit(BigDecimal limit) {
			if (limit == null) {
				throw new IllegalArgumentException("limit must not be null");
			}
			if (limit.signum() < 0) {
				throw new IllegalArgumentException("limit must be >= 0, was " + limit.toPlainString());
			}
			try {
				this.limit = this.unit.toBaseUnits(limit);
			}
			catch (IllegalArgumentException ex) {
				String expected = this.unit.isMonetary() ? "an amount with at most 6 decimal places"
						: "a whole number";
				throw new IllegalArgumentException("limit of a " + this.unit.configName() + " budget must be "
						+ expected + ", was " + limit.toPlainString(), ex);
			}
			return this;
		}

		/**
		 * The limit as configuration text, for example {@code 200000} or {@code 25.00}.
		 * @param limit the limit
		 * @return this builder
		 */
		public Builder limit(String limit) {
			BigDecimal amount;
			try {
				amount = new BigDecimal(Objects.requireNonNull(limit, "limit").trim());
			}
			catch (NumberFormatException | NullPointerException ex) {
				throw new IllegalArgumentException(
						"limit must be a number, was " + ((limit == null) ? "null" : "'" + limit + "'"), ex);
			}
			return limit(amount);
		}

		/**
		 * The window the limit applies to.
		 * @param window the window
		 * @return this builder
		 */
		public Builder per(BudgetWindow window) {
			if (window == null) {
				throw new IllegalArgumentException("window must not be null");
			}
			this.window = window;
			return this;
		}

		/**
		 * The window as configuration text; see {@link BudgetWindow#parse(String)}.
		 * @param window the window, for example {@code 1m} or {@code day}
		 * @return this builder
		 */
		public Builder per(String window) {
			return per(BudgetWindow.parse(window));
		}

		/**
		 * Warn once per window when this fraction of the limit has been spent.
		 * @param fraction {@code > 0} and {@code <= 1}
		 * @return this builder
		 */
		public Builder warnAt(double fraction) {
			if (!(fraction > 0 && fraction <= 1)) {
				throw new IllegalArgumentException("warnAt must be > 0 and <= 1 (or > 0% and <= 100%), was " + fraction);
			}
			this.warnAt = fraction;
			return this;
		}

		/**
		 * Warn once per window when this part of the limit has been spent, written as a
		 * percentage ({@code 80%}) or a fraction ({@code 0.8}).
		 * @param value the threshold
		 * @return this builder
		 */
		public Builder warnAt(String value) {
			if (value == null || value.isBlank()) {
				throw new IllegalArgumentException("warnAt must be a percentage such as 80% or a fraction such as 0.8, was "
						+ ((value == null) ? "null" : "'" + value + "'"));
			}
			String text = value.trim();
			boolean percent = text.endsWith("%");
			BigDecimal number;
			try {
				number = new BigDecimal(percent ? text.substring(0, text.length() - 1).trim() : text);
			}
			catch (NumberFormatException ex) {
				throw new IllegalArgumentException(
						"warnAt must be a percentage such as 80% or a fraction such as 0.8, was '" + value + "'", ex);
			}
			BigDecimal fraction = percent ? number.movePointLeft(2) : number;
			if (fraction.signum() <= 0 || fraction.compareTo(BigDecimal.ONE) > 0) {
				throw new IllegalArgumentException(
						"warnAt must be > 0 and <= 1 (or > 0% and <= 100%), was '" + value + "'");
			}
			return warnAt(fraction.doubleValue());
		}

		/**
		 * Build the budget.
		 * @return the immutable budget
		 * @throws IllegalArgumentException when the limit or the window is missing, or when a
		 * duration window would refill faster than one base unit per nanosecond (the finest
		 * rate the smooth refill can count)
		 */
		public Budget build() {
			if (this.limit < 0) {
				throw new IllegalArgumentException("limit must be set on a " + this.unit.configName() + " budget");
			}
			BudgetWindow window = this.window;
			if (window == null) {
				throw new IllegalArgumentException("window must be set on a " + this.unit.configName() + " budget");
			}
			if (window.duration().isPresent()) {
				long nanos;
				try {
					nanos = window.duration().get().toNanos();
				}
				catch (ArithmeticException ex) {
					throw new IllegalArgumentException("window must be at most " + Long.MAX_VALUE + "ns, was " + window, ex);
				}
				if (this.limit > nanos) {
					throw new IllegalArgumentException("limit of " + this.unit.fromBaseUnits(this.limit).toPlainString()
							+ " " + this.unit.configName() + " per " + window
							+ " refills faster than one base unit per nanosecond; use a longer window");
				}
			}
			return new Budget(this);
		}

	}

}
