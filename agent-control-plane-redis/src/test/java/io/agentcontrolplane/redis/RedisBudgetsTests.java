package io.agentcontrolplane.redis;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

import io.agentcontrolplane.quota.Budget;
import io.agentcontrolplane.quota.BudgetStatus;
import io.agentcontrolplane.quota.BudgetUnit;
import io.agentcontrolplane.quota.BudgetWindow;
import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.Pricing;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.RejectionReason;
import io.agentcontrolplane.quota.ResourceQuota;
import io.agentcontrolplane.quota.Usage;
import io.agentcontrolplane.test.MutableClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Token, cost and request budgets on the real Redis, shared by three engines (three stores on
 * one key prefix stand for three instances of a service). Calendar windows follow the engines'
 * clock, which the test sets; duration windows follow the hosts' wall clock (Bucket4j's
 * compare-and-swap backend), so those tests use windows long enough that the test's own run time
 * refills at most a few units, and allow for exactly that.
 */
class RedisBudgetsTests {

	private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

	private static final String MODEL = "gpt-4.1-mini";

	private static final Pricing PRICING = Pricing.builder("USD").model(MODEL, "0.40", "1.60").build();

	private static RedissonClient redisson;

	/** 10:00 UTC is noon in Berlin (summer time): the Berlin day ends at 22:00 UTC. */
	private final MutableClock clock = new MutableClock(Instant.parse("2026-06-10T10:00:00Z"));

	private final List<String> prefixes = new ArrayList<>();

	private final List<RedisPermitStore> stores = new ArrayList<>();

	// Checked before each test (not once per class) so that every test shows as skipped.
	@BeforeEach
	void connect() {
		String address = RedisTestSupport.sharedRedis();
		if (redisson == null) {
			redisson = RedisTestSupport.client(address);
		}
	}

	@AfterEach
	void cleanUp() {
		this.stores.forEach(RedisPermitStore::close);
		if (redisson != null) {
			this.prefixes.forEach((prefix) -> RedisTestSupport.deleteKeys(redisson, prefix));
		}
	}

	@AfterAll
	static void disconnect() {
		if (redisson != null) {
			redisson.shutdown(0, 2, TimeUnit.SECONDS);
		}
	}

	private String prefix(String test) {
		String prefix = RedisTestSupport.uniquePrefix(test);
		this.prefixes.add(prefix);
		return prefix;
	}

	/** Three engines, each on a store of its own, all on one key prefix. */
	private List<PolicyEngine> engines(String prefix, boolean clusterRateLimits, ResourceQuota quota) {
		List<PolicyEngine> engines = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			RedisPermitStore store = RedisPermitStore.builder(redisson)
				.keyPrefix(prefix)
				.leaseTime(Duration.ofSeconds(5))
				.commandTimeout(Duration.ofSeconds(1))
				.clusterRateLimits(clusterRateLimits)
				.build();
			this.stores.add(store);
			PolicyEngine engine = PolicyEngine.builder()
				.permitStore(store)
				.clock(this.clock)
				.pricing(PRICING)
				.budgetZone(BERLIN)
				.build();
			engine.setQuota(quota.agentId(), quota);
			engines.add(engine);
		}
		return engines;
	}

	private static Budget budget(BudgetUnit unit, long limit, String window) {
		return Budget.builder(unit).limit(limit).per(window).build();
	}

	private static ResourceQuota quota(Budget... budgets) {
		return ResourceQuota.builder("a").maxConcurrentExecutions(100).budgets(budgets).build();
	}

	private static long[] remaining(PolicyEngine engine) {
		return engine.snapshot("a").orElseThrow().budgets().stream().mapToLong(BudgetStatus::remaining).toArray();
	}

	private static QuotaExceededException refused(PolicyEngine engine, Usage estimate) {
		try {
			engine.admit("a", null, estimate, null).close();
		}
		catch (QuotaExceededException ex) {
			return ex;
		}
		throw new AssertionError("admitted " + estimate);
	}

	/** Units a duration budget can refill while a test runs for this long. */
	private static long refill(Budget budget, long elapsedNanos) {
		long windowNanos = budget.window().duration().orElseThrow().toNanos();
		return (long) Math.ceil((double) budget.limitInBaseUnits() * elapsedNanos / windowNanos);
	}

	@Test
	void threeEnginesUnderThreadsNeverSpendMoreThanTheLimitsAndARefusalTakesNothing() throws Exception {
		// Limits that run out at about the same point (an admitted call spends about 51 tokens
		// and 51 millionths of its estimate's 100), so that every budget may be the one to refuse.
		Budget tokens = budget(BudgetUnit.TOKENS, 7_500, "1d");
		Budget requests = budget(BudgetUnit.REQUESTS, 140, "1d");
		// 0.0075 USD = 7,500 millionths; an estimate of 50 + 50 tokens costs 20 + 80 = 100.
		Budget cost = Budget.builder(BudgetUnit.COST).limit("0.0075").per("day").build();
		List<PolicyEngine> engines = engines(prefix("threads"), true, quota(tokens, cost, requests));
		int threadsPerEngine = 4;
		int callsPerThread = 40;
		AtomicLong spentTokens = new AtomicLong();
		AtomicLong spentCost = new AtomicLong();
		AtomicLong admitted = new AtomicLong();
		AtomicLong refusals = new AtomicLong();
		Map<BudgetUnit, AtomicLong> refusedBy = new ConcurrentHashMap<>();
		CyclicBarrier start = new CyclicBarrier(3 * threadsPerEngine);
		ExecutorService threads = Executors.newFixedThreadPool(3 * threadsPerEngine);
		long begin = System.nanoTime();
		try {
			List<Future<?>> done = new ArrayList<>();
			for (int t = 0; t < 3 * threadsPerEngine; t++) {
				PolicyEngine engine = engines.get(t % 3);
				SplittableRandom random = new SplittableRandom(t);
				done.add(threads.submit(() -> {
					start.await(10, TimeUnit.SECONDS);
					for (int i = 0; i < callsPerThread; i++) {
						Permit permit;
						try {
							permit = engine.admit("a", null, Usage.estimate(MODEL, 50, 50), null);
						}
						catch (QuotaExceededException ex) {
							assertThat(ex.reason()).isEqualTo(RejectionReason.BUDGET_EXHAUSTED);
							refusals.incrementAndGet();
							refusedBy.computeIfAbsent(ex.budget().orElseThrow().unit(), (unit) -> new AtomicLong())
								.incrementAndGet();
							continue;
						}
						try (permit) {
							// Never more than the estimate: no overdraft in this test.
							int input = 1 + random.nextInt(50);
							int output = 1 + random.nextInt(50);
							Usage usage = Usage.of(MODEL, input, output);
							permit.settle(usage);
							spentTokens.addAndGet(input + output);
							spentCost.addAndGet(PRICING.costInBaseUnits(usage));
							admitted.incrementAndGet();
						}
					}
					return null;
				}));
			}
			for (Future<?> future : done) {
				future.get(120, TimeUnit.SECONDS);
			}
		}
		finally {
			threads.shutdownNow();
		}
		long elapsed = System.nanoTime() - begin;
		System.out.printf("three engines, %d threads: %d admitted, %d refused (by %s) in %d ms; spent %d tokens, %d "
				+ "millionths%n", 3 * threadsPerEngine, admitted.get(), refusals.get(), refusedBy,
				TimeUnit.NANOSECONDS.toMillis(elapsed), spentTokens.get(), spentCost.get());
		assertThat(refusals.get()).as("the demand exceeds the budgets").isPositive();
		assertThat(spentTokens.get()).isLessThanOrEqualTo(7_500 + refill(tokens, elapsed));
		assertThat(spentCost.get()).isLessThanOrEqualTo(7_500);
		assertThat(admitted.get()).isLessThanOrEqualTo(140 + refill(requests, elapsed));
		for (PolicyEngine engine : engines) {
			long[] left = remaining(engine);
			// Every refusal gave back what it took: each budget lost exactly what was spent
			// (duration windows plus what the run refilled, never above the limit).
			assertThat(left[0]).isBetween(7_500 - spentTokens.get(),
					Math.min(7_500, 7_500 - spentTokens.get() + refill(tokens, elapsed + 1_000_000_000L)));
			assertThat(left[1]).isEqualTo(7_500 - spentCost.get());
			assertThat(left[2]).isBetween(140 - admitted.get(),
					Math.min(140, 140 - admitted.get() + refill(requests, elapsed + 1_000_000_000L)));
		}
	}

	@Test
	void anOverdraftOnOneEngineIsSeenByTheOthersAndWaitedOut() {
		// One token per second refills.
		List<PolicyEngine> engines = engines(prefix("overdraft"), true, quota(budget(BudgetUnit.TOKENS, 3_600, "1h")));
		try (Permit permit = engines.get(0).admit("a", null, Usage.estimate(3_000, 0), null)) {
			permit.settle(Usage.of(MODEL, 4_000, 0));
		}
		long left = remaining(engines.get(1))[0];
		assertThat(left).isBetween(-400L, -390L);
		QuotaExceededException refusal = refused(engines.get(2), Usage.estimate(100, 0));
		assertThat(refusal.reason()).isEqualTo(RejectionReason.BUDGET_EXHAUSTED);
		// 100 tokens needed from about -400: about 500 s of refill.
		assertThat(refusal.retryAfter()).hasValueSatisfying(
				(wait) -> assertThat(wait).isBetween(Duration.ofSeconds(485), Duration.ofSeconds(501)));
	}

	@Test
	void aRefundOnOneEngineRestoresTheBudgetForAll() {
		List<PolicyEngine> engines = engines(prefix("refund"), true, quota(budget(BudgetUnit.TOKENS, 3_600, "1h")));
		Permit permit = engines.get(0).admit("a", null, Usage.estimate(3_000, 0), null);
		assertThat(refused(engines.get(1), Usage.estimate(1_000, 0)).reason())
			.isEqualTo(RejectionReason.BUDGET_EXHAUSTED);
		permit.refund();
		permit.close();
		engines.get(1).admit("a", null, Usage.estimate(1_000, 0), null).close();
		assertThat(remaining(engines.get(2))[0]).isBetween(2_600L, 2_610L);
	}

	@Test
	void aCalendarDayBudgetIsSharedAndStartsAgainAtMidnightInTheBudgetZone() {
		String prefix = prefix("day");
		List<PolicyEngine> engines = engines(prefix, true, quota(budget(BudgetUnit.REQUESTS, 5, "day")));
		for (int i = 0; i < 5; i++) {
			engines.get(i % 3).admit("a", null, Usage.requests(1), null).close();
		}
		for (PolicyEngine engine : engines) {
			QuotaExceededException refusal = refused(engine, Usage.requests(1));
			assertThat(refusal.reason()).isEqualTo(RejectionReason.BUDGET_EXHAUSTED);
			// Noon in Berlin: the day ends in exactly twelve hours.
			assertThat(refusal.retryAfter()).contains(Duration.ofHours(12));
			assertThat(engine.snapshot("a").orElseThrow().budgets().get(0).resetsAt())
				.isEqualTo(Instant.parse("2026-06-10T22:00:00Z"));
		}
		Iterable<String> keys = redisson.getKeys().getKeysByPattern("*" + prefix + "*:budget:*");
		List<String> budgetKeys = new ArrayList<>();
		keys.forEach(budgetKeys::add);
		assertThat(budgetKeys).singleElement().satisfies((key) -> {
			long windowStart = BudgetWindow.day().startOf(this.clock.instant(), BERLIN).getEpochSecond();
			assertThat(key).endsWith(":budget:requests:day:" + windowStart)
				.contains(":{" + RedisPermitStore.digest("a") + "}:");
			// The counter expires an hour after its window ends (by the engines' clock): in 13 hours.
			long ttl = redisson.getBucket(key).remainTimeToLive();
			assertThat(ttl).isBetween(Duration.ofHours(12).toMillis(), Duration.ofHours(13).toMillis());
		});
		this.clock.set(Instant.parse("2026-06-10T22:00:00Z"));
		for (PolicyEngine engine : engines) {
			assertThat(remaining(engine)).containsExactly(5);
		}
		engines.get(2).admit("a", null, Usage.requests(1), null).close();
		assertThat(remaining(engines.get(0))).containsExactly(4);
	}

	@Test
	void aChangedLimitContinuesTheSpendingInRedis() {
		List<PolicyEngine> engines = engines(prefix("resize"), true,
				quota(budget(BudgetUnit.TOKENS, 1_000, "1d"), budget(BudgetUnit.REQUESTS, 10, "day")));
		for (int i = 0; i < 6; i++) {
			engines.get(i % 3).admit("a", null, Usage.estimate(100, 0), null).close();
		}
		ResourceQuota raised = quota(budget(BudgetUnit.TOKENS, 2_000, "1d"), budget(BudgetUnit.REQUESTS, 20, "day"));
		engines.forEach((engine) -> engine.setQuota("a", raised));
		// Raised: what was spent stays spent (a day-long window refills at most a unit meanwhile).
		assertThat(remaining(engines.get(1))[0]).isBetween(1_400L, 1_401L);
		assertThat(remaining(engines.get(1))[1]).isEqualTo(14);
		ResourceQuota lowered = quota(budget(BudgetUnit.TOKENS, 500, "1d"), budget(BudgetUnit.REQUESTS, 4, "day"));
		engines.forEach((engine) -> engine.setQuota("a", lowered));
		// Lowered: Bucket4j caps a duration budget at the new limit; a calendar budget overdraws.
		assertThat(remaining(engines.get(0))[0]).isEqualTo(500);
		assertThat(remaining(engines.get(0))[1]).isEqualTo(-2);
	}

	@Test
	void everyBudgetKeyExpires() {
		String prefix = prefix("expiry");
		List<PolicyEngine> engines = engines(prefix, true, quota(budget(BudgetUnit.TOKENS, 3_600, "1h"),
				budget(BudgetUnit.REQUESTS, 5, "week"), Budget.builder(BudgetUnit.COST).limit("1").per("month").build()));
		try (Permit permit = engines.get(0).admit("a", null, Usage.estimate(MODEL, 100, 100), null)) {
			permit.settle(Usage.of(MODEL, 50, 50));
		}
		List<String> budgetKeys = new ArrayList<>();
		redisson.getKeys().getKeysByPattern("*" + prefix + "*:budget:*").forEach(budgetKeys::add);
		assertThat(budgetKeys).hasSize(3);
		for (String key : budgetKeys) {
			assertThat(redisson.getBucket(key).remainTimeToLive()).as(key).isGreaterThan(0);
		}
	}

	@Test
	void withoutClusterRateLimitsEveryInstanceKeepsItsOwnBudgets() {
		String prefix = prefix("local");
		List<PolicyEngine> engines = engines(prefix, false,
				quota(budget(BudgetUnit.REQUESTS, 5, "day"), budget(BudgetUnit.TOKENS, 3_600, "1h")));
		for (int i = 0; i < 5; i++) {
			engines.get(0).admit("a", null, Usage.estimate(10, 0), null).close();
		}
		assertThat(refused(engines.get(0), Usage.estimate(10, 0)).reason()).isEqualTo(RejectionReason.BUDGET_EXHAUSTED);
		assertThat(remaining(engines.get(1))).containsExactly(5, 3_600);
		engines.get(1).admit("a", null, Usage.estimate(10, 0), null).close();
		List<String> budgetKeys = new ArrayList<>();
		redisson.getKeys().getKeysByPattern("*" + prefix + "*:budget*").forEach(budgetKeys::add);
		assertThat(budgetKeys).isEmpty();
	}

	@Test
	void anAgentWhoseBudgetKeysFailIsRefusedWithStoreUnavailableAndOtherAgentsAreServed() {
		String prefix = prefix("broken");
		Function<String, ResourceQuota> quota = (agent) -> ResourceQuota.builder(agent)
			.budgets(budget(BudgetUnit.TOKENS, 1_000, "1h"), budget(BudgetUnit.REQUESTS, 10, "day"))
			.build();
		List<PolicyEngine> engines = engines(prefix, true, quota.apply("a"));
		PolicyEngine engine = engines.get(0);
		engine.setQuota("b", quota.apply("b"));
		// Agent b's day counter holds a hash: every command on it fails (WRONGTYPE), as a key on
		// a failed shard would; agent a's keys answer.
		long windowStart = BudgetWindow.day().startOf(this.clock.instant(), BERLIN).getEpochSecond();
		redisson.getMap(prefix + ":{" + RedisPermitStore.digest("b") + "}:budget:requests:day:" + windowStart)
			.put("not", "a counter");
		assertThatExceptionOfType(QuotaExceededException.class)
			.isThrownBy(() -> engine.admit("b", null, Usage.estimate(100, 0), null))
			.satisfies((ex) -> {
				assertThat(ex.reason()).isEqualTo(RejectionReason.STORE_UNAVAILABLE);
				assertThat(ex.getMessage()).doesNotContain(prefix);
			});
		// The token share b took before its day counter failed was given back.
		assertThat(engine.snapshot("b").orElseThrow().budgets().get(0).remaining()).isEqualTo(1_000);
		engine.admit("a", null, Usage.estimate(100, 0), null).close();
		assertThat(remaining(engines.get(1))).containsExactly(900, 9);
		assertThat(engine.snapshot("b").orElseThrow().rejectedByReason())
			.containsEntry(RejectionReason.STORE_UNAVAILABLE, 1L);
	}

}
