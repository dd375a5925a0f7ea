package io.agentcontrolplane.quota;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;

import io.agentcontrolplane.test.MutableClock;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * A calendar {@code day} budget through the engine (not just its ledger) in a zone with
 * daylight saving time: on the 23-hour and the 25-hour day in Berlin, a call refused after the
 * budget was spent before the change is told to retry at the true next local midnight, and the
 * budget is full again exactly there. The engine reads the clock the test moves.
 */
class BudgetDaylightSavingAdmissionTests {

	private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

	private final MutableClock clock = new MutableClock();

	private final PolicyEngine engine = PolicyEngine.builder().clock(this.clock).budgetZone(BERLIN).build();

	@Test
	void onTheSpringChangeTheDayLastsTwentyThreeHours() {
		// 00:30 on Sunday 29 March 2026 in Berlin (CET); at 02:00 the clocks jump to 03:00 (CEST).
		Instant spent = berlin("2026-03-29T00:30");
		Instant midnight = berlin("2026-03-30T00:00");
		assertThat(Duration.between(berlin("2026-03-29T00:00"), midnight)).isEqualTo(Duration.ofHours(23));

		spendTheDayAndWaitForMidnight(spent, midnight, Duration.ofHours(22).plusMinutes(30));
	}

	@Test
	void onTheAutumnChangeTheDayLastsTwentyFiveHours() {
		// 00:30 on Sunday 25 October 2026 in Berlin (CEST); at 03:00 the clocks go back to 02:00 (CET).
		Instant spent = berlin("2026-10-25T00:30");
		Instant midnight = berlin("2026-10-26T00:00");
		assertThat(Duration.between(berlin("2026-10-25T00:00"), midnight)).isEqualTo(Duration.ofHours(25));

		spendTheDayAndWaitForMidnight(spent, midnight, Duration.ofHours(24).plusMinutes(30));
	}

	@Test
	void aBudgetSpentJustBeforeTheSpringChangeResetsAtTheSameMidnight() {
		// 01:59 CET, one minute before the clocks jump: the hour that never happens is not waited for.
		Instant spent = berlin("2026-03-29T01:59");
		spendTheDayAndWaitForMidnight(spent, berlin("2026-03-30T00:00"), Duration.ofHours(21).plusMinutes(1));
	}

	private void spendTheDayAndWaitForMidnight(Instant spent, Instant midnight, Duration expectedWait) {
		this.clock.set(spent);
		ResourceQuota quota = ResourceQuota.builder("agent")
			.budgets(Budget.builder(BudgetUnit.TOKENS).limit(1_000).per("day").build())
			.build();
		this.engine.setQuota("agent", quota);
		Permit permit = this.engine.admit("agent", null, Usage.estimate(600, 0), null);
		permit.settle(Usage.of("any-model", 1_000, 0));
		permit.close();
		assertThat(status().remaining()).isZero();
		assertThat(status().resetsAt()).isEqualTo(midnight);
		assertThat(Duration.between(spent, midnight)).isEqualTo(expectedWait);

		assertThat(refusal().retryAfter()).contains(expectedWait);
		// Across the change, up to the last second of the local day, the wait stays the true time left.
		this.clock.set(midnight.minus(Duration.ofHours(3)));
		assertThat(refusal().retryAfter()).contains(Duration.ofHours(3));
		this.clock.set(midnight.minusSeconds(1));
		assertThat(refusal().retryAfter()).contains(Duration.ofSeconds(1));
		assertThat(status().remaining()).isZero();

		this.clock.set(midnight);
		assertThat(status().remaining()).isEqualTo(1_000);
		assertThat(status().resetsAt()).isEqualTo(midnight.plus(Duration.ofDays(1)));
		this.engine.admit("agent", null, Usage.estimate(1_000, 0), null).close();
		assertThat(status().remaining()).isZero();
	}

	private QuotaExceededException refusal() {
		return assertThatExceptionOfType(QuotaExceededException.class)
			.isThrownBy(() -> this.engine.admit("agent", null, Usage.estimate(1, 0), null))
			.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(RejectionReason.BUDGET_EXHAUSTED))
			.actual();
	}

	private BudgetStatus status() {
		return this.engine.snapshot("agent").orElseThrow().budgets().get(0);
	}

	private static Instant berlin(String localDateTime) {
		return ZonedDateTime.of(java.time.LocalDateTime.parse(localDateTime), BERLIN).toInstant();
	}

}
