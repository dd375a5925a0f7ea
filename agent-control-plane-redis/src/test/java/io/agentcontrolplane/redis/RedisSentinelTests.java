package io.agentcontrolplane.redis;

import java.time.Duration;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.concurrent.TimeUnit;

import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.RejectionReason;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The store on a Redis Sentinel set-up (master 7201, replicas 7202-7203, sentinels 7301-7303,
 * started by {@code .ci/redis-sentinel start}) at the default command time-out: the limit with
 * hostile ids under load, then the master killed with {@code kill -9}, which is last (a replica
 * stays promoted).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisSentinelTests {

	private TopologyInstances instances;

	@BeforeEach
	void requireSentinel() {
		RedisTopologies.requireSentinel();
		this.instances = new TopologyInstances("sentinel", RedisTopologies::sentinelClient);
	}

	@AfterEach
	void closeAll() {
		// Null when the set-up is missing and the test was skipped before it made any.
		if (this.instances != null) {
			this.instances.close();
		}
	}

	@Test
	@Order(1)
	void theLimitHoldsUnderLoadAcrossTwoInstancesWithHostileIds() throws Exception {
		List<String> agents = TopologyInstances.agents(12);
		List<PolicyEngine> engines = List.of(this.instances.instance(agents, 3, Duration.ofSeconds(4)),
				this.instances.instance(agents, 3, Duration.ofSeconds(4)));
		LoadRun load = new LoadRun(engines, agents, 8);
		try {
			load.awaitMoreCalls(1500, Duration.ofSeconds(60));
		}
		finally {
			load.stop();
		}
		System.out.printf("SENTINEL LOAD: %d calls, %d granted, %d STORE_UNAVAILABLE, most inside one agent %d "
				+ "(limit 3), longest call %d ms (command timeout %d ms)%n", load.callCount(), load.granted(),
				load.refused(RejectionReason.STORE_UNAVAILABLE), load.mostInside(agents), load.longestCall().toMillis(),
				this.instances.store(0).commandTimeout().toMillis());
		assertThat(load.mostInside(agents)).isBetween(1, 3);
		assertThat(load.refused(RejectionReason.STORE_UNAVAILABLE))
			.as(() -> load.messages(RejectionReason.STORE_UNAVAILABLE, agents).toString())
			.isZero();
	}

	@Test
	@Order(2)
	void aKilledMasterIsFollowedByItsPromotedReplicaWithinAboutTwoSeconds() throws Exception {
		List<String> agents = TopologyInstances.agents(12);
		PolicyEngine engine = this.instances.instance(agents, 2, Duration.ofSeconds(4));
		int victim = Integer.parseInt(currentMaster());
		LoadRun load = new LoadRun(List.of(engine), agents, 8);
		long killed;
		long promoted;
		try {
			load.awaitMoreCalls(300, Duration.ofSeconds(60));
			killed = System.nanoTime();
			RedisTopologies.kill9(RedisTopologies.SENTINEL_DIR, victim);
			await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
				.until(() -> !currentMaster().equals(String.valueOf(victim)));
			promoted = System.nanoTime();
			// Served again: every agent granted 10 times after the promotion.
			load.awaitGrantsSince(promoted, agents, 10, Duration.ofSeconds(30));
		}
		finally {
			load.stop();
			RedisTopologies.startNode("redis-sentinel", victim);
		}
		long firstGrant = load.firstGrantAfter(promoted, agents);
		long firstGrantMillis = TimeUnit.NANOSECONDS.toMillis(firstGrant - promoted);
		long lastRefusal = load.lastRefusal(RejectionReason.STORE_UNAVAILABLE, agents);
		long lastRefusalMillis = (lastRefusal < promoted) ? 0 : TimeUnit.NANOSECONDS.toMillis(lastRefusal - promoted);
		System.out.printf("SENTINEL KILL -9: master %d killed, promotion seen %d ms later; %d calls; %d "
				+ "STORE_UNAVAILABLE; first admission %d ms after the promotion, last refusal %d ms after it; most "
				+ "inside one agent %d (limit 2); longest call %d ms (command timeout %d ms)%n", victim,
				TimeUnit.NANOSECONDS.toMillis(promoted - killed), load.callCount(),
				load.refused(RejectionReason.STORE_UNAVAILABLE), firstGrantMillis, lastRefusalMillis,
				load.mostInside(agents), load.longestCall().toMillis(),
				this.instances.store(0).commandTimeout().toMillis());
		assertThat(firstGrantMillis).as("first admission after the promotion, ms").isLessThan(2000);
		assertThat(lastRefusalMillis).as("last refusal after the promotion, ms").isLessThan(2000);
		assertThat(load.mostInside(agents)).isLessThanOrEqualTo(2);
		assertThat(load.longestCall()).isLessThan(this.instances.callBound());
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

	private static String currentMaster() throws Exception {
		return RedisTopologies.run("redis-cli", "-p", String.valueOf(RedisTopologies.SENTINEL_PORTS[0]), "sentinel",
				"get-master-addr-by-name", "acp")
			.split("\n")[1].trim();
	}

}
