package io.agentcontrolplane.quota;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

import io.agentcontrolplane.test.MutableClock;
import org.junit.jupiter.api.Test;

import io.agentcontrolplane.quota.BudgetLedger.Admission;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Replacing a ledger's budgets live, as a quota replaced while calls are in flight: what was
 * spent stays spent, and open reservations settle against the replacement.
 */
class BudgetLedgerReplacementTests {

	private static final Pricing PRICING = Pricing.builder("USD").model("m", "1.00", "2.00").build();

	private final MutableClock clock = new MutableClock(Instant.parse("2026-06-10T10:00:00Z"));

	private final List<String> warnings = new ArrayList<>();

	private BudgetLedger ledger(Pricing pricing, Budget... budgets) {
		return new BudgetLedger(List.of(budgets), pricing, EngineTime.of(this.clock), this.clock,
				ZoneId.of("Europe/Berlin"), (budget, spent, resetsAt) -> this.warnings.add(budget + " " + spent));
	}

	private static Budget budget(BudgetUnit unit, long limit, String window) {
		return Budget.builder(unit).limit(limit).per(window).build();
	}

	private static long[] remaining(BudgetLedger ledger) {
		return ledger.statuses().stream().mapToLong(BudgetStatus::remaining).toArray();
	}

	private static Reservation reserved(Admission admission) {
		assertThat(admission).isInstanceOf(Reservation.class);
		return (Reservation) admission;
	}

	@Test
	void raisingALimitKeepsWhatWasSpentAndGivesNoFreshBurst() {
		BudgetLedger ledger = ledger(null, budget(BudgetUnit.TOKENS, 1_000, "1m"));
		reserved(ledger.reserve(Usage.estimate(600, 0)));
		ledger.replaceBudgets(List.of(budget(BudgetUnit.TOKENS, 2_000, "1m")));
		assertThat(ledger.budgets()).containsExactly(budget(BudgetUnit.TOKENS, 2_000, "1m"));
		assertThat(remaining(ledger)).containsExactly(1_400);
	}

	@Test
	void loweringALimitBelowTheSpendingOverdrawsIt() {
		BudgetLedger ledger = ledger(null, budget(BudgetUnit.TOKENS, 1_000, "1m"));
		reserved(ledger.reserve(Usage.estimate(600, 0)));
		ledger.replaceBudgets(List.of(budget(BudgetUnit.TOKENS, 500, "1m")));
		assertThat(remaining(ledger)).containsExactly(-100);
		// 500 tokens a minute refill one token every 120 ms: 101 tokens take 12.12 s.
		Admission admission = ledger.reserve(Usage.estimate(1, 0));
		assertThat(admission).isInstanceOf(Refusal.class);
		assertThat(((Refusal) admission).retryAfter()).isEqualTo(Duration.ofMillis(12_120));
	}

	@Test
	void openReservationsSettleAgainstTheReplacement() {
		BudgetLedger ledger = ledger(null, budget(BudgetUnit.TOKENS, 1_000, "1m"),
				budget(BudgetUnit.REQUESTS, 10, "day"));
		Reservation settled = reserved(ledger.reserve(Usage.estimate(600, 0)));
		Reservation refunded = reserved(ledger.reserve(Usage.estimate(100, 0)));
		ledger.replaceBudgets(List.of(budget(BudgetUnit.REQUESTS, 20, "day"), budget(BudgetUnit.TOKENS, 2_000, "1m")));
		assertThat(remaining(ledger)).containsExactly(18, 1_300);
		settled.settle(Usage.of("m", 100, 0));
		refunded.refund();
		assertThat(remaining(ledger)).containsExactly(19, 1_900);
	}

	@Test
	void aRemovedBudgetStopsCountingAndANewOneStartsFull() {
		BudgetLedger ledger = ledger(null, budget(BudgetUnit.TOKENS, 1_000, "1m"));
		Reservation reservation = reserved(ledger.reserve(Usage.estimate(600, 300)));
		ledger.replaceBudgets(List.of(budget(BudgetUnit.OUTPUT_TOKENS, 500, "1m"), budget(BudgetUnit.TOKENS, 1_000, "1h")));
		assertThat(remaining(ledger)).as("a window that changed is another budget").containsExactly(500, 1_000);
		reservation.settle(Usage.of("m", 600, 900));
		assertThat(remaining(ledger)).containsExactly(500, 1_000);
	}

	@Test
	void unchangedBudgetsKeepTheirStateAndTheirReservations() {
		Budget tokens = budget(BudgetUnit.TOKENS, 1_000, "1m");
		BudgetLedger ledger = ledger(null, tokens);
		Reservation reservation = reserved(ledger.reserve(Usage.estimate(600, 0)));
		ledger.replaceBudgets(List.of(tokens));
		reservation.settle(Usage.of("m", 200, 0));
		assertThat(remaining(ledger)).containsExactly(800);
	}

	@Test
	void aReplacedBudgetDoesNotWarnTwiceInOneWindow() {
		BudgetLedger ledger = ledger(null,
				Budget.builder(BudgetUnit.REQUESTS).limit(10).per("day").warnAt("80%").build());
		reserved(ledger.reserve(Usage.requests(8)));
		assertThat(this.warnings).hasSize(1);
		ledger.replaceBudgets(List.of(Budget.builder(BudgetUnit.REQUESTS).limit(20).per("day").warnAt("80%").build()));
		reserved(ledger.reserve(Usage.requests(9)));
		assertThat(remaining(ledger)).containsExactly(3);
		assertThat(this.warnings).hasSize(1);
		this.clock.set(Instant.parse("2026-06-10T22:00:00Z"));
		reserved(ledger.reserve(Usage.requests(16)));
		assertThat(this.warnings).hasSize(2);
	}

	@Test
	void aCostBudgetWithoutPricingIsRefusedAndNothingChanges() {
		BudgetLedger ledger = ledger(null, budget(BudgetUnit.TOKENS, 1_000, "1m"));
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ledger.replaceBudgets(List.of(budget(BudgetUnit.COST, 5, "day"))))
			.withMessageContaining("cost 5.00 per day");
		assertThat(ledger.budgets()).containsExactly(budget(BudgetUnit.TOKENS, 1_000, "1m"));
		BudgetLedger priced = ledger(PRICING, budget(BudgetUnit.TOKENS, 1_000, "1m"));
		priced.replaceBudgets(List.of(budget(BudgetUnit.COST, 5, "day")));
		assertThat(reserved(priced.reserve(Usage.estimate("m", 1_000, 1_000))).charged()).containsExactly(3_000);
	}

}
