package io.agentcontrolplane.quota;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.agentcontrolplane.test.MutableClock;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Budgets whose balances a {@link PermitStore} keeps ({@link PermitStore#createBudgetAccount}):
 * two engines on one store share them, a refusal by a later budget (or a store failure) gives
 * back what earlier budgets took, and a replaced limit continues the store's spending. The store
 * here keeps one account per agent, unit and window in a map, as a remote store keys them.
 */
class StoreKeptBudgetsTests {

	private final MutableClock clock = new MutableClock(Instant.parse("2026-06-10T10:00:00Z"));

	private final SharingStore store = new SharingStore();

	private final PolicyEngine first = engine();

	private final PolicyEngine second = engine();

	private PolicyEngine engine() {
		return PolicyEngine.builder().clock(this.clock).permitStore(this.store).build();
	}

	private static Budget budget(BudgetUnit unit, long limit, String window) {
		return Budget.builder(unit).limit(limit).per(window).build();
	}

	private void quota(Budget... budgets) {
		ResourceQuota quota = ResourceQuota.builder("a").budgets(budgets).build();
		this.first.setQuota("a", quota);
		this.second.setQuota("a", quota);
	}

	private static long[] remaining(PolicyEngine engine) {
		return engine.snapshot("a").orElseThrow().budgets().stream().mapToLong(BudgetStatus::remaining).toArray();
	}

	@Test
	void twoEnginesSpendOneBudgetOverdraftAndRefundIncluded() {
		quota(budget(BudgetUnit.TOKENS, 1_000, "1h"), budget(BudgetUnit.REQUESTS, 10, "day"));
		Permit permit = this.first.admit("a", null, Usage.estimate(300, 300), null);
		assertThat(remaining(this.second)).containsExactly(400, 9);
		assertThatExceptionOfType(QuotaExceededException.class)
			.isThrownBy(() -> this.second.admit("a", null, Usage.estimate(300, 300), null))
			.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(RejectionReason.BUDGET_EXHAUSTED));
		assertThat(remaining(this.first)).as("the refusal took nothing").containsExactly(400, 9);
		permit.settle(Usage.of("m", 700, 700));
		permit.close();
		assertThat(remaining(this.second)).as("the overdraft, seen by the other engine").containsExactly(-400, 9);
		Permit refunded = this.first.admit("a", null, Usage.requests(1), null);
		refunded.refund();
		refunded.close();
		assertThat(remaining(this.second)).containsExactly(-400, 9);
	}

	@Test
	void aRefusalByALaterBudgetGivesBackWhatEarlierOnesTook() {
		quota(budget(BudgetUnit.TOKENS, 1_000, "1h"), budget(BudgetUnit.REQUESTS, 1, "day"));
		this.first.admit("a", null, Usage.estimate(10, 0), null).close();
		assertThatExceptionOfType(QuotaExceededException.class)
			.isThrownBy(() -> this.second.admit("a", null, Usage.estimate(10, 0), null))
			.satisfies((ex) -> {
				assertThat(ex.reason()).isEqualTo(RejectionReason.BUDGET_EXHAUSTED);
				assertThat(ex.getMessage()).contains("requests budget");
			});
		assertThat(remaining(this.first)).containsExactly(990, 0);
	}

	@Test
	void aStoreFailureRefusesThatAgentOnlyAndGivesBackWhatEarlierBudgetsTook() {
		quota(budget(BudgetUnit.TOKENS, 1_000, "1h"), budget(BudgetUnit.REQUESTS, 10, "day"));
		this.first.setQuota("b", ResourceQuota.builder("b").budgets(budget(BudgetUnit.REQUESTS, 10, "day")).build());
		this.store.failing.put("a/requests", true);
		assertThatExceptionOfType(QuotaExceededException.class)
			.isThrownBy(() -> this.first.admit("a", null, Usage.estimate(10, 0), null))
			.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(RejectionReason.STORE_UNAVAILABLE));
		assertThat(remaining(this.first)).containsExactly(1_000, 10);
		this.first.admit("b", null, Usage.requests(1), null).close();
		this.store.failing.clear();
		this.first.admit("a", null, Usage.estimate(10, 0), null).close();
		assertThat(remaining(this.second)).containsExactly(990, 9);
	}

	@Test
	void aRefusalStandsWhenALaterBudgetsStoreCannotSayHowLongItWouldWait() {
		quota(budget(BudgetUnit.TOKENS, 1_000, "1h"), budget(BudgetUnit.REQUESTS, 10, "day"));
		this.store.failing.put("a/requests", true);
		assertThatExceptionOfType(QuotaExceededException.class)
			.isThrownBy(() -> this.first.admit("a", null, Usage.estimate(2_000, 0), null))
			.satisfies((ex) -> {
				assertThat(ex.reason()).isEqualTo(RejectionReason.BUDGET_EXHAUSTED);
				assertThat(ex.budget()).hasValueSatisfying((budget) -> assertThat(budget.unit()).isEqualTo(BudgetUnit.TOKENS));
			});
	}

	@Test
	void aReplacedLimitContinuesTheStoresSpendingInsteadOfChargingItAgain() {
		quota(budget(BudgetUnit.TOKENS, 1_000, "1h"));
		this.first.admit("a", null, Usage.estimate(300, 300), null).close();
		quota(budget(BudgetUnit.TOKENS, 2_000, "1h"));
		assertThat(remaining(this.first)).containsExactly(1_400);
		assertThat(this.store.created.get()).isEqualTo(4);
	}

	@Test
	void aZeroLimitStaysInTheEngine() {
		quota(budget(BudgetUnit.TOKENS, 0, "1h"));
		assertThat(this.store.created.get()).isZero();
		assertThatExceptionOfType(QuotaExceededException.class)
			.isThrownBy(() -> this.first.admit("a", null, Usage.estimate(1, 0), null));
	}

	/**
	 * Permits in memory, and one spent counter per agent, unit and window shared by every engine
	 * (the clock stands still, so nothing refills), failing on demand.
	 */
	private static final class SharingStore implements PermitStore {

		final Map<String, AtomicLong> spent = new ConcurrentHashMap<>();

		final Map<String, Boolean> failing = new ConcurrentHashMap<>();

		final AtomicInteger created = new AtomicInteger();

		@Override
		public String name() {
			return "sharing";
		}

		@Override
		public AgentPermits create(String agentId, int limit, boolean fair) {
			return PermitStore.inMemory().create(agentId, limit, fair);
		}

		@Override
		public BudgetAccount createBudgetAccount(String agentId, Budget budget, Clock clock, ZoneId zone,
				BudgetAccount local) {
			this.created.incrementAndGet();
			String name = agentId + "/" + budget.unit().configName();
			AtomicLong spent = this.spent.computeIfAbsent(name + "/" + budget.window(), (key) -> new AtomicLong());
			long limit = budget.limitInBaseUnits();
			return new BudgetAccount() {

				@Override
				public long tryCharge(long amount) {
					if (SharingStore.this.failing.getOrDefault(name, false)) {
						throw new PermitStoreUnavailableException("store down for " + name);
					}
					long before = spent.getAndUpdate((value) -> (limit - value >= amount) ? value + amount : value);
					return (limit - before >= amount) ? 0 : nanosUntilHolds(amount);
				}

				@Override
				public long nanosUntilHolds(long amount) {
					if (SharingStore.this.failing.getOrDefault(name, false)) {
						throw new PermitStoreUnavailableException("store down for " + name);
					}
					return (limit - spent.get() >= amount) ? 0 : Long.MAX_VALUE - 1;
				}

				@Override
				public void charge(long amount) {
					spent.addAndGet(amount);
				}

				@Override
				public void giveBack(long amount, long window) {
					spent.updateAndGet((value) -> Math.max(0, value - amount));
				}

				@Override
				public long available() {
					return limit - spent.get();
				}

				@Override
				public long window() {
					return 0;
				}

				@Override
				public Instant resetsAt() {
					return clock.instant();
				}

			};
		}

	}

}
