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
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Reserve, settle, refund and overdraft arithmetic of {@link BudgetLedger}, on a clock the test
 * moves by hand.
 */
class BudgetLedgerTests {

	private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

	private static final Pricing PRICING = Pricing.builder("USD").model("gpt-4.1-mini", "0.40", "1.60").build();

	private final MutableClock clock = new MutableClock(Instant.parse("2026-06-10T10:00:00Z"));

	private final List<String> warnings = new ArrayList<>();

	private BudgetLedger ledger(Budget... budgets) {
		return new BudgetLedger(List.of(budgets), PRICING, EngineTime.of(this.clock), this.clock, BERLIN,
				(budget, spent, resetsAt) -> this.warnings.add(budget.unit().configName() + " " + spent + " " + resetsAt));
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

	private static Refusal refused(Admission admission) {
		assertThat(admission).isInstanceOf(Refusal.class);
		return (Refusal) admission;
	}

	@Test
	void aReservationChargesTheEstimateToEveryBudget() {
		BudgetLedger ledger = ledger(budget(BudgetUnit.TOKENS, 1_000, "1m"), budget(BudgetUnit.INPUT_TOKENS, 800, "1m"),
				budget(BudgetUnit.OUTPUT_TOKENS, 300, "1m"), budget(BudgetUnit.REQUESTS, 10, "1h"));
		Reservation reservation = reserved(ledger.reserve(Usage.estimate(200, 100)));
		assertThat(remaining(ledger)).containsExactly(700, 600, 200, 9);
		assertThat(reservation.charged()).containsExactly(300, 200, 100, 1);
		assertThat(reservation.estimate()).isEqualTo(Usage.estimate(200, 100));
		assertThat(reservation.isOpen()).isTrue();
	}

	@Test
	void settlingGivesBackWhatTheEstimateChargedTooMuch() {
		BudgetLedger ledger = ledger(budget(BudgetUnit.TOKENS, 1_000, "1m"), budget(BudgetUnit.OUTPUT_TOKENS, 300, "1m"),
				budget(BudgetUnit.REQUESTS, 10, "1h"));
		Reservation reservation = reserved(ledger.reserve(Usage.estimate(200, 100)));
		reservation.settle(Usage.of("gpt-4.1-mini", 200, 40));
		assertThat(remaining(ledger)).containsExactly(760, 260, 9);
		assertThat(reservation.isOpen()).isFalse();
	}

	@Test
	void settlingChargesAnUnderestimatePastZeroAndTheNextCallersWaitItOut() {
		BudgetLedger ledger = ledger(budget(BudgetUnit.TOKENS, 1_000, "1m"));
		Reservation first = reserved(ledger.reserve(Usage.estimate(100, 100)));
		reserved(ledger.reserve(Usage.estimate(800, 0)));
		assertThat(remaining(ledger)).containsExactly(0);
		// The first call really used 600 tokens, 400 more than it reserved.
		first.settle(Usage.of("gpt-4.1-mini", 100, 500));
		assertThat(remaining(ledger)).containsExactly(-400);
		assertThat(ledger.statuses().get(0).spent()).isEqualTo(1_400);
		// 1000 tokens a minute refill one token every 60 ms: 401 tokens take 24.06 s.
		Refusal refusal = refused(ledger.reserve(Usage.estimate(1, 0)));
		assertThat(refusal.retryAfter()).isEqualTo(Duration.ofMillis(24_060));
		assertThat(refusal.requested()).isEqualTo(1);
		assertThat(refusal.remaining()).isEqualTo(-400);
		this.clock.advance(Duration.ofMillis(24_059));
		assertThat(ledger.reserve(Usage.estimate(1, 0))).isInstanceOf(Refusal.class);
		this.clock.advance(Duration.ofMillis(1));
		reserved(ledger.reserve(Usage.estimate(1, 0)));
		assertThat(remaining(ledger)).containsExactly(0);
	}

	@Test
	void anUnderestimateTooLargeToRepayIsChargedToTheDeepestOverdraftBucket4jCanRepay() {
		// Bucket4j refuses a debit whose repayment time does not fit in a long of nanoseconds;
		// a settlement must never fail half-way, so the debt stops at about 146 years of refill.
		BudgetLedger ledger = ledger(budget(BudgetUnit.OUTPUT_TOKENS, 10, "1h"), budget(BudgetUnit.TOKENS, 10, "day"));
		reserved(ledger.reserve(Usage.estimate(0, 1))).settle(Usage.of("gpt-4.1-mini", 0, 1_000_000_000_000L));
		long maxDebt = ((Long.MAX_VALUE / 2) / Duration.ofHours(1).toNanos()) * 10;
		assertThat(remaining(ledger)).containsExactly(-maxDebt, 10 - 1_000_000_000_000L);
		Refusal refusal = refused(ledger.reserve(Usage.estimate(0, 1)));
		assertThat(refusal.retryAfter()).isGreaterThan(Duration.ofDays(365 * 100));
	}

	@Test
	void aRefusalChargesNothingAndNamesTheBudgetThatTakesLongest() {
		BudgetLedger ledger = ledger(budget(BudgetUnit.TOKENS, 1_000, "1m"), budget(BudgetUnit.REQUESTS, 2, "1h"),
				budget(BudgetUnit.OUTPUT_TOKENS, 500, "1m"));
		reserved(ledger.reserve(Usage.estimate(900, 0)));
		reserved(ledger.reserve(Usage.estimate(0, 0)));
		long[] before = remaining(ledger);
		assertThat(before).containsExactly(100, 0, 500);
		// Tokens would take 6 s to cover 200 more; the request budget takes 30 minutes for one.
		Refusal refusal = refused(ledger.reserve(Usage.estimate(200, 100)));
		assertThat(remaining(ledger)).containsExactly(before);
		assertThat(refusal.budget().unit()).isEqualTo(BudgetUnit.REQUESTS);
		assertThat(refusal.retryAfter()).isEqualTo(Duration.ofMinutes(30));
		QuotaExceededException exception = refusal.toException("research-agent");
		assertThat(exception.reason()).isEqualTo(RejectionReason.BUDGET_EXHAUSTED);
		assertThat(exception.agentId()).isEqualTo("research-agent");
		assertThat(exception.budget()).hasValue(refusal.budget());
		assertThat(exception.retryAfter()).hasValue(Duration.ofMinutes(30));
		assertThat(exception).hasMessage("Agent 'research-agent' exhausted its requests budget of 2 per 1h: "
				+ "the call needs 1, 0 remains; retry after 30 min");
	}

	@Test
	void anEstimateLargerThanTheLimitIsRefusedWithoutARetryTime() {
		BudgetLedger ledger = ledger(budget(BudgetUnit.OUTPUT_TOKENS, 500, "1m"));
		Refusal refusal = refused(ledger.reserve(Usage.estimate(0, 501)));
		assertThat(refusal.retryAfter()).isNull();
		assertThat(remaining(ledger)).containsExactly(500);
		assertThat(refusal.toException("a").retryAfter()).isEmpty();
		assertThat(refusal.toException("a")).hasMessageContaining("can never be admitted");
	}

	@Test
	void aZeroLimitRefusesEveryCallThatWouldSpendTheUnit() {
		BudgetLedger ledger = ledger(budget(BudgetUnit.OUTPUT_TOKENS, 0, "1m"), budget(BudgetUnit.COST, 0, "day"));
		assertThat(refused(ledger.reserve(Usage.estimate(0, 1))).retryAfter()).isNull();
		reserved(ledger.reserve(Usage.requests(1)));
		assertThat(remaining(ledger)).containsExactly(0, 0);
	}

	@Test
	void aRefundGivesBackTheWholeEstimate() {
		BudgetLedger ledger = ledger(budget(BudgetUnit.TOKENS, 1_000, "1m"), budget(BudgetUnit.REQUESTS, 10, "1h"));
		Reservation reservation = reserved(ledger.reserve(Usage.estimate(300, 200)));
		reservation.refund();
		assertThat(remaining(ledger)).containsExactly(1_000, 10);
		assertThat(reservation.isOpen()).isFalse();
	}

	@Test
	void aRefundNeverFillsABudgetPastItsLimit() {
		BudgetLedger ledger = ledger(budget(BudgetUnit.TOKENS, 1_000, "1m"));
		Reservation reservation = reserved(ledger.reserve(Usage.estimate(500, 0)));
		this.clock.advance(Duration.ofMinutes(1));
		assertThat(remaining(ledger)).containsExactly(1_000);
		reservation.refund();
		assertThat(remaining(ledger)).containsExactly(1_000);
	}

	@Test
	void closingWithoutSettlingKeepsTheEstimateCharged() {
		BudgetLedger ledger = ledger(budget(BudgetUnit.TOKENS, 1_000, "1m"));
		Reservation reservation = reserved(ledger.reserve(Usage.estimate(300, 200)));
		reservation.close();
		reservation.close();
		assertThat(remaining(ledger)).containsExactly(500);
		assertThatIllegalStateException().isThrownBy(() -> reservation.settle(Usage.of("gpt-4.1-mini", 1, 1)))
			.withMessageContaining("already closed");
		assertThatIllegalStateException().isThrownBy(reservation::refund).withMessageContaining("already closed");
		assertThat(remaining(ledger)).containsExactly(500);
	}

	@Test
	void aReservationIsSettledOrRefundedOnce() {
		BudgetLedger ledger = ledger(budget(BudgetUnit.TOKENS, 1_000, "1m"));
		Reservation settled = reserved(ledger.reserve(Usage.estimate(300, 200)));
		settled.settle(Usage.of("gpt-4.1-mini", 300, 100));
		assertThatIllegalStateException().isThrownBy(() -> settled.settle(Usage.of("gpt-4.1-mini", 0, 0)))
			.withMessageContaining("already settled");
		assertThatIllegalStateException().isThrownBy(settled::refund).withMessageContaining("already settled");
		settled.close();
		Reservation refunded = reserved(ledger.reserve(Usage.estimate(100, 0)));
		refunded.refund();
		assertThatIllegalStateException().isThrownBy(refunded::refund).withMessageContaining("already refunded");
		assertThat(remaining(ledger)).containsExactly(600);
	}

	@Test
	void costIsChargedAtTheModelsPrice() {
		BudgetLedger ledger = ledger(Budget.builder(BudgetUnit.COST).limit("1.00").per("day").build());
		// 1000 input tokens at 0.40 and 1000 output tokens at 1.60 per million: 0.002000.
		Reservation reservation = reserved(ledger.reserve(Usage.estimate("gpt-4.1-mini", 1_000, 1_000)));
		assertThat(reservation.charged()).containsExactly(2_000);
		reservation.settle(Usage.of("gpt-4.1-mini", 1_000, 250));
		assertThat(remaining(ledger)).containsExactly(1_000_000 - 800);
		assertThat(ledger.statuses().get(0).remainingAmount()).isEqualByComparingTo("0.9992");
	}

	@Test
	void settlingWithAnUnpricedModelChangesNothingAndLeavesTheReservationOpen() {
		BudgetLedger ledger = ledger(Budget.builder(BudgetUnit.COST).limit("1.00").per("day").build());
		Reservation reservation = reserved(ledger.reserve(Usage.estimate(1_000, 1_000)));
		assertThatIllegalArgumentException().isThrownBy(() -> reservation.settle(Usage.of("gpt-9", 1, 1)))
			.withMessageContaining("'gpt-9'");
		assertThat(reservation.isOpen()).isTrue();
		assertThat(remaining(ledger)).containsExactly(1_000_000 - 2_000);
		reservation.refund();
		assertThat(remaining(ledger)).containsExactly(1_000_000);
		assertThatIllegalArgumentException().isThrownBy(() -> ledger.reserve(Usage.estimate("gpt-9", 1, 1)))
			.withMessageContaining("'gpt-9'");
		assertThat(remaining(ledger)).containsExactly(1_000_000);
	}

	@Test
	void aCostBudgetWithoutPricingIsRefused() {
		Budget cost = Budget.builder(BudgetUnit.COST).limit("25.00").per("day").build();
		assertThatIllegalArgumentException()
			.isThrownBy(() -> new BudgetLedger(List.of(cost), null, EngineTime.of(this.clock),
					this.clock, BERLIN, BudgetWarningListener.NONE))
			.withMessageContaining("cost budget needs pricing")
			.withMessageContaining("cost 25.00 per day");
	}

	@Test
	void statusesTellWhenEachBudgetIsFullAgain() {
		BudgetLedger ledger = ledger(budget(BudgetUnit.TOKENS, 1_000, "1m"), budget(BudgetUnit.REQUESTS, 10, "day"));
		Instant now = this.clock.instant();
		assertThat(ledger.statuses()).extracting(BudgetStatus::resetsAt)
			.containsExactly(now, Instant.parse("2026-06-10T22:00:00Z"));
		reserved(ledger.reserve(Usage.estimate(250, 0)));
		assertThat(ledger.statuses()).extracting(BudgetStatus::resetsAt)
			.containsExactly(now.plusSeconds(15), Instant.parse("2026-06-10T22:00:00Z"));
	}

	@Test
	void aWarningFiresOncePerCalendarWindow() {
		BudgetLedger ledger = ledger(Budget.builder(BudgetUnit.REQUESTS).limit(10).per("day").warnAt("80%").build());
		for (int i = 0; i < 7; i++) {
			reserved(ledger.reserve(Usage.requests(1)));
		}
		assertThat(this.warnings).isEmpty();
		reserved(ledger.reserve(Usage.requests(1)));
		assertThat(this.warnings).containsExactly("requests 8 2026-06-10T22:00:00Z");
		reserved(ledger.reserve(Usage.requests(2)));
		assertThat(this.warnings).hasSize(1);
		this.clock.set(Instant.parse("2026-06-10T22:00:00Z"));
		reserved(ledger.reserve(Usage.requests(9)));
		assertThat(this.warnings).containsExactly("requests 8 2026-06-10T22:00:00Z",
				"requests 9 2026-06-11T22:00:00Z");
	}

	@Test
	void aWarningFiresAtMostOncePerDurationWindow() {
		BudgetLedger ledger = ledger(Budget.builder(BudgetUnit.TOKENS).limit(100).per("1m").warnAt(0.8).build());
		Reservation reservation = reserved(ledger.reserve(Usage.estimate(50, 0)));
		assertThat(this.warnings).isEmpty();
		// An underestimate settled past the threshold warns as well.
		reservation.settle(Usage.of("gpt-4.1-mini", 50, 30));
		assertThat(this.warnings).hasSize(1).first().asString().startsWith("tokens 80 ");
		reserved(ledger.reserve(Usage.estimate(10, 0)));
		assertThat(this.warnings).hasSize(1);
		this.clock.advance(Duration.ofSeconds(59));
		reserved(ledger.reserve(Usage.estimate(80, 0)));
		assertThat(this.warnings).as("still within a window's duration of the last warning").hasSize(1);
		this.clock.advance(Duration.ofMinutes(1));
		reserved(ledger.reserve(Usage.estimate(80, 0)));
		assertThat(this.warnings).hasSize(2);
	}

	@Test
	void aFailingWarningListenerDisturbsNothing() {
		BudgetLedger ledger = new BudgetLedger(
				List.of(Budget.builder(BudgetUnit.REQUESTS).limit(2).per("1h").warnAt("50%").build()), null,
				EngineTime.of(this.clock), this.clock, BERLIN, (budget, spent, resetsAt) -> {
					throw new IllegalStateException("listener failed");
				});
		reserved(ledger.reserve(Usage.requests(1)));
		assertThat(remaining(ledger)).containsExactly(1);
	}

}
