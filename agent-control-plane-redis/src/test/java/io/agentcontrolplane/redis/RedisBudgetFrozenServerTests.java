package io.agentcontrolplane.redis;

import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.concurrent.TimeUnit;

import io.agentcontrolplane.quota.Budget;
import io.agentcontrolplane.quota.BudgetUnit;
import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.RejectionReason;
import io.agentcontrolplane.quota.ResourceQuota;
import io.agentcontrolplane.quota.Usage;
import io.agentcontrolplane.redis.RedisPermitStore.OnUnavailable;
import io.agentcontrolplane.test.MutableClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Budgets on a frozen server (SIGSTOP of a redis-server of the test's own): every budget call
 * returns within the store's command time-out (plus scheduling slack), a refusal says
 * {@code STORE_UNAVAILABLE}, a settlement never throws, and the budgets are served again after
 * the thaw. The Redisson client keeps its default time-out (3 s) and retries, so the bounds shown
 * are the store's own.
 */
class RedisBudgetFrozenServerTests {

	private static final long TIMEOUT_MILLIS = 200;

	/** What a loaded 2-core machine may add to a bound, as in {@link RedisFrozenServerTests}. */
	private static final long SLACK_MILLIS = 1300;

	private final MutableClock clock = new MutableClock(Instant.parse("2026-06-10T10:00:00Z"));

	private RedisServerProcess server;

	private RedissonClient redisson;

	@BeforeEach
	void startServer() throws Exception {
		this.server = RedisServerProcess.start();
		this.redisson = this.server.newClient();
	}

	@AfterEach
	void stopServer() throws Exception {
		RedisServerProcess.stopBoth(this.server, this.redisson);
	}

	private RedisPermitStore store(OnUnavailable onUnavailable) {
		return RedisPermitStore.builder(this.redisson)
			.keyPrefix(RedisTestSupport.uniquePrefix("frozen-budgets"))
			.leaseTime(Duration.ofSeconds(3))
			.probeInterval(Duration.ofMillis(200))
			.commandTimeout(Duration.ofMillis(TIMEOUT_MILLIS))
			.onUnavailable(onUnavailable)
			.build();
	}

	private PolicyEngine engine(RedisPermitStore store) {
		PolicyEngine engine = PolicyEngine.builder()
			.permitStore(store)
			.clock(this.clock)
			.budgetZone(ZoneId.of("Europe/Berlin"))
			.build();
		engine.setQuota("a",
				ResourceQuota.builder("a")
					.budgets(Budget.builder(BudgetUnit.TOKENS).limit(1_000).per("1h").build(),
							Budget.builder(BudgetUnit.REQUESTS).limit(10).per("day").build())
					.build());
		return engine;
	}

	@Test
	void everyBudgetCallIsBoundedAndRefusedWithStoreUnavailableUntilTheThaw() throws Exception {
		try (RedisPermitStore store = store(OnUnavailable.FAIL_CLOSED)) {
			PolicyEngine engine = engine(store);
			Permit held = engine.admit("a", null, Usage.estimate(100, 0), null);
			this.server.freeze();
			try {
				long start = System.nanoTime();
				assertThat(engine.checkRateLimit("a")).isFalse();
				long checkMillis = elapsedMillis(start);
				assertThat(checkMillis).as("checkRateLimit").isLessThan(TIMEOUT_MILLIS + SLACK_MILLIS);
				assertThat(engine.snapshot("a").orElseThrow().rejectedByReason())
					.containsEntry(RejectionReason.STORE_UNAVAILABLE, 1L);

				start = System.nanoTime();
				assertThatExceptionOfType(QuotaExceededException.class)
					.isThrownBy(() -> engine.admit("a", null, Usage.estimate(100, 0), null))
					.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(RejectionReason.STORE_UNAVAILABLE));
				long admitMillis = elapsedMillis(start);
				assertThat(admitMillis).as("admit").isLessThan(2 * TIMEOUT_MILLIS + SLACK_MILLIS);

				start = System.nanoTime();
				held.settle(Usage.of("m", 50, 0));
				held.close();
				long settleMillis = elapsedMillis(start);
				assertThat(settleMillis).as("settle").isLessThan(2 * TIMEOUT_MILLIS + SLACK_MILLIS);

				start = System.nanoTime();
				assertThat(engine.snapshot("a").orElseThrow().budgets()).hasSize(2);
				long snapshotMillis = elapsedMillis(start);
				assertThat(snapshotMillis).as("snapshot").isLessThan(4 * TIMEOUT_MILLIS + SLACK_MILLIS);
				System.out.printf("FROZEN SERVER, budgets: checkRateLimit %d ms, admit %d ms, settle %d ms, "
						+ "snapshot %d ms (command timeout %d ms)%n", checkMillis, admitMillis, settleMillis,
						snapshotMillis, TIMEOUT_MILLIS);
			}
			finally {
				this.server.thaw();
			}
			long thawed = System.nanoTime();
			await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50))
				.until(() -> engine.checkRateLimit("a"));
			System.out.printf("FROZEN SERVER, budgets: served again %d ms after the thaw%n", elapsedMillis(thawed));
		}
	}

	@Test
	void failingOpenCountsTheBudgetsLocallyWhileTheServerIsFrozen() throws Exception {
		try (RedisPermitStore store = store(OnUnavailable.FAIL_OPEN)) {
			PolicyEngine engine = engine(store);
			assertThat(engine.checkRateLimit("a")).isTrue();
			this.server.freeze();
			try {
				long start = System.nanoTime();
				// The local day budget of this instance starts full: ten requests, then refusals.
				for (int i = 0; i < 10; i++) {
					assertThat(engine.checkRateLimit("a")).as("call %d", i).isTrue();
				}
				assertThat(engine.checkRateLimit("a")).isFalse();
				assertThat(elapsedMillis(start)).isLessThan(2 * TIMEOUT_MILLIS + SLACK_MILLIS);
				assertThat(engine.snapshot("a").orElseThrow().rejectedByReason())
					.containsEntry(RejectionReason.BUDGET_EXHAUSTED, 1L)
					.containsEntry(RejectionReason.STORE_UNAVAILABLE, 0L);
			}
			finally {
				this.server.thaw();
			}
		}
	}

	private static long elapsedMillis(long startNanos) {
		return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
	}

}
