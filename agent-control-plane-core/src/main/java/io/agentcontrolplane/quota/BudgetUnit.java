package io.agentcontrolplane.quota;

import java.math.BigDecimal;
import java.util.Arrays;
import java.util.Locale;
import java.util.Objects;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;

/**
 * What a {@link Budget} counts. Every unit is kept as a whole number of base units: one request,
 * one token, or one millionth of the pricing currency for {@link #COST} (so that cost budgets
 * use the same integer arithmetic as token budgets, and a limit such as {@code 25.00} is exact).
 */
public enum BudgetUnit {

	/** Calls made, one per admitted call. */
	REQUESTS("requests", 0),

	/** Input and output tokens together. */
	TOKENS("tokens", 0),

	/** Input (prompt) tokens only. */
	INPUT_TOKENS("input-tokens", 0),

	/** Output (completion) tokens only. */
	OUTPUT_TOKENS("output-tokens", 0),

	/**
	 * Money spent, computed from token usage with a {@link Pricing}; counted in millionths of
	 * the pricing currency.
	 */
	COST("cost", 6);

	private final String configName;

	private final int scale;

	BudgetUnit(String configName, int scale) {
		this.configName = configName;
		this.scale = scale;
	}

	/**
	 * The unit for its configuration name ({@code requests}, {@code tokens},
	 * {@code input-tokens}, {@code output-tokens}, {@code cost}); case and surrounding blanks
	 * are ignored, and the enum constant names are accepted too.
	 * @param value the name
	 * @return the unit
	 * @throws IllegalArgumentException naming the value and the allowed names when unknown
	 */
	public static BudgetUnit parse(String value) {
		if (value != null) {
			String name = value.trim().toLowerCase(Locale.ROOT).replace('_', '-');
			for (BudgetUnit unit : values()) {
				if (unit.configName.equals(name)) {
					return unit;
				}
			}
		}
		throw new IllegalArgumentException("unit must be one of " + Arrays.stream(values())
			.map(BudgetUnit::configName)
			.collect(Collectors.joining(", ")) + ", was " + ((value == null) ? "null" : "'" + value + "'"));
	}

	/**
	 * The kebab-case name used in configuration, for example {@code input-tokens}.
	 * @return the configuration name
	 */
	public String configName() {
		return this.configName;
	}

	/**
	 * Whether amounts of this unit are money (only {@link #COST}).
	 * @return {@code true} for the cost unit
	 */
	public boolean isMonetary() {
		return this.scale > 0;
	}

	/**
	 * Convert an amount as a user writes it (tokens, requests, or money in the pricing
	 * currency) to base units.
	 * @param amount the amount, {@code >= 0}
	 * @return the amount in base units
	 * @throws IllegalArgumentException when the amount is negative, has more decimal places than
	 * the unit keeps (none for requests and tokens, six for cost) or does not fit in a
	 * {@code long}
	 */
	public long toBaseUnits(BigDecimal amount) {
		if (amount == null) {
			throw new IllegalArgumentException("amount of " + this.configName + " must not be null");
		}
		if (amount.signum() < 0) {
			throw new IllegalArgumentException("amount of " + this.configName + " must be >= 0, was "
					+ amount.toPlainString());
		}
		BigDecimal scaled = amount.movePointRight(this.scale);
		try {
			return scaled.longValueExact();
		}
		catch (ArithmeticException ex) {
			String expected = (this.scale == 0) ? "a whole number" : "at most " + this.scale + " decimal places";
			throw new IllegalArgumentException("amount of " + this.configName + " must be " + expected
					+ " that fits in a long, was " + amount.toPlainString(), ex);
		}
	}

	/**
	 * Convert an amount in base units back to the amount a user reads (for cost, in the
	 * pricing currency with six decimal places).
	 * @param baseUnits the amount in base units, possibly negative (an overdraft)
	 * @return the amount
	 */
	public BigDecimal fromBaseUnits(long baseUnits) {
		return BigDecimal.valueOf(baseUnits, this.scale);
	}

	/**
	 * An amount in base units as messages and logs write it: tokens and requests as whole
	 * numbers, money without trailing zeros but with at least two decimal places ({@code 25.00},
	 * {@code 0.50}, {@code 0.0026}).
	 * @param baseUnits the amount in base units, possibly negative (an overdraft)
	 * @return the amount as text
	 */
	public String format(long baseUnits) {
		BigDecimal amount = fromBaseUnits(baseUnits);
		if (this.scale == 0) {
			return amount.toPlainString();
		}
		BigDecimal stripped = amount.stripTrailingZeros();
		return ((stripped.scale() < 2) ? stripped.setScale(2) : stripped).toPlainString();
	}

	/**
	 * What a usage spends of a budget in this unit, in base units.
	 * @param usage the usage
	 * @param pricing the prices, needed for {@link #COST} only
	 * @param estimate whether the usage is an estimate: an estimate, or a report that does not
	 * name its model, is priced at the highest prices so that it never falls short; a named
	 * model must have a price
	 * @return the amount, {@code >= 0}
	 * @throws IllegalArgumentException when a cost cannot be priced
	 */
	long amountOf(Usage usage, @Nullable Pricing pricing, boolean estimate) {
		return switch (this) {
			case REQUESTS -> usage.requests();
			case TOKENS -> usage.totalTokens();
			case INPUT_TOKENS -> usage.inputTokens();
			case OUTPUT_TOKENS -> usage.outputTokens();
			case COST -> (estimate || usage.model().isEmpty())
					? Objects.requireNonNull(pricing, "pricing").upperBoundInBaseUnits(usage)
					: Objects.requireNonNull(pricing, "pricing").costInBaseUnits(usage);
		};
	}

}
