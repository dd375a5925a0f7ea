package io.agentcontrolplane.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.ResourceQuota;
import io.agentcontrolplane.redis.RedisPermitStore.OnUnavailable;
import org.redisson.api.RedissonClient;

import static org.awaitility.Awaitility.await;

/**
 * Engines ("instances" of a service) on a Redis Cluster or Sentinel set-up, each with a client
 * and a store of its own and one key prefix shared by all, as {@link RedisClusterTests} and
 * {@link RedisSentinelTests} use them. The stores run at the default command time-out.
 * {@link #close()} closes the stores, deletes the keys and shuts the clients down.
 */
final class TopologyInstances implements AutoCloseable {

	/** What a loaded 2-core machine may add to a bound. */
	static final long SLACK_MILLIS = 1300;

	/** Each caller's {@code maxWait}. */
	static final Duration MAX_WAIT = Duration.ofMillis(20);

	private final Supplier<RedissonClient> clientFactory;

	private final String prefix;

	private final List<RedissonClient> clients = new ArrayList<>();

	private final List<RedisPermitStore> stores = new ArrayList<>();

	TopologyInstances(String name, Supplier<RedissonClient> clientFactory) {
		this.clientFactory = clientFactory;
		this.prefix = RedisTestSupport.uniquePrefix(name);
	}

	/**
	 * The given hostile ids, then {@code tenant-<n>} up to {@code count} agents.
	 */
	static List<String> agents(int count) {
		List<String> agents = new ArrayList<>(RedisPermitStoreTests.HOSTILE_IDS);
		for (int i = agents.size(); i < count; i++) {
			agents.add("tenant-" + i);
		}
		return agents;
	}

	/**
	 * A new instance, fail-closed: its own client and store, every agent at the given limit,
	 * warmed up (connections, scripts, JIT) before any load.
	 */
	PolicyEngine instance(List<String> agents, int limit, Duration leaseTime) {
		return instance(agents, limit, leaseTime, OnUnavailable.FAIL_CLOSED);
	}

	PolicyEngine instance(List<String> agents, int limit, Duration leaseTime, OnUnavailable onUnavailable) {
		RedissonClient client = this.clientFactory.get();
		this.clients.add(client);
		RedisPermitStore store = RedisPermitStore.builder(client)
			.keyPrefix(this.prefix)
			.leaseTime(leaseTime)
			.probeInterval(Duration.ofMillis(200))
			.reconcileInterval(Duration.ofSeconds(1))
			.onUnavailable(onUnavailable)
			.build();
		this.stores.add(store);
		PolicyEngine engine = PolicyEngine.builder().permitStore(store).build();
		for (String agent : agents) {
			engine.setQuota(agent,
					ResourceQuota.builder(agent).maxConcurrentExecutions(limit).maxWait(MAX_WAIT).build());
		}
		// A fresh client's first calls on this loaded 2-core machine may miss the command
		// timeout; each agent is served once before the load starts.
		for (String agent : agents) {
			await().atMost(Duration.ofSeconds(10)).ignoreExceptions().untilAsserted(() -> engine.acquire(agent).close());
		}
		return engine;
	}

	RedisPermitStore store(int index) {
		return this.stores.get(index);
	}

	List<RedisPermitStore> stores() {
		return this.stores;
	}

	/** The longest a call may take: its wait, the command time-out, and the slack. */
	Duration callBound() {
		return MAX_WAIT.plus(this.stores.get(0).commandTimeout()).plusMillis(SLACK_MILLIS);
	}

	@Override
	public void close() {
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

}
