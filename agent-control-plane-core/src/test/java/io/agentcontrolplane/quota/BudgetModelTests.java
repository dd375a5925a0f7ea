package io.agentcontrolplane.quota;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Parsing and validation of {@link BudgetUnit}, {@link BudgetWindow}, {@link Budget} and
 * {@link Usage}.
 */
class BudgetModelTests {

	@Test
	void unitsParseFromTheirConfigurationNames() {
		assertThat(BudgetUnit.parse("requests")).isEqualTo(BudgetUnit.REQUESTS);
		assertThat(BudgetUnit.parse("tokens")).isEqualTo(BudgetUnit.TOKENS);
		assertThat(BudgetUnit.parse("input-tokens")).isEqualTo(BudgetUnit.INPUT_TOKENS);
		assertThat(BudgetUnit.parse(" Output-Tokens ")).isEqualTo(BudgetUnit.OUTPUT_TOKENS);
		assertThat(BudgetUnit.parse("COST")).isEqualTo(BudgetUnit.COST);
		assertThat(BudgetUnit.parse("INPUT_TOKENS")).isEqualTo(BudgetUnit.INPUT_TOKENS);
		assertThat(BudgetUnit.OUTPUT_TOKENS.configName()).isEqualTo("output-tokens");
	}

	@Test
	void unknownUnitNamesTheValueAndTheAllowedOnes() {
		assertThatIllegalArgumentException().isThrownBy(() -> BudgetUnit.parse("dollars"))
			.withMessageContaining("'dollars'")
			.withMessageContaining("requests, tokens, input-tokens, output-tokens, cost");
		assertThatIllegalArgumentException().isThrownBy(() -> BudgetUnit.parse(null)).withMessageContaining("null");
	}

	@Test
	void costIsCountedInMillionthsOfTheCurrency() {
		assertThat(BudgetUnit.COST.toBaseUnits(new BigDecimal("25.00"))).isEqualTo(25_000_000L);
		assertThat(BudgetUnit.COST.fromBaseUnits(25_000_000L)).isEqualByComparingTo("25");
		assertThat(BudgetUnit.TOKENS.toBaseUnits(BigDecimal.valueOf(200_000))).isEqualTo(200_000L);
		assertThatIllegalArgumentException().isThrownBy(() -> BudgetUnit.COST.toBaseUnits(new BigDecimal("0.0000001")))
			.withMessageContaining("0.0000001");
		assertThatIllegalArgumentException().isThrownBy(() -> BudgetUnit.TOKENS.toBaseUnits(new BigDecimal("1.5")))
			.withMessageContaining("whole number")
			.withMessageContaining("1.5");
	}

	@Test
	void windowsParseDurationsAndCalendarPeriods() {
		assertThat(BudgetWindow.parse("1m").duration()).hasValue(Duration.ofMinutes(1));
		assertThat(BudgetWindow.parse("1h").duration()).hasValue(Duration.ofHours(1));
		assertThat(BudgetWindow.parse("30s").duration()).hasValue(Duration.ofSeconds(30));
		assertThat(BudgetWindow.parse("500ms").duration()).hasValue(Duration.ofMillis(500));
		assertThat(BudgetWindow.parse("PT30S").duration()).hasValue(Duration.ofSeconds(30));
		assertThat(BudgetWindow.parse("pt1h").duration()).hasValue(Duration.ofHours(1));
		assertThat(BudgetWindow.parse("day")).isEqualTo(BudgetWindow.day());
		assertThat(BudgetWindow.parse("Week").calendar()).hasValue(BudgetWindow.Calendar.WEEK);
		assertThat(BudgetWindow.parse("month").isCalendar()).isTrue();
		assertThat(BudgetWindow.parse("1m").isCalendar()).isFalse();
		assertThat(BudgetWindow.parse("60s")).hasToString("1m");
		assertThat(BudgetWindow.parse("PT90S")).hasToString("90s");
		assertThat(BudgetWindow.month()).hasToString("month");
	}

	@Test
	void badWindowsNameTheValue() {
		for (String bad : new String[] { "0s", "PT0S", "-PT1S", "1 fortnight", "year", "m", "", "PT" }) {
			assertThatIllegalArgumentException().as(bad)
				.isThrownBy(() -> BudgetWindow.parse(bad))
				.withMessageContaining("window")
				.withMessageContaining("'" + bad + "'")
				.withMessageContaining("day, week, month");
		}
		assertThatIllegalArgumentException().isThrownBy(() -> BudgetWindow.of(Duration.ZERO))
			.withMessageContaining("window")
			.withMessageContaining("PT0S");
	}

	@Test
	void aDurationWindowHasNoCalendarStart() {
		assertThatIllegalStateException()
			.isThrownBy(() -> BudgetWindow.parse("1h").nextStartAfter(Instant.EPOCH, ZoneId.of("UTC")))
			.withMessageContaining("1h");
	}

	@Test
	void budgetsKeepTheirValues() {
		Budget cost = Budget.builder(BudgetUnit.COST).limit("25.00").per("day").warnAt("80%").build();
		assertThat(cost.unit()).isEqualTo(BudgetUnit.COST);
		assertThat(cost.limit()).isEqualByComparingTo("25");
		assertThat(cost.limitInBaseUnits()).isEqualTo(25_000_000L);
		assertThat(cost.window()).isEqualTo(BudgetWindow.day());
		assertThat(cost.warnAt()).hasValue(0.8);
		assertThat(cost.warnThreshold()).isEqualTo(20_000_000L);
		assertThat(cost).hasToString("cost 25.00 per day (warn at 80%)");
		Budget tokens = Budget.of(BudgetUnit.TOKENS, 200_000, BudgetWindow.parse("1m"));
		assertThat(tokens.warnAt()).isEmpty();
		assertThat(tokens.warnThreshold()).isEqualTo(-1);
		assertThat(tokens).hasToString("tokens 200000 per 1m");
		assertThat(Budget.builder(BudgetUnit.TOKENS).limit(200_000).per("60s").build()).isEqualTo(tokens)
			.hasSameHashCodeAs(tokens);
		assertThat(Budget.builder(BudgetUnit.TOKENS).limit(7).per("1m").warnAt(0.5).build().warnThreshold())
			.as("rounded up, so the warning never fires below the fraction")
			.isEqualTo(4);
		assertThat(Budget.builder(BudgetUnit.REQUESTS).limit(0).per("1m").build().limitInBaseUnits()).isZero();
	}

	@Test
	void badBudgetsNameTheFieldAndTheValue() {
		assertThatIllegalArgumentException().isThrownBy(() -> Budget.builder(BudgetUnit.TOKENS).limit(-1))
			.withMessageContaining("limit")
			.withMessageContaining("-1");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> Budget.builder(BudgetUnit.COST).limit(new BigDecimal("-0.01")))
			.withMessageContaining("limit")
			.withMessageContaining("-0.01");
		assertThatIllegalArgumentException().isThrownBy(() -> Budget.builder(BudgetUnit.TOKENS).limit("10.5"))
			.withMessageContaining("limit of a tokens budget must be a whole number")
			.withMessageContaining("10.5");
		assertThatIllegalArgumentException().isThrownBy(() -> Budget.builder(BudgetUnit.COST).limit("0.1234567"))
			.withMessageContaining("6 decimal places")
			.withMessageContaining("0.1234567");
		assertThatIllegalArgumentException().isThrownBy(() -> Budget.builder(BudgetUnit.COST).limit("lots"))
			.withMessageContaining("limit")
			.withMessageContaining("'lots'");
		assertThatIllegalArgumentException().isThrownBy(() -> Budget.builder(BudgetUnit.TOKENS).per("0s"))
			.withMessageContaining("window")
			.withMessageContaining("'0s'");
		assertThatIllegalArgumentException().isThrownBy(() -> Budget.builder(BudgetUnit.TOKENS).per("1m").build())
			.withMessageContaining("limit must be set");
		assertThatIllegalArgumentException().isThrownBy(() -> Budget.builder(BudgetUnit.TOKENS).limit(1).build())
			.withMessageContaining("window must be set");
		assertThatIllegalArgumentException().isThrownBy(() -> Budget.builder(null))
			.withMessageContaining("unit");
		for (String bad : new String[] { "0%", "120%", "1.5", "-0.2", "eighty", "" }) {
			assertThatIllegalArgumentException().as(bad)
				.isThrownBy(() -> Budget.builder(BudgetUnit.COST).warnAt(bad))
				.withMessageContaining("warnAt")
				.withMessageContaining("'" + bad + "'");
		}
		assertThatIllegalArgumentException().isThrownBy(() -> Budget.builder(BudgetUnit.COST).warnAt(0.0))
			.withMessageContaining("warnAt")
			.withMessageContaining("0.0");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> Budget.builder(BudgetUnit.COST).limit(2_000).per("1s").build())
			.withMessageContaining("2000")
			.withMessageContaining("per 1s")
			.withMessageContaining("nanosecond");
	}

	@Test
	void warnAtAcceptsPercentagesAndFractions() {
		assertThat(Budget.builder(BudgetUnit.COST).limit(1).per("day").warnAt("80%").build().warnAt()).hasValue(0.8);
		assertThat(Budget.builder(BudgetUnit.COST).limit(1).per("day").warnAt("0.8").build().warnAt()).hasValue(0.8);
		assertThat(Budget.builder(BudgetUnit.COST).limit(1).per("day").warnAt("100%").build().warnAt()).hasValue(1.0);
		assertThat(Budget.builder(BudgetUnit.COST).limit(1).per("day").warnAt("7%").build())
			.hasToString("cost 1.00 per day (warn at 7%)");
		assertThat(Budget.builder(BudgetUnit.COST).limit(1).per("day").warnAt("12.5%").build())
			.hasToString("cost 1.00 per day (warn at 12.5%)");
	}

	@Test
	void usageCountsOneRequestPerCall() {
		Usage estimate = Usage.estimate(1_000, 500);
		assertThat(estimate.model()).isEmpty();
		assertThat(estimate.requests()).isEqualTo(1);
		assertThat(estimate.inputTokens()).isEqualTo(1_000);
		assertThat(estimate.outputTokens()).isEqualTo(500);
		assertThat(estimate.totalTokens()).isEqualTo(1_500);
		assertThat(estimate.withModel("m")).isEqualTo(Usage.estimate("m", 1_000, 500));
		Usage actual = Usage.of("gpt-4.1-mini", 900, 120);
		assertThat(actual.model()).hasValue("gpt-4.1-mini");
		assertThat(actual.requests()).isEqualTo(1);
		assertThat(Usage.requests(3).requests()).isEqualTo(3);
		assertThat(Usage.requests(3).totalTokens()).isZero();
		assertThat(actual.withRequests(0).requests()).isZero();
	}

	@Test
	void badUsageNamesTheFieldAndTheValue() {
		assertThatIllegalArgumentException().isThrownBy(() -> Usage.estimate(-1, 5))
			.withMessageContaining("inputTokens")
			.withMessageContaining("-1");
		assertThatIllegalArgumentException().isThrownBy(() -> Usage.estimate(1, -5))
			.withMessageContaining("maxOutputTokens")
			.withMessageContaining("-5");
		assertThatIllegalArgumentException().isThrownBy(() -> Usage.of("m", 1, -2))
			.withMessageContaining("outputTokens")
			.withMessageContaining("-2");
		assertThatIllegalArgumentException().isThrownBy(() -> Usage.of(" ", 1, 2))
			.withMessageContaining("model")
			.withMessageContaining("' '");
		assertThatIllegalArgumentException().isThrownBy(() -> Usage.requests(-1))
			.withMessageContaining("requests")
			.withMessageContaining("-1");
		assertThatIllegalArgumentException().isThrownBy(() -> Usage.estimate(Long.MAX_VALUE, 1))
			.withMessageContaining("fit in a long");
	}

	@Test
	void amountsAreWrittenAsAUserReadsThem() {
		assertThat(BudgetUnit.TOKENS.format(200_000)).isEqualTo("200000");
		assertThat(BudgetUnit.COST.format(25_000_000)).isEqualTo("25.00");
		assertThat(BudgetUnit.COST.format(500_000)).isEqualTo("0.50");
		assertThat(BudgetUnit.COST.format(2_600)).isEqualTo("0.0026");
		assertThat(BudgetUnit.COST.format(-400)).isEqualTo("-0.0004");
		assertThat(BudgetUnit.COST.format(0)).isEqualTo("0.00");
	}

}
