package io.agentcontrolplane.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.TimeUnit;

import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.RejectionReason;
import io.agentcontrolplane.quota.ResourceQuota;
import io.agentcontrolplane.redis.RedisPermitStore.OnUnavailable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.redisson.api.RedissonClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The store on a Redis Sentinel set-up (master 7201, replicas 7202-7203, sentinels 7301-7303,
 * started by {@code .ci/redis-sentinel start}): the limit with hostile ids under load, then the
 * master killed with {@code kill -9}, which is last (a replica stays promoted).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisSentinelTests {

	private static final long TIMEOUT_MILLIS = 1000;

	private static final long SLACK_MILLIS = 1300;

	private final List<RedissonClient> clients = new ArrayList<>();

	private final List<RedisPermitStore> stores = new ArrayList<>();

	private String prefix;

	@BeforeEach
	void requireSentinel() {
		RedisTopologies.requireSentinel();
		this.prefix = RedisTestSupport.uniquePrefix("sentinel");
	}

	@AfterEach
	void closeAll() {
		this.stores.forEach(RedisPermitStore::close);
		if (!this.clients.isEmpty()) {
			try {
				RedisTestSupport.deleteKeys(this.clients.get(0), this.prefix);
			}
			catch (RuntimeException ex) {
				// Keys expire by themselves.
			}
		}
		this.clients.forEach((client) -> client.shutdown(0, 2, TimeUnit.SECONDS));
	}

	private PolicyEngine instance(List<String> agents, int limit) {
		RedissonClient client = RedisTopologies.sentinelClient();
		this.clients.add(client);
		RedisPermitStore store = RedisPermitStore.builder(client)
			.keyPrefix(this.prefix)
			.leaseTime(Duration.ofSeconds(4))
			.probeInterval(Duration.ofMillis(200))
			.reconcileInterval(Duration.ofSeconds(1))
			.commandTimeout(Duration.ofMillis(TIMEOUT_MILLIS))
			.onUnavailable(OnUnavailable.FAIL_CLOSED)
			.build();
		this.stores.add(store);
		PolicyEngine engine = PolicyEngine.builder().permitStore(store).build();
		for (String agent : agents) {
			engine.setQuota(agent,
					ResourceQuota.builder(agent).maxConcurrentExecutions(limit).maxWait(Duration.ofMillis(20)).build());
		}
		// Warm up (connections, scripts, JIT) before the load: a fresh client's first calls on
		// this loaded 2-core machine took more than the command timeout now and then.
		for (String agent : agents) {
			await().atMost(Duration.ofSeconds(10))
				.ignoreExceptions()
				.untilAsserted(() -> engine.acquire(agent).close());
		}
		return engine;
	}

	private static List<String> agents(int count) {
		List<String> agents = new ArrayList<>(RedisPermitStoreTests.HOSTILE_IDS);
		for (int i = agents.size(); i < count; i++) {
			agents.add("tenant-" + i);
		}
		return agents;
	}

	@Test
	@Order(1)
	void theLimitHoldsUnderLoadAcrossTwoInstancesWithHostileIds() throws Exception {
		List<String> agents = agents(12);
		List<PolicyEngine> engines = List.of(instance(agents, 3), instance(agents, 3));
		LoadRun load = new LoadRun(engines, agents, 8);
		try {
			await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(60)).until(() -> load.callCount() > 200);
		}
		finally {
			load.stop();
		}
		System.out.printf("SENTINEL LOAD: %d calls, %d granted, %d STORE_UNAVAILABLE, most inside one agent %d "
				+ "(limit 3), longest call %d ms%n", load.callCount(), load.granted(),
				load.refused(RejectionReason.STORE_UNAVAILABLE), load.mostInside(agents), load.longestCall().toMillis());
		assertThat(load.mostInside(agents)).isBetween(1, 3);
		assertThat(load.refused(RejectionReason.STORE_UNAVAILABLE))
			.as(() -> load.messages(RejectionReason.STORE_UNAVAILABLE, agents).toString())
			.isZero();
	}

	@Test
	@Order(2)
	void aKilledMasterIsFollowedByItsPromotedReplicaWithinAboutTwoSeconds() throws Exception {
		List<String> agents = agents(12);
		PolicyEngine engine = instance(agents, 2);
		String master = RedisTopologies.run("redis-cli", "-p", "7301", "sentinel", "get-master-addr-by-name", "acp")
			.split("\n")[1].trim();
		int victim = Integer.parseInt(master);
		LoadRun load = new LoadRun(List.of(engine), agents, 8);
		long killed;
		long promoted;
		try {
			await().atMost(Duration.ofSeconds(60)).until(() -> load.callCount() > 200);
			killed = System.nanoTime();
			RedisTopologies.kill9(RedisTopologies.SENTINEL_DIR, victim);
			await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(50))
				.until(() -> !RedisTopologies.run("redis-cli", "-p", "7301", "sentinel", "get-master-addr-by-name", "acp")
					.contains(String.valueOf(victim)));
			promoted = System.nanoTime();
			await().pollDelay(Duration.ofSeconds(4)).atMost(Duration.ofSeconds(30)).until(() -> true);
		}
		finally {
			load.stop();
			RedisTopologies.startNode("redis-sentinel", victim);
		}
		long lastRefusal = load.lastRefusal(RejectionReason.STORE_UNAVAILABLE, agents);
		long recoveryMillis = (lastRefusal == 0) ? 0 : TimeUnit.NANOSECONDS.toMillis(lastRefusal - promoted);
		System.out.printf("SENTINEL KILL -9: master %d killed, promotion %d ms later; %d calls; %d STORE_UNAVAILABLE "
				+ "(last %d ms after the promotion); most inside one agent %d (limit 2); longest call %d ms%n", victim,
				TimeUnit.NANOSECONDS.toMillis(promoted - killed), load.callCount(),
				load.refused(RejectionReason.STORE_UNAVAILABLE), recoveryMillis, load.mostInside(agents),
				load.longestCall().toMillis());
		assertThat(recoveryMillis).isLessThan(2000 + SLACK_MILLIS);
		assertThat(load.mostInside(agents)).isLessThanOrEqualTo(2);
		assertThat(load.longestCall()).isLessThan(Duration.ofMillis(20 + TIMEOUT_MILLIS + SLACK_MILLIS));
		long back = System.nanoTime();
		for (String agent : agents) {
			// An empty tryAcquire (the agent is still being restored) is retried, not a failure.
			await().atMost(Duration.ofSeconds(15)).ignoreExceptionsInstanceOf(NoSuchElementException.class)
				.untilAsserted(() -> {
				Permit one = engine.tryAcquire(agent).orElseThrow();
				try {
					assertThat(engine.tryAcquire(agent)).as(agent).hasValueSatisfying(Permit::close);
				}
				finally {
					one.close();
				}
			});
		}
		System.out.printf("SENTINEL KILL -9: every agent had its whole limit again %d ms after the load stopped%n",
				TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - back));
	}

}
