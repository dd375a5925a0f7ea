package io.agentcontrolplane.redis;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
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
 * A frozen server (SIGSTOP of a redis-server of the test's own): connections stay open and
 * nothing answers. Every call must still return within its bound, and everything comes back
 * once the server runs again. The Redisson client keeps its default time-out (3 s) and retries
 * (3 x 1.5 s), so the bounds shown are the store's own.
 */
class RedisFrozenServerTests {

	/** The store's command time-out in these tests. */
	private static final long TIMEOUT_MILLIS = 200;

	/**
	 * What a loaded 2-core machine may add to a bound (scheduling, GC, first use of a code
	 * path); the build machine runs at a load average of 5 to 11. Still far below what an
	 * unbounded call takes here (Redisson's 3 s time-out, then its retries).
	 */
	private static final long SLACK_MILLIS = 1300;

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

	@Test
	void everyCallReturnsWithinItsBoundAndTheStoreRecoversAfterTheThaw() throws Exception {
		try (RedisPermitStore store = RedisPermitStore.builder(this.redisson)
			.keyPrefix(RedisTestSupport.uniquePrefix("frozen"))
			.leaseTime(Duration.ofSeconds(3))
			.probeInterval(Duration.ofMillis(200))
			.commandTimeout(Duration.ofMillis(TIMEOUT_MILLIS))
			.onUnavailable(OnUnavailable.FAIL_CLOSED)
			.build()) {
			PolicyEngine engine = PolicyEngine.builder().permitStore(store).build();
			String[] agents = { "try", "wait", "async", "held" };
			for (String agent : agents) {
				engine.setQuota(agent,
						ResourceQuota.builder(agent).maxConcurrentExecutions(2).maxWait(Duration.ofMillis(300)).build());
				engine.acquire(agent).close();
			}
			Permit held = engine.acquire("held");
			long longest = 0;
			this.server.freeze();
			try {
				// Each agent meets the frozen server on its first call (an agent that already
				// failed answers at once).
				long start = System.nanoTime();
				assertThat(engine.tryAcquire("try")).isEmpty();
				long tryMillis = elapsedMillis(start);
				assertThat(engine.snapshot("try").orElseThrow().rejectedByReason().get(RejectionReason.STORE_UNAVAILABLE))
					.isEqualTo(1);
				assertThat(tryMillis).as("tryAcquire").isLessThan(TIMEOUT_MILLIS + SLACK_MILLIS);

				start = System.nanoTime();
				assertThatExceptionOfType(QuotaExceededException.class).isThrownBy(() -> engine.acquire("wait"))
					.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(RejectionReason.STORE_UNAVAILABLE));
				long acquireMillis = elapsedMillis(start);
				assertThat(acquireMillis).as("acquire").isLessThan(300 + TIMEOUT_MILLIS + SLACK_MILLIS);

				start = System.nanoTime();
				CompletableFuture<Permit> async = engine.acquireAsync("async");
				long asyncMillis = elapsedMillis(start);
				// The engine asks the store for a free permit before it waits: one bounded call.
				assertThat(asyncMillis).as("acquireAsync returning its future").isLessThan(TIMEOUT_MILLIS + SLACK_MILLIS);
				assertThat(async).failsWithin(Duration.ofMillis(300 + TIMEOUT_MILLIS + SLACK_MILLIS));

				start = System.nanoTime();
				held.close();
				long closeMillis = elapsedMillis(start);
				// A close that waited for Redis would take at least the command time-out.
				assertThat(closeMillis).as("Permit.close").isLessThan(TIMEOUT_MILLIS);

				longest = Math.max(Math.max(tryMillis, acquireMillis), Math.max(asyncMillis, closeMillis));
				System.out.printf("FROZEN SERVER: tryAcquire %d ms, acquire %d ms, acquireAsync returned in %d ms, "
						+ "close %d ms (command timeout %d ms)%n", tryMillis, acquireMillis, asyncMillis, closeMillis,
						TIMEOUT_MILLIS);
				assertThat(store.isAvailable()).isFalse();
			}
			finally {
				this.server.thaw();
			}
			long thawed = System.nanoTime();
			await().atMost(Duration.ofSeconds(10)).until(store::isAvailable);
			long recoveryMillis = elapsedMillis(thawed);
			// The release sent during the freeze reached Redis after the thaw.
			await().atMost(Duration.ofSeconds(10))
				.untilAsserted(() -> assertThat(engine.snapshot("held").orElseThrow().inFlight()).isZero());
			for (String agent : agents) {
				Permit one = engine.acquire(agent);
				Permit two = engine.acquire(agent);
				assertThat(engine.tryAcquire(agent)).as(agent).isEmpty();
				one.close();
				two.close();
			}
			System.out.printf("FROZEN SERVER: every agent served again %d ms after the thaw; longest call %d ms%n",
					recoveryMillis, longest);
		}
	}

	private static long elapsedMillis(long startNanos) {
		return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos);
	}

}
