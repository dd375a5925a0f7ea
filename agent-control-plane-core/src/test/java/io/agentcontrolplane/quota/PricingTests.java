package io.agentcontrolplane.quota;

import java.math.BigDecimal;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Cost computation of {@link Pricing}.
 */
class PricingTests {

	private final Pricing pricing = Pricing.builder("USD")
		.model("gpt-4.1-mini", "0.40", "1.60")
		.model("big", new BigDecimal("3.00"), new BigDecimal("15.00"))
		.build();

	@Test
	void costIsInputAndOutputTokensAtTheirPricePerMillion() {
		// 1,000,000 input tokens at 0.40 and 250,000 output tokens at 1.60 per million.
		Usage usage = Usage.of("gpt-4.1-mini", 1_000_000, 250_000);
		assertThat(this.pricing.cost(usage)).isEqualByComparingTo("0.80");
		assertThat(this.pricing.costInBaseUnits(usage)).isEqualTo(800_000L);
		assertThat(this.pricing.currency()).isEqualTo("USD");
		assertThat(this.pricing.models()).containsOnlyKeys("gpt-4.1-mini", "big");
		assertThat(this.pricing.price("big")).hasValue(new Pricing.Price(new BigDecimal("3.00"), new BigDecimal("15.00")));
	}

	@Test
	void costIsRoundedUpToWholeMillionthsSoABudgetNeverUnderCounts() {
		// One input token at 0.40 per million is 0.4 millionths: charged as 1.
		Usage usage = Usage.of("gpt-4.1-mini", 1, 0);
		assertThat(this.pricing.cost(usage)).isEqualByComparingTo("0.0000004");
		assertThat(this.pricing.costInBaseUnits(usage)).isEqualTo(1L);
		assertThat(this.pricing.costInBaseUnits(Usage.of("gpt-4.1-mini", 0, 0))).isZero();
		// 3 input (1.2) + 2 output (3.2) = 4.4 millionths: charged as 5.
		assertThat(this.pricing.costInBaseUnits(Usage.of("gpt-4.1-mini", 3, 2))).isEqualTo(5L);
	}

	@Test
	void anEstimateWithoutAModelIsPricedAtTheHighestPrices() {
		Usage estimate = Usage.estimate(1_000, 1_000);
		// 1000 * 3.00 + 1000 * 15.00 = 18000 millionths.
		assertThat(this.pricing.upperBoundInBaseUnits(estimate)).isEqualTo(18_000L);
		assertThat(this.pricing.upperBoundInBaseUnits(estimate.withModel("gpt-4.1-mini"))).isEqualTo(2_000L);
		assertThatIllegalArgumentException()
			.isThrownBy(() -> Pricing.builder("USD").build().upperBoundInBaseUnits(estimate))
			.withMessageContaining("no models");
	}

	@Test
	void aModelWithoutAPriceIsAnErrorNamingTheModel() {
		assertThatIllegalArgumentException().isThrownBy(() -> this.pricing.cost(Usage.of("gpt-9", 1, 1)))
			.withMessageContaining("'gpt-9'")
			.withMessageContaining("gpt-4.1-mini");
		assertThatIllegalArgumentException().isThrownBy(() -> this.pricing.cost(Usage.estimate(1, 1)))
			.withMessageContaining("model");
	}

	@Test
	void badPricesNameTheModelTheFieldAndTheValue() {
		assertThatIllegalArgumentException().isThrownBy(() -> Pricing.builder(" "))
			.withMessageContaining("currency")
			.withMessageContaining("' '");
		assertThatIllegalArgumentException().isThrownBy(() -> Pricing.builder("USD").model("m", "-1", "2"))
			.withMessageContaining("'m'")
			.withMessageContaining("input price")
			.withMessageContaining("-1");
		assertThatIllegalArgumentException().isThrownBy(() -> Pricing.builder("USD").model("m", "1", "cheap"))
			.withMessageContaining("'m'")
			.withMessageContaining("output price")
			.withMessageContaining("'cheap'");
		assertThatIllegalArgumentException().isThrownBy(() -> Pricing.builder("USD").model("", "1", "2"))
			.withMessageContaining("model");
	}

}
