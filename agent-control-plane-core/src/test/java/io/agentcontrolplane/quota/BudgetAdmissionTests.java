package io.agentcontrolplane.quota;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import io.agentcontrolplane.test.MutableClock;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Budgets of every unit through the engine: reserve at admission, settle, refund, overdraft,
 * refusals that consume nothing, live quota changes and warnings, on a clock the test moves.
 */
class BudgetAdmissionTests {

	private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

	private static final String MODEL = "gpt-4.1-mini";

	private static final Pricing PRICING = Pricing.builder("USD").model(MODEL, "0.40", "1.60").build();

	/** 20:00 UTC is 22:00 in Berlin (summer time): the Berlin day ends in two hours. */
	private final MutableClock clock = new MutableClock(Instant.parse("2026-06-10T20:00:00Z"));

	private final List<String> events = new CopyOnWriteArrayList<>();

	private final PolicyEngine engine = PolicyEngine.builder()
		.clock(this.clock)
		.pricing(PRICING)
		.budgetZone(BERLIN)
		.build();

	{
		this.engine.addListener(new QuotaListener() {

			@Override
			public void onRejected(String agentId, RejectionReason reason, long waitNanos) {
				BudgetAdmissionTests.this.events.add("rejected " + agentId + " " + reason);
			}

			@Override
			public void onBudgetWarning(String agentId, Budget budget, long spent, Instant resetsAt) {
				BudgetAdmissionTests.this.events
					.add("warning " + agentId + " " + budget.unit().configName() + " " + spent + " " + resetsAt);
			}

			@Override
			public void onUsage(String agentId, BudgetUnit unit, long amount) {
				BudgetAdmissionTests.this.events.add("usage " + agentId + " " + unit.configName() + " " + amount);
			}

		});
	}

	private static Budget budget(BudgetUnit unit, long limit, String window) {
		return Budget.builder(unit).limit(limit).per(window).build();
	}

	private void quota(ResourceQuota.Builder quota) {
		ResourceQuota built = quota.build();
		this.engine.setQuota(built.agentId(), built);
	}

	private long[] remaining(String agentId) {
		return this.engine.snapshot(agentId)
			.orElseThrow()
			.budgets()
			.stream()
			.mapToLong(BudgetStatus::remaining)
			.toArray();
	}

	@Test
	void settleReplacesTheEstimateByTheRealUsage() {
		quota(ResourceQuota.builder("a").budgets(budget(BudgetUnit.TOKENS, 1_000, "1m"),
				budget(BudgetUnit.OUTPUT_TOKENS, 500, "1m"), Budget.builder(BudgetUnit.COST).limit("1.00").per("day").build()));
		Permit permit = this.engine.admit("a", null, Usage.estimate(MODEL, 200, 300), null);
		// Estimate: 500 tokens, 300 output tokens, 200 x 0.40 + 300 x 1.60 = 560 millionths.
		assertThat(remaining("a")).containsExactly(500, 200, 1_000_000 - 560);
		permit.settle(Usage.of(MODEL, 100, 50));
		permit.close();
		// Real: 150 tokens, 50 output tokens, 100 x 0.40 + 50 x 1.60 = 120 millionths.
		assertThat(remaining("a")).containsExactly(850, 450, 1_000_000 - 120);
		assertThat(this.events).contains("usage a requests 1", "usage a tokens 150", "usage a input-tokens 100",
				"usage a output-tokens 50", "usage a cost 120");
	}

	@Test
	void refundGivesBackTheWholeEstimate() {
		quota(ResourceQuota.builder("a").budgets(budget(BudgetUnit.TOKENS, 1_000, "1m"),
				budget(BudgetUnit.REQUESTS, 10, "day")));
		Permit permit = this.engine.admit("a", null, Usage.estimate(200, 300), null);
		assertThat(remaining("a")).containsExactly(500, 9);
		permit.refund();
		permit.close();
		assertThat(remaining("a")).containsExactly(1_000, 10);
		assertThatIllegalStateException().isThrownBy(() -> permit.settle(Usage.of(MODEL, 1, 1)));
		assertThat(this.events).noneMatch((event) -> event.startsWith("usage"));
	}

	@Test
	void aPermitClosedWithoutSettlingKeepsTheEstimateCharged() {
		quota(ResourceQuota.builder("a").budgets(budget(BudgetUnit.TOKENS, 1_000, "1m")));
		Permit permit = this.engine.admit("a", null, Usage.estimate(200, 300), null);
		permit.close();
		assertThat(remaining("a")).containsExactly(500);
		assertThatIllegalStateException().isThrownBy(permit::refund);
		assertThat(this.engine.snapshot("a").orElseThrow().inFlight()).isZero();
	}

	@Test
	void anUnderestimateOverdrawsAndTheNextCallerWaitsItOut() {
		quota(ResourceQuota.builder("a").budgets(budget(BudgetUnit.TOKENS, 1_000, "1m")));
		try (Permit permit = this.engine.admit("a", null, Usage.estimate(100, 100), null)) {
			permit.settle(Usage.of(MODEL, 600, 600));
		}
		assertThat(remaining("a")).containsExactly(-200);
		// The next estimate of 100 needs 300 more tokens: 300 x 60 ms of refill.
		assertThatExceptionOfType(QuotaExceededException.class)
			.isThrownBy(() -> this.engine.admit("a", null, Usage.estimate(50, 50), null))
			.satisfies((ex) -> {
				assertThat(ex.reason()).isEqualTo(RejectionReason.BUDGET_EXHAUSTED);
				assertThat(ex.retryAfter()).contains(Duration.ofSeconds(18));
			});
		this.clock.advance(Duration.ofSeconds(18));
		this.engine.admit("a", null, Usage.estimate(50, 50), null).close();
		assertThat(remaining("a")).containsExactly(0);
	}

	@Test
	void aRefusalNamesTheBudgetAndConsumesNothing() {
		quota(ResourceQuota.builder("a")
			.maxConcurrentExecutions(1)
			.maxRequestsPerMinute(5)
			.budgets(budget(BudgetUnit.REQUESTS, 10, "1h"), budget(BudgetUnit.OUTPUT_TOKENS, 100, "1m")));
		assertThatExceptionOfType(QuotaExceededException.class)
			.isThrownBy(() -> this.engine.admit("a", null, Usage.estimate(10, 150), null))
			.satisfies((ex) -> {
				assertThat(ex.reason()).isEqualTo(RejectionReason.BUDGET_EXHAUSTED);
				assertThat(ex.budget()).contains(budget(BudgetUnit.OUTPUT_TOKENS, 100, "1m"));
				assertThat(ex.getMessage()).contains("'a'", "output-tokens budget of 100 per 1m", "150");
				// Larger than the whole limit: no wait makes it fit.
				assertThat(ex.retryAfter()).isEmpty();
			});
		QuotaSnapshot snapshot = this.engine.snapshot("a").orElseThrow();
		assertThat(snapshot.inFlight()).isZero();
		assertThat(snapshot.acquired()).isZero();
		assertThat(snapshot.availableRequestsPerMinute()).isEqualTo(5L);
		assertThat(remaining("a")).containsExactly(10, 100);
		assertThat(snapshot.rejectedByReason()).containsEntry(RejectionReason.BUDGET_EXHAUSTED, 1L);
		assertThat(this.engine.statistics("a").orElseThrow().rejected(RejectionReason.BUDGET_EXHAUSTED)).isEqualTo(1);
		assertThat(this.events).containsExactly("rejected a BUDGET_EXHAUSTED");
		// The permit is free: the single slot can be taken.
		this.engine.admit("a", null, Usage.estimate(10, 50), Duration.ZERO).close();
	}

	@Test
	void aRequestBudgetRefusalGivesTheReservationBack() {
		quota(ResourceQuota.builder("a").maxRequestsPerMinute(1).budgets(budget(BudgetUnit.TOKENS, 1_000, "1m")));
		this.engine.admit("a", null, Usage.estimate(100, 100), null).close();
		assertThatExceptionOfType(QuotaExceededException.class)
			.isThrownBy(() -> this.engine.admit("a", null, Usage.estimate(100, 100), null))
			.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(RejectionReason.RATE_LIMIT));
		assertThat(remaining("a")).containsExactly(800);
		assertThat(this.engine.snapshot("a").orElseThrow().inFlight()).isZero();
	}

	@Test
	void aCalendarRefusalRetriesAtTheNextWindowStartInTheBudgetZone() {
		quota(ResourceQuota.builder("a").budgets(budget(BudgetUnit.REQUESTS, 1, "day")));
		this.engine.admit("a", null, null).close();
		assertThatExceptionOfType(QuotaExceededException.class).isThrownBy(() -> this.engine.admit("a", null, null))
			.satisfies((ex) -> {
				assertThat(ex.reason()).isEqualTo(RejectionReason.BUDGET_EXHAUSTED);
				assertThat(ex.retryAfter()).contains(Duration.ofHours(2));
				assertThat(ex.getMessage()).contains("requests budget of 1 per day");
			});
		assertThat(this.engine.snapshot("a").orElseThrow().budgets().get(0).resetsAt())
			.isEqualTo(Instant.parse("2026-06-10T22:00:00Z"));
		this.clock.advance(Duration.ofHours(2));
		this.engine.admit("a", null, null).close();
	}

	@Test
	void admitAsyncFailsTheFutureWithTheBudgetRefusal() {
		quota(ResourceQuota.builder("a").budgets(budget(BudgetUnit.TOKENS, 100, "1m")));
		assertThat(this.engine.admitAsync("a", null, Usage.estimate(100, 100), null))
			.failsWithin(1, TimeUnit.SECONDS)
			.withThrowableOfType(java.util.concurrent.ExecutionException.class)
			.havingCause()
			.isInstanceOfSatisfying(QuotaExceededException.class,
					(ex) -> assertThat(ex.reason()).isEqualTo(RejectionReason.BUDGET_EXHAUSTED));
		Permit permit = this.engine.admitAsync("a", null, Usage.estimate(50, 10), null).join();
		assertThat(remaining("a")).containsExactly(40);
		permit.settle(Usage.of(MODEL, 50, 0));
		permit.close();
		assertThat(remaining("a")).containsExactly(50);
	}

	@Test
	void checkRateLimitAndTryAdmitSpendOneRequestOfTheListedBudgets() {
		quota(ResourceQuota.builder("a").budgets(budget(BudgetUnit.REQUESTS, 2, "1h")));
		assertThat(this.engine.checkRateLimit("a")).isTrue();
		this.engine.tryAdmit("a", null).orElseThrow().close();
		assertThat(remaining("a")).containsExactly(0);
		assertThat(this.engine.checkRateLimit("a")).isFalse();
		assertThat(this.engine.statistics("a").orElseThrow().rejected(RejectionReason.BUDGET_EXHAUSTED)).isEqualTo(1);
	}

	@Test
	void replacingTheQuotaKeepsWhatWasSpent() {
		quota(ResourceQuota.builder("a").budgets(budget(BudgetUnit.TOKENS, 1_000, "1m")));
		Permit open = this.engine.admit("a", null, Usage.estimate(300, 300), null);
		assertThat(remaining("a")).containsExactly(400);
		this.engine.updateQuota("a",
				(quota) -> quota.toBuilder().budgets(budget(BudgetUnit.TOKENS, 2_000, "1m")).build());
		assertThat(remaining("a")).containsExactly(1_400);
		// The open reservation settles against the replacement.
		open.settle(Usage.of(MODEL, 100, 100));
		open.close();
		assertThat(remaining("a")).containsExactly(1_800);
		quota(ResourceQuota.builder("a").budgets(budget(BudgetUnit.TOKENS, 100, "1m")));
		assertThat(remaining("a")).containsExactly(-100);
	}

	@Test
	void aCostBudgetWithoutPricingIsRefusedWhenSet() {
		PolicyEngine unpriced = PolicyEngine.builder().build();
		ResourceQuota quota = ResourceQuota.builder("a")
			.budgets(Budget.builder(BudgetUnit.COST).limit("1.00").per("day").build())
			.build();
		assertThatIllegalArgumentException().isThrownBy(() -> unpriced.setQuota("a", quota))
			.withMessageContaining("pricing");
		assertThat(unpriced.getQuota("a")).isEmpty();
		unpriced.setQuota("a", ResourceQuota.builder("a").build());
		assertThatIllegalArgumentException().isThrownBy(() -> unpriced.setQuota("a", quota));
		assertThat(unpriced.getQuota("a").orElseThrow().budgets()).isEmpty();
	}

	@Test
	void aWarningFiresOncePerWindow() {
		quota(ResourceQuota.builder("a").budgets(Budget.builder(BudgetUnit.REQUESTS).limit(10).per("day").warnAt("50%").build()));
		for (int i = 0; i < 7; i++) {
			this.engine.admit("a", null, null).close();
		}
		assertThat(this.events).containsExactly("warning a requests 5 2026-06-10T22:00:00Z");
		this.clock.advance(Duration.ofHours(2));
		for (int i = 0; i < 6; i++) {
			this.engine.admit("a", null, null).close();
		}
		assertThat(this.events).containsExactly("warning a requests 5 2026-06-10T22:00:00Z",
				"warning a requests 5 2026-06-11T22:00:00Z");
	}

	@Test
	void anAgentWithoutBudgetsReportsNoneAndSettlesNothing() {
		quota(ResourceQuota.builder("a").maxRequestsPerMinute(10));
		Permit permit = this.engine.admit("a", null, Usage.estimate(100, 100), null);
		permit.settle(Usage.of(MODEL, 10, 10));
		permit.refund();
		permit.close();
		assertThat(this.engine.snapshot("a").orElseThrow().budgets()).isEmpty();
		assertThat(this.engine.snapshot("a").orElseThrow().availableRequestsPerMinute()).isEqualTo(9L);
		assertThat(new UntrackedPermit("u")).satisfies((untracked) -> {
			untracked.settle(Usage.of(MODEL, 1, 1));
			untracked.refund();
		});
	}

}
