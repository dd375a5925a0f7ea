package io.agentcontrolplane.quota;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;

import io.agentcontrolplane.test.MutableClock;
import org.junit.jupiter.api.Test;

import io.agentcontrolplane.quota.BudgetLedger.Admission;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Calendar windows: where days, ISO weeks and months begin in a zone with daylight saving, and
 * how a {@link BudgetLedger} resets, refuses and settles around those starts.
 */
class BudgetCalendarTests {

	private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

	private static final ZoneId NEW_YORK = ZoneId.of("America/New_York");

	private final MutableClock clock = new MutableClock();

	private BudgetLedger ledger(ZoneId zone, Budget budget) {
		return new BudgetLedger(List.of(budget), null, EngineTime.of(this.clock), this.clock, zone,
				BudgetWarningListener.NONE);
	}

	private static Budget budget(BudgetUnit unit, long limit, String window) {
		return Budget.builder(unit).limit(limit).per(window).build();
	}

	private static long remaining(BudgetLedger ledger) {
		return ledger.statuses().get(0).remaining();
	}

	private static Reservation reserved(Admission admission) {
		assertThat(admission).isInstanceOf(Reservation.class);
		return (Reservation) admission;
	}

	private static Duration refusedFor(Admission admission) {
		assertThat(admission).isInstanceOf(Refusal.class);
		return ((Refusal) admission).retryAfter();
	}

	@Test
	void theDayOfTheSpringChangeLasts23HoursAndTheAutumnOne25() {
		BudgetWindow day = BudgetWindow.day();
		Instant spring = Instant.parse("2026-03-29T10:00:00Z");
		assertThat(day.startOf(spring, BERLIN)).isEqualTo("2026-03-28T23:00:00Z");
		assertThat(day.nextStartAfter(spring, BERLIN)).isEqualTo("2026-03-29T22:00:00Z");
		Instant autumn = Instant.parse("2026-10-25T10:00:00Z");
		assertThat(day.startOf(autumn, BERLIN)).isEqualTo("2026-10-24T22:00:00Z");
		assertThat(day.nextStartAfter(autumn, BERLIN)).isEqualTo("2026-10-25T23:00:00Z");
	}

	@Test
	void aDayStartsAtItsFirstValidInstantWhenDaylightSavingSkipsMidnight() {
		// In 2018 Sao Paulo moved its clocks from 00:00 to 01:00 on 4 November.
		ZoneId saoPaulo = ZoneId.of("America/Sao_Paulo");
		Instant noon = Instant.parse("2018-11-04T15:00:00Z");
		assertThat(BudgetWindow.day().startOf(noon, saoPaulo)).isEqualTo("2018-11-04T03:00:00Z");
		assertThat(BudgetWindow.day().nextStartAfter(noon, saoPaulo)).isEqualTo("2018-11-05T02:00:00Z");
	}

	@Test
	void aWeekStartsOnMondayInTheZone() {
		BudgetWindow week = BudgetWindow.week();
		// Sunday 29 March 2026, the day Berlin moves to summer time.
		Instant sunday = Instant.parse("2026-03-29T10:00:00Z");
		assertThat(week.startOf(sunday, BERLIN)).isEqualTo("2026-03-22T23:00:00Z");
		assertThat(week.nextStartAfter(sunday, BERLIN)).isEqualTo("2026-03-29T22:00:00Z");
		Instant mondayMidnight = Instant.parse("2026-03-29T22:00:00Z");
		assertThat(week.startOf(mondayMidnight, BERLIN)).isEqualTo(mondayMidnight);
		assertThat(week.nextStartAfter(mondayMidnight, BERLIN)).isEqualTo("2026-04-05T22:00:00Z");
	}

	@Test
	void aMonthEndsAtTheFirstOfTheNextMonthInTheZone() {
		BudgetWindow month = BudgetWindow.month();
		Instant lastSecondOfJanuary = Instant.parse("2026-01-31T22:59:59Z");
		assertThat(month.startOf(lastSecondOfJanuary, BERLIN)).isEqualTo("2025-12-31T23:00:00Z");
		assertThat(month.nextStartAfter(lastSecondOfJanuary, BERLIN)).isEqualTo("2026-01-31T23:00:00Z");
		// March 2026 starts in winter time and ends in summer time.
		Instant march = Instant.parse("2026-03-15T12:00:00Z");
		assertThat(month.startOf(march, BERLIN)).isEqualTo("2026-02-28T23:00:00Z");
		assertThat(month.nextStartAfter(march, BERLIN)).isEqualTo("2026-03-31T22:00:00Z");
		assertThat(month.nextStartAfter(Instant.parse("2028-02-15T12:00:00Z"), BERLIN))
			.isEqualTo("2028-02-29T23:00:00Z");
		assertThat(month.nextStartAfter(Instant.parse("2026-12-31T12:00:00Z"), NEW_YORK))
			.isEqualTo("2027-01-01T05:00:00Z");
	}

	@Test
	void aDailyBudgetWaitsForMidnightInItsZoneAcrossTheSpringChange() {
		// 00:30 in New York on 8 March 2026, the day clocks move from EST to EDT.
		this.clock.set(Instant.parse("2026-03-08T05:30:00Z"));
		BudgetLedger ledger = ledger(NEW_YORK, budget(BudgetUnit.REQUESTS, 3, "day"));
		reserved(ledger.reserve(Usage.requests(3)));
		assertThat(refusedFor(ledger.reserve(Usage.requests(1)))).isEqualTo(Duration.ofHours(22).plusMinutes(30));
		assertThat(ledger.statuses().get(0).resetsAt()).isEqualTo("2026-03-09T04:00:00Z");
		this.clock.set(Instant.parse("2026-03-09T03:59:59Z"));
		assertThat(refusedFor(ledger.reserve(Usage.requests(1)))).isEqualTo(Duration.ofSeconds(1));
		this.clock.set(Instant.parse("2026-03-09T04:00:00Z"));
		reserved(ledger.reserve(Usage.requests(3)));
		assertThat(remaining(ledger)).isZero();
	}

	@Test
	void aDailyBudgetWaitsTwentyFiveHoursOnTheAutumnChange() {
		this.clock.set(Instant.parse("2026-10-24T22:00:00Z"));
		BudgetLedger ledger = ledger(BERLIN, budget(BudgetUnit.TOKENS, 1_000, "day"));
		reserved(ledger.reserve(Usage.estimate(1_000, 0)));
		assertThat(refusedFor(ledger.reserve(Usage.estimate(1, 0)))).isEqualTo(Duration.ofHours(25));
	}

	@Test
	void aMonthlyBudgetIsFullAgainAtTheFirstOfTheMonth() {
		this.clock.set(Instant.parse("2026-01-31T22:59:00Z"));
		BudgetLedger ledger = ledger(BERLIN, budget(BudgetUnit.OUTPUT_TOKENS, 50_000, "month"));
		reserved(ledger.reserve(Usage.estimate(0, 40_000)));
		assertThat(refusedFor(ledger.reserve(Usage.estimate(0, 20_000)))).isEqualTo(Duration.ofMinutes(1));
		assertThat(remaining(ledger)).isEqualTo(10_000);
		this.clock.advance(Duration.ofMinutes(1));
		assertThat(remaining(ledger)).isEqualTo(50_000);
		assertThat(ledger.statuses().get(0).resetsAt()).isEqualTo("2026-02-28T23:00:00Z");
		reserved(ledger.reserve(Usage.estimate(0, 20_000)));
	}

	@Test
	void anOverdraftOfACalendarBudgetEndsWithItsWindow() {
		this.clock.set(Instant.parse("2026-06-10T10:00:00Z"));
		BudgetLedger ledger = ledger(BERLIN, budget(BudgetUnit.TOKENS, 1_000, "day"));
		reserved(ledger.reserve(Usage.estimate(500, 0))).settle(Usage.of("m", 500, 1_000));
		assertThat(remaining(ledger)).isEqualTo(-500);
		this.clock.set(Instant.parse("2026-06-10T22:00:00Z"));
		assertThat(remaining(ledger)).isEqualTo(1_000);
	}

	@Test
	void aSettlementAfterItsWindowEndedDropsTheRefundAndChargesTheExtraToTheNewWindow() {
		this.clock.set(Instant.parse("2026-06-10T21:59:00Z"));
		BudgetLedger ledger = ledger(BERLIN, budget(BudgetUnit.TOKENS, 1_000, "day"));
		Reservation overestimated = reserved(ledger.reserve(Usage.estimate(600, 0)));
		Reservation underestimated = reserved(ledger.reserve(Usage.estimate(100, 0)));
		this.clock.set(Instant.parse("2026-06-10T22:00:00Z"));
		reserved(ledger.reserve(Usage.estimate(200, 0)));
		assertThat(remaining(ledger)).isEqualTo(800);
		// Giving 500 back to the new day would hand out budget that yesterday spent.
		overestimated.settle(Usage.of("m", 100, 0));
		assertThat(remaining(ledger)).isEqualTo(800);
		// 300 tokens more than reserved were really spent; they are counted today.
		underestimated.settle(Usage.of("m", 400, 0));
		assertThat(remaining(ledger)).isEqualTo(500);
	}

	@Test
	void settingTheClockBackNeverGivesABudgetBack() {
		this.clock.set(Instant.parse("2026-06-10T10:00:00Z"));
		BudgetLedger ledger = ledger(BERLIN, budget(BudgetUnit.REQUESTS, 1, "day"));
		reserved(ledger.reserve(Usage.requests(1)));
		this.clock.set(Instant.parse("2026-06-08T10:00:00Z"));
		assertThat(remaining(ledger)).isZero();
		assertThat(ledger.reserve(Usage.requests(1))).isInstanceOf(Refusal.class);
	}

}
