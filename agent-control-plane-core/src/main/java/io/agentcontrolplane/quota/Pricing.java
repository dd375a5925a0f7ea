package io.agentcontrolplane.quota;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

/**
 * Prices of model calls, per million input tokens and per million output tokens, in one
 * currency; turns a {@link Usage} into money for {@link BudgetUnit#COST} budgets. Immutable.
 * <p>
 * The cost of a call is {@code inputTokens * input / 1e6 + outputTokens * output / 1e6},
 * computed exactly and then rounded up to whole millionths of the currency (the base unit of
 * cost budgets): rounding up means a budget never under-counts, and each call is over-counted
 * by less than one millionth.
 */
public final class Pricing {

	private static final BigDecimal MILLION = BigDecimal.valueOf(1_000_000);

	private final String currency;

	private final Map<String, Price> models;

	private Pricing(String currency, Map<String, Price> models) {
		this.currency = currency;
		this.models = Collections.unmodifiableMap(new LinkedHashMap<>(models));
	}

	/**
	 * Start building prices in the given currency.
	 * @param currency the currency, for example {@code USD}; not blank
	 * @return a builder
	 */
	public static Builder builder(String currency) {
		return new Builder(currency);
	}

	/**
	 * The currency every price and every cost budget is in.
	 * @return the currency code
	 */
	public String currency() {
		return this.currency;
	}

	/**
	 * Every priced model.
	 * @return an unmodifiable map from model name to price, in the order they were added
	 */
	public Map<String, Price> models() {
		return this.models;
	}

	/**
	 * The price of one model.
	 * @param model the model
	 * @return the price, empty when the model has none
	 */
	public Optional<Price> price(String model) {
		return Optional.ofNullable(this.models.get(model));
	}

	/**
	 * The cost of a usage, exactly, in {@link #currency()}.
	 * @param usage a usage naming its model
	 * @return the cost
	 * @throws IllegalArgumentException when the usage names no model or a model without a price
	 */
	public BigDecimal cost(Usage usage) {
		return priceOf(usage).cost(usage);
	}

	/**
	 * The cost of a usage in millionths of the currency, rounded up: the amount a
	 * {@link BudgetUnit#COST} budget is charged.
	 * @param usage a usage naming its model
	 * @return the cost in base units
	 * @throws IllegalArgumentException when the usage names no model or a model without a price
	 */
	public long costInBaseUnits(Usage usage) {
		return toBaseUnits(cost(usage));
	}

	/**
	 * The most a usage can cost: at its model's price when it names one, otherwise at the
	 * highest input and the highest output price of any model. Used for estimates, which may be
	 * reserved before the model is chosen.
	 * @param usage the usage
	 * @return the cost in base units, rounded up
	 * @throws IllegalArgumentException when the usage names a model without a price, or names
	 * none and no model has a price
	 */
	long upperBoundInBaseUnits(Usage usage) {
		if (usage.model().isPresent()) {
			return costInBaseUnits(usage);
		}
		if (this.models.isEmpty()) {
			throw new IllegalArgumentException("a cost budget needs a model price, but pricing has no models");
		}
		BigDecimal input = BigDecimal.ZERO;
		BigDecimal output = BigDecimal.ZERO;
		for (Price price : this.models.values()) {
			input = input.max(price.inputPerMillion());
			output = output.max(price.outputPerMillion());
		}
		return toBaseUnits(new Price(input, output).cost(usage));
	}

	private Price priceOf(Usage usage) {
		String model = usage.model()
			.orElseThrow(() -> new IllegalArgumentException("usage must name its model to be priced, was " + usage));
		Price price = this.models.get(model);
		if (price == null) {
			throw new IllegalArgumentException("model '" + model + "' has no price; priced models are "
					+ this.models.keySet());
		}
		return price;
	}

	private static long toBaseUnits(BigDecimal cost) {
		BigDecimal micros = cost.movePointRight(6).setScale(0, RoundingMode.CEILING);
		try {
			return micros.longValueExact();
		}
		catch (ArithmeticException ex) {
			throw new IllegalArgumentException("cost must fit in a long of millionths, was " + cost.toPlainString(), ex);
		}
	}

	@Override
	public boolean equals(@Nullable Object obj) {
		return (this == obj) || (obj instanceof Pricing other && this.currency.equals(other.currency)
				&& this.models.equals(other.models));
	}

	@Override
	public int hashCode() {
		return Objects.hash(this.currency, this.models);
	}

	@Override
	public String toString() {
		return "Pricing[currency=" + this.currency + ", models=" + this.models + "]";
	}

	/**
	 * The price of one model, in the pricing currency per million tokens.
	 *
	 * @param inputPerMillion the price of a million input tokens, {@code >= 0}
	 * @param outputPerMillion the price of a million output tokens, {@code >= 0}
	 */
	public record Price(BigDecimal inputPerMillion, BigDecimal outputPerMillion) {

		/**
		 * Validate the prices.
		 * @param inputPerMillion the price of a million input tokens, {@code >= 0}
		 * @param outputPerMillion the price of a million output tokens, {@code >= 0}
		 */
		public Price {
			if (inputPerMillion == null || inputPerMillion.signum() < 0) {
				throw new IllegalArgumentException("input price must be >= 0, was "
						+ ((inputPerMillion == null) ? "null" : inputPerMillion.toPlainString()));
			}
			if (outputPerMillion == null || outputPerMillion.signum() < 0) {
				throw new IllegalArgumentException("output price must be >= 0, was "
						+ ((outputPerMillion == null) ? "null" : outputPerMillion.toPlainString()));
			}
		}

		/**
		 * The exact cost of the tokens of a usage at this price (the model it names is not
		 * checked).
		 * @param usage the usage
		 * @return the cost in the pricing currency
		 */
		public BigDecimal cost(Usage usage) {
			return BigDecimal.valueOf(usage.inputTokens())
				.multiply(this.inputPerMillion)
				.add(BigDecimal.valueOf(usage.outputTokens()).multiply(this.outputPerMillion))
				.divide(MILLION);
		}

	}

	/**
	 * Builds a {@link Pricing}; each setter validates at once and throws
	 * {@link IllegalArgumentException} naming the field and the value.
	 */
	public static final class Builder {

		private final String currency;

		private final Map<String, Price> models = new LinkedHashMap<>();

		private Builder(String currency) {
			if (currency == null || currency.isBlank()) {
				throw new IllegalArgumentException("currency must not be null or blank, was "
						+ ((currency == null) ? "null" : "'" + currency + "'"));
			}
			this.currency = currency.trim();
		}

		/**
		 * Price one model; pricing the same model again replaces its price.
		 * @param model the model name, not blank
		 * @param inputPerMillion the price of a million input tokens, {@code >= 0}
		 * @param outputPerMillion the price of a million output tokens, {@code >= 0}
		 * @return this builder
		 */
		public Builder model(String model, BigDecimal inputPerMillion, BigDecimal outputPerMillion) {
			if (model == null || model.isBlank()) {
				throw new IllegalArgumentException(
						"model must not be null or blank, was " + ((model == null) ? "null" : "'" + model + "'"));
			}
			Price price;
			try {
				price = new Price(inputPerMillion, outputPerMillion);
			}
			catch (IllegalArgumentException ex) {
				throw new IllegalArgumentException("model '" + model + "': " + ex.getMessage(), ex);
			}
			this.models.put(model, price);
			return this;
		}

		/**
		 * Price one model from configuration text, for example {@code "0.40"} and {@code "1.60"}.
		 * @param model the model name, not blank
		 * @param inputPerMillion the price of a million input tokens
		 * @param outputPerMillion the price of a million output tokens
		 * @return this builder
		 */
		public Builder model(String model, String inputPerMillion, String outputPerMillion) {
			return model(model, decimal(model, "input", inputPerMillion), decimal(model, "output", outputPerMillion));
		}

		private static BigDecimal decimal(String model, String field, String value) {
			try {
				return new BigDecimal(Objects.requireNonNull(value).trim());
			}
			catch (NumberFormatException | NullPointerException ex) {
				throw new IllegalArgumentException("model '" + model + "': " + field + " price must be a number, was "
						+ ((value == null) ? "null" : "'" + value + "'"), ex);
			}
		}

		/**
		 * Build the pricing.
		 * @return the immutable pricing
		 */
		public Pricing build() {
			return new Pricing(this.currency, this.models);
		}

	}

}
