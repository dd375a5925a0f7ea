package io.agentcontrolplane.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.RejectionReason;
import io.agentcontrolplane.quota.ResourceQuota;
import io.agentcontrolplane.redis.RedisPermitStore.OnUnavailable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Redis stopped and restarted under a running engine (a redis-server of the test's own, so the
 * shared one is never stopped).
 */
class RedisOutageTests {

	private RedisServerProcess server;

	private RedissonClient redisson;

	@BeforeEach
	void startServer() throws Exception {
		this.server = RedisServerProcess.start();
		this.redisson = RedisTestSupport.client(this.server.address());
	}

	@AfterEach
	void stopServer() throws Exception {
		if (this.redisson != null) {
			this.redisson.shutdown(0, 2, TimeUnit.SECONDS);
		}
		if (this.server != null) {
			this.server.close();
		}
	}

	private RedisPermitStore store(OnUnavailable onUnavailable) {
		return RedisPermitStore.builder(this.redisson)
			.keyPrefix(RedisTestSupport.uniquePrefix("outage"))
			.leaseTime(Duration.ofSeconds(2))
			.probeInterval(Duration.ofMillis(200))
			.onUnavailable(onUnavailable)
			.build();
	}

	@Test
	void failClosedRefusesWithStoreUnavailableThenResumesWithoutRestartingTheEngine() throws Exception {
		try (RedisPermitStore store = store(OnUnavailable.FAIL_CLOSED)) {
			PolicyEngine engine = PolicyEngine.builder().permitStore(store).build();
			engine.setQuota("a", ResourceQuota.of("a", 2));
			engine.setQuota("r", ResourceQuota.builder("r").maxRequestsPerMinute(100).build());
			engine.acquire("a").close();
			assertThat(engine.checkRateLimit("r")).isTrue();
			assertThat(engine.snapshot("a").orElseThrow().store()).isEqualTo("redis");

			this.server.stop();
			await().atMost(Duration.ofSeconds(15)).untilAsserted(() -> assertThatExceptionOfType(
					QuotaExceededException.class)
				.isThrownBy(() -> engine.acquire("a").close())
				.satisfies((ex) -> {
					assertThat(ex.reason()).isEqualTo(RejectionReason.STORE_UNAVAILABLE);
					assertThat(ex.getMessage()).contains("Agent 'a'", "STORE_UNAVAILABLE", "Redis is unreachable",
							"fail-closed");
				}));
			// While down, refusals are immediate: no call waits for Redis time-outs.
			long start = System.nanoTime();
			assertThat(engine.tryAcquire("a")).isEmpty();
			assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofMillis(200));
			assertThat(engine.snapshot("a").orElseThrow().store()).isEqualTo("redis (fail-closed: unavailable)");
			assertThat(engine.snapshot("a").orElseThrow().rejectedByReason().get(RejectionReason.STORE_UNAVAILABLE))
				.isPositive();
			// Rate budgets live in Redis too, and fail closed the same way.
			assertThat(engine.checkRateLimit("r")).isFalse();
			assertThat(engine.snapshot("r").orElseThrow().rejectedByReason().get(RejectionReason.STORE_UNAVAILABLE))
				.isEqualTo(1);

			// Restarted empty (no persistence): the store gives the agent its limit back by itself.
			this.server.startProcess();
			await().atMost(Duration.ofSeconds(30)).until(() -> "redis".equals(engine.snapshot("a").orElseThrow().store()));
			Permit one = engine.acquire("a");
			Permit two = engine.acquire("a");
			assertThat(engine.tryAcquire("a")).isEmpty();
			assertThat(engine.snapshot("a").orElseThrow().inFlight()).isEqualTo(2);
			one.close();
			two.close();
			// inFlight waits for this instance's releases within the command timeout; the first
			// releases after a restart (scripts loaded again) may take longer on a loaded machine.
			await().atMost(Duration.ofSeconds(5))
				.untilAsserted(() -> assertThat(engine.snapshot("a").orElseThrow().inFlight()).isZero());
			assertThat(engine.checkRateLimit("r")).isTrue();
		}
	}

	@Test
	void failOpenFallsBackToLocalLimitsAndReturnsToRedis() throws Exception {
		try (RedisPermitStore store = store(OnUnavailable.FAIL_OPEN)) {
			PolicyEngine engine = PolicyEngine.builder().permitStore(store).build();
			engine.setQuota("a", ResourceQuota.of("a", 2));
			Permit heldAcrossOutage = engine.acquire("a");

			this.server.stop();
			// The first call notices the outage; from then on the local limit of 2 applies.
			await().atMost(Duration.ofSeconds(15))
				.until(() -> "redis (fail-open: local)".equals(store.name()) || !probe(engine));
			await().atMost(Duration.ofSeconds(15))
				.until(() -> "redis (fail-open: local)".equals(engine.snapshot("a").orElseThrow().store()));
			List<Permit> local = new ArrayList<>();
			local.add(engine.tryAcquire("a").orElseThrow());
			local.add(engine.tryAcquire("a").orElseThrow());
			assertThatExceptionOfType(QuotaExceededException.class).isThrownBy(() -> engine.acquire("a"))
				.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(RejectionReason.CONCURRENCY_LIMIT));
			assertThat(engine.snapshot("a").orElseThrow().inFlight()).isEqualTo(3);
			local.forEach(Permit::close);
			// The permit taken from Redis before the outage is closed harmlessly while it is down.
			heldAcrossOutage.close();

			this.server.startProcess();
			await().atMost(Duration.ofSeconds(30)).until(() -> "redis".equals(engine.snapshot("a").orElseThrow().store()));
			Permit one = engine.acquire("a");
			Permit two = engine.acquire("a");
			assertThat(engine.tryAcquire("a")).isEmpty();
			assertThat(engine.snapshot("a").orElseThrow().inFlight()).isEqualTo(2);
			one.close();
			two.close();
		}
	}

	/** Take and return a permit; false when none was granted. */
	private static boolean probe(PolicyEngine engine) {
		Optional<Permit> permit = engine.tryAcquire("a");
		permit.ifPresent(Permit::close);
		return permit.isPresent();
	}

}
