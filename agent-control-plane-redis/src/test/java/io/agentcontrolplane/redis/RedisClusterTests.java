package io.agentcontrolplane.redis;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.RejectionReason;
import io.agentcontrolplane.redis.RedisPermitStore.OnUnavailable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The store on a real Redis Cluster (3 masters + 3 replicas on 127.0.0.1:7101-7106, started by
 * {@code .ci/redis-cluster start}) at the default command time-out: the limit under load,
 * hostile ids, a resharding, and a master killed with {@code kill -9}, fail-closed and
 * fail-open. The failure tests run last (a kill leaves a replica promoted; the killed node
 * rejoins as a replica).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RedisClusterTests {

	private TopologyInstances instances;

	@BeforeEach
	void requireCluster() {
		RedisTopologies.requireCluster();
		this.instances = new TopologyInstances("cluster", RedisTopologies::clusterClient);
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
	void theLimitHoldsUnderLoadAcrossThreeInstancesWithHostileIds() throws Exception {
		List<String> agents = TopologyInstances.agents(20);
		List<PolicyEngine> engines = List.of(this.instances.instance(agents, 4, Duration.ofSeconds(10)),
				this.instances.instance(agents, 4, Duration.ofSeconds(10)),
				this.instances.instance(agents, 4, Duration.ofSeconds(10)));
		LoadRun load = new LoadRun(engines, agents, 12);
		try {
			load.awaitMoreCalls(2000, Duration.ofSeconds(60));
		}
		finally {
			load.stop();
		}
		System.out.printf("CLUSTER LOAD: %d calls, %d granted, %d CONCURRENCY_LIMIT, %d STORE_UNAVAILABLE, most "
				+ "inside one agent %d (limit 4), longest call %d ms (command timeout %d ms)%n", load.callCount(),
				load.granted(), load.refused(RejectionReason.CONCURRENCY_LIMIT),
				load.refused(RejectionReason.STORE_UNAVAILABLE), load.mostInside(agents), load.longestCall().toMillis(),
				this.instances.store(0).commandTimeout().toMillis());
		assertThat(load.mostInside(agents)).isBetween(1, 4);
		assertThat(load.refused(RejectionReason.STORE_UNAVAILABLE))
			.as(() -> load.messages(RejectionReason.STORE_UNAVAILABLE, agents).toString())
			.isZero();
		for (String agent : RedisPermitStoreTests.HOSTILE_IDS) {
			assertThat(load.mostInside(List.of(agent))).as(agent).isPositive();
		}
		this.instances.stores().forEach((store) -> assertThat(store.isAvailable()).isTrue());
		// Everything given back: every agent has its whole limit again.
		for (String agent : agents) {
			await().atMost(Duration.ofSeconds(5))
				.untilAsserted(() -> assertThat(engines.get(0).snapshot(agent).orElseThrow().inFlight()).as(agent).isZero());
		}
	}

	@Test
	@Order(2)
	void aReshardRefusesNoAgentWhoseSlotStayed() throws Exception {
		List<String> agents = TopologyInstances.agents(60);
		PolicyEngine engine = this.instances.instance(agents, 2, Duration.ofSeconds(5));
		RedisPermitStore store = this.instances.store(0);
		List<RedisTopologies.Master> before = RedisTopologies.masters();
		RedisTopologies.Master source = before.stream().filter((m) -> m.serves(0)).findFirst().orElseThrow();
		RedisTopologies.Master target = before.stream().filter((m) -> m != source).findFirst().orElseThrow();
		Map<String, Integer> slots = new HashMap<>();
		for (String agent : agents) {
			slots.put(agent, RedisTopologies.slotOf(store.keyOf(agent)));
		}
		LoadRun load = new LoadRun(List.of(engine), agents, 8);
		long reshardMillis;
		try {
			load.awaitMoreCalls(300, Duration.ofSeconds(60));
			long start = System.nanoTime();
			RedisTopologies.run("redis-cli", "--cluster", "reshard", "127.0.0.1:" + source.port(), "--cluster-from",
					source.id(), "--cluster-to", target.id(), "--cluster-slots", "1500", "--cluster-yes");
			reshardMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
			// Calls on the new layout: 300 more after the move.
			load.awaitMoreCalls(300, Duration.ofSeconds(30));
		}
		finally {
			load.stop();
		}
		RedisTopologies.Master after = RedisTopologies.masters()
			.stream()
			.filter((m) -> m.port() == source.port())
			.findFirst()
			.orElseThrow();
		Set<String> moved = new HashSet<>();
		for (String agent : agents) {
			int slot = slots.get(agent);
			if (source.serves(slot) && !after.serves(slot)) {
				moved.add(agent);
			}
		}
		List<String> stayed = agents.stream().filter((agent) -> !moved.contains(agent)).toList();
		System.out.printf("CLUSTER RESHARD: 1500 slots moved in %d ms under load; %d calls; agents moved %d, stayed %d; "
				+ "STORE_UNAVAILABLE for agents that stayed %d, for agents that moved %d; most inside one agent %d "
				+ "(limit 2); longest call %d ms%n", reshardMillis, load.callCount(), moved.size(), stayed.size(),
				load.refused(RejectionReason.STORE_UNAVAILABLE, stayed),
				load.refused(RejectionReason.STORE_UNAVAILABLE, moved), load.mostInside(agents),
				load.longestCall().toMillis());
		assertThat(moved).isNotEmpty();
		assertThat(load.refused(RejectionReason.STORE_UNAVAILABLE, stayed))
			.as(() -> load.messages(RejectionReason.STORE_UNAVAILABLE, stayed).toString())
			.isZero();
		assertThat(load.mostInside(agents)).isLessThanOrEqualTo(2);
		assertThat(load.longestCall()).isLessThan(this.instances.callBound());
		// Moved back so that the next test (and the next run) starts balanced.
		RedisTopologies.run("redis-cli", "--cluster", "reshard", "127.0.0.1:" + target.port(), "--cluster-from",
				target.id(), "--cluster-to", source.id(), "--cluster-slots", "1500", "--cluster-yes");
	}

	@Test
	@Order(3)
	void aKilledMasterRefusesOnlyItsOwnAgentsAndRecoversWithinAboutTwoSecondsOfPromotion() throws Exception {
		List<String> agents = TopologyInstances.agents(40);
		PolicyEngine engine = this.instances.instance(agents, 2, Duration.ofSeconds(4));
		Map<Integer, List<String>> byMaster = RedisTopologies.agentsByMaster(this.instances.store(0), agents);
		assertThat(byMaster).hasSize(3);
		int victim = byMaster.keySet().iterator().next();
		List<String> victimAgents = byMaster.get(victim);
		List<String> others = agents.stream().filter((agent) -> !victimAgents.contains(agent)).toList();
		LoadRun load = new LoadRun(List.of(engine), agents, 8);
		long killed;
		long promoted;
		try {
			load.awaitMoreCalls(300, Duration.ofSeconds(60));
			killed = System.nanoTime();
			RedisTopologies.kill9(RedisTopologies.CLUSTER_DIR, victim);
			promoted = awaitPromotion(victim);
			// Served again: every agent of the killed shard granted 10 times after the promotion.
			load.awaitGrantsSince(promoted, victimAgents, 10, Duration.ofSeconds(30));
		}
		finally {
			load.stop();
			RedisTopologies.startNode("redis-cluster", victim);
		}
		long firstGrantMillis = TimeUnit.NANOSECONDS.toMillis(load.firstGrantAfter(promoted, victimAgents) - promoted);
		long lastRefusal = load.lastRefusal(RejectionReason.STORE_UNAVAILABLE, victimAgents);
		long lastRefusalMillis = (lastRefusal < promoted) ? 0 : TimeUnit.NANOSECONDS.toMillis(lastRefusal - promoted);
		System.out.printf("CLUSTER KILL -9: master %d killed, promotion seen %d ms later; %d calls; STORE_UNAVAILABLE "
				+ "for agents on other masters %d, for the %d agents on the killed master %d (first admission %d ms "
				+ "after the promotion, last refusal %d ms after it); most inside one agent %d (limit 2); longest "
				+ "call %d ms (command timeout %d ms)%n", victim, TimeUnit.NANOSECONDS.toMillis(promoted - killed),
				load.callCount(), load.refused(RejectionReason.STORE_UNAVAILABLE, others), victimAgents.size(),
				load.refused(RejectionReason.STORE_UNAVAILABLE, victimAgents), firstGrantMillis, lastRefusalMillis,
				load.mostInside(agents), load.longestCall().toMillis(),
				this.instances.store(0).commandTimeout().toMillis());
		assertThat(load.refused(RejectionReason.STORE_UNAVAILABLE, others))
			.as(() -> load.messages(RejectionReason.STORE_UNAVAILABLE, others).toString())
			.isZero();
		assertThat(firstGrantMillis).as("first admission after the promotion, ms").isLessThan(2000);
		assertThat(lastRefusalMillis).as("last refusal after the promotion, ms").isLessThan(2000);
		assertThat(load.mostInside(agents)).isLessThanOrEqualTo(2);
		assertThat(load.longestCall()).isLessThan(this.instances.callBound());
		// Every permit back (the replica may have missed the last writes): within a lease and a
		// reconciliation every agent has its whole limit again.
		long back = System.nanoTime();
		for (String agent : agents) {
			awaitWholeLimitOfTwo(engine, agent);
		}
		System.out.printf("CLUSTER KILL -9: every agent had its whole limit again %d ms after the load stopped%n",
				TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - back));
		awaitHealthy(victim);
	}

	/**
	 * Fail-open, per agent: two instances, a master killed under load. Agents on the other
	 * masters keep their cluster-wide limit (never over it, never refused); agents on the killed
	 * shard are counted locally in each instance (up to 2 x the limit, never refused), and are
	 * back on the cluster-wide limit once their keys answer again.
	 */
	@Test
	@Order(4)
	void failOpenFallsBackPerAgentOnlyForTheKilledShardAndReturnsAfterThePromotion() throws Exception {
		List<String> agents = TopologyInstances.agents(40);
		List<PolicyEngine> engines = List.of(
				this.instances.instance(agents, 2, Duration.ofSeconds(4), OnUnavailable.FAIL_OPEN),
				this.instances.instance(agents, 2, Duration.ofSeconds(4), OnUnavailable.FAIL_OPEN));
		Map<Integer, List<String>> byMaster = RedisTopologies.agentsByMaster(this.instances.store(0), agents);
		assertThat(byMaster).hasSize(3);
		int victim = byMaster.keySet().iterator().next();
		List<String> victimAgents = byMaster.get(victim);
		List<String> others = agents.stream().filter((agent) -> !victimAgents.contains(agent)).toList();
		LoadRun load = new LoadRun(engines, agents, 8);
		long killed;
		long promoted;
		long shared;
		int mostUnavailable = 0;
		try {
			load.awaitMoreCalls(300, Duration.ofSeconds(60));
			killed = System.nanoTime();
			RedisTopologies.kill9(RedisTopologies.CLUSTER_DIR, victim);
			mostUnavailable = await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
				.until(() -> this.instances.store(0).unavailableAgents(), (count) -> count > 0);
			promoted = awaitPromotion(victim);
			await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20))
				.until(() -> this.instances.stores().stream().allMatch(RedisPermitStore::isAvailable));
			shared = System.nanoTime();
		}
		finally {
			load.stop();
			RedisTopologies.startNode("redis-cluster", victim);
		}
		long localGrants = load.granted(victimAgents, killed, shared);
		System.out.printf("CLUSTER FAIL-OPEN KILL -9: master %d killed, promotion seen %d ms later, every agent "
				+ "cluster-wide again %d ms after the promotion; %d calls; STORE_UNAVAILABLE %d; agents on other "
				+ "masters: most inside one agent %d (limit 2, two instances); the %d agents of the killed master "
				+ "(at least %d counted locally): %d grants from the kill until back, most inside one agent %d (local "
				+ "limit 2 per instance); longest call %d ms%n", victim, TimeUnit.NANOSECONDS.toMillis(promoted - killed),
				TimeUnit.NANOSECONDS.toMillis(shared - promoted), load.callCount(),
				load.refused(RejectionReason.STORE_UNAVAILABLE), load.mostInside(others), victimAgents.size(),
				mostUnavailable, localGrants, load.mostInside(victimAgents), load.longestCall().toMillis());
		assertThat(load.refused(RejectionReason.STORE_UNAVAILABLE)).isZero();
		assertThat(load.mostInside(others)).as("agents on healthy masters").isBetween(1, 2);
		assertThat(load.mostInside(victimAgents)).as("agents of the killed master").isLessThanOrEqualTo(2 * 2);
		assertThat(localGrants).isPositive();
		assertThat(load.longestCall()).isLessThan(this.instances.callBound());
		// Back on the shared limit: a new load on both instances never goes over it.
		LoadRun after = new LoadRun(engines, agents, 8);
		try {
			after.awaitMoreCalls(1000, Duration.ofSeconds(60));
		}
		finally {
			after.stop();
		}
		System.out.printf("CLUSTER FAIL-OPEN: after the recovery %d calls, most inside one agent %d (limit 2), "
				+ "STORE_UNAVAILABLE %d%n", after.callCount(), after.mostInside(agents),
				after.refused(RejectionReason.STORE_UNAVAILABLE));
		assertThat(after.mostInside(agents)).isBetween(1, 2);
		this.instances.stores().forEach((store) -> assertThat(store.isAvailable()).isTrue());
		awaitHealthy(victim);
	}

	/** Wait until three masters serve again, none of them the victim; when that was seen. */
	private static long awaitPromotion(int victim) {
		await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> {
			List<RedisTopologies.Master> masters = RedisTopologies.masters();
			return masters.size() == 3 && masters.stream().noneMatch((m) -> m.port() == victim);
		});
		return System.nanoTime();
	}

	private static void awaitWholeLimitOfTwo(PolicyEngine engine, String agent) {
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

	/** The killed node rejoined and the cluster is healthy again, for the next test or run. */
	private static void awaitHealthy(int victim) {
		await().atMost(Duration.ofSeconds(30)).until(() -> RedisTopologies.cli(RedisTopologies.CLUSTER_PORTS[0], "cluster", "info")
			.contains("cluster_state:ok") && RedisTestSupport.ping("127.0.0.1", victim) == null);
	}

}
