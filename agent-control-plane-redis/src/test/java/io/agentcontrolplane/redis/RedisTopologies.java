package io.agentcontrolplane.redis;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;
import org.redisson.config.ReadMode;
import org.redisson.config.SubscriptionMode;

/**
 * The Redis Cluster and Sentinel set-ups the tests use, started by {@code .ci/redis-cluster}
 * and {@code .ci/redis-sentinel} (which {@code .ci/run} calls): finds them, says loudly when
 * they are missing (fails under {@code CI}, skips otherwise), and drives them (kill a node by
 * its PID, start it again, read the topology).
 */
final class RedisTopologies {

	/**
	 * Added to every port, as by the scripts ({@code ACP_REDIS_PORT_OFFSET}, default 0), so that
	 * a second set-up can run beside the first.
	 */
	static final int PORT_OFFSET = Integer.parseInt(envOr("ACP_REDIS_PORT_OFFSET", "0"));

	static final int[] CLUSTER_PORTS = ports(7101, 7102, 7103, 7104, 7105, 7106);

	static final int[] SENTINEL_NODE_PORTS = ports(7201, 7202, 7203);

	static final int[] SENTINEL_PORTS = ports(7301, 7302, 7303);

	static final Path CLUSTER_DIR = Path.of(envOr("ACP_REDIS_CLUSTER_DIR", "/tmp/acp-redis-cluster"));

	static final Path SENTINEL_DIR = Path.of(envOr("ACP_REDIS_SENTINEL_DIR", "/tmp/acp-redis-sentinel"));

	private RedisTopologies() {
	}

	private static int[] ports(int... defaults) {
		int[] ports = defaults.clone();
		for (int i = 0; i < ports.length; i++) {
			ports[i] += PORT_OFFSET;
		}
		return ports;
	}

	/**
	 * Check that the cluster answers and is healthy, else fail (CI) or skip.
	 */
	static void requireCluster() {
		for (int port : CLUSTER_PORTS) {
			String problem = RedisTestSupport.ping("127.0.0.1", port);
			if (problem != null) {
				RedisTestSupport.unavailable("no Redis Cluster node answers PING on 127.0.0.1:" + port + " (" + problem
						+ "); start the cluster with .ci/redis-cluster start");
			}
		}
		String info = cli(CLUSTER_PORTS[0], "cluster", "info");
		if (!info.contains("cluster_state:ok")) {
			RedisTestSupport.unavailable("the Redis Cluster on 127.0.0.1:" + CLUSTER_PORTS[0] + "-" + CLUSTER_PORTS[5]
					+ " is not healthy (" + info.trim()
					+ "); restart it with .ci/redis-cluster start");
		}
	}

	/**
	 * Check that the sentinel set-up answers, else fail (CI) or skip.
	 */
	static void requireSentinel() {
		for (int port : SENTINEL_PORTS) {
			String problem = RedisTestSupport.ping("127.0.0.1", port);
			if (problem != null) {
				RedisTestSupport.unavailable("no Redis Sentinel answers PING on 127.0.0.1:" + port + " (" + problem
						+ "); start the set-up with .ci/redis-sentinel start");
			}
		}
	}

	/**
	 * The settings docs/redis.md recommends with replicas: Redisson follows every acquire and
	 * release of a semaphore with {@code WAIT} for the replicas; that wait must end well within
	 * the store's command time-out, and a shard without a synced replica (just after a failover)
	 * must not fail the call after the script already ran.
	 */
	static Config replicated() {
		Config config = new Config();
		config.setThreads(4);
		config.setNettyThreads(8);
		config.setSlavesSyncTimeout(RECOMMENDED_SLAVES_SYNC_TIMEOUT_MILLIS);
		config.setCheckLockSyncedSlaves(false);
		return config;
	}

	static final long RECOMMENDED_SLAVES_SYNC_TIMEOUT_MILLIS = 100;

	/**
	 * A cluster client as the store should be used in production: reads and subscriptions on
	 * masters (a replica may lag), a short topology scan so that a promotion is seen quickly.
	 */
	static RedissonClient clusterClient() {
		Config config = replicated();
		var cluster = config.useClusterServers()
			.setScanInterval(300)
			.setReadMode(ReadMode.MASTER)
			.setSubscriptionMode(SubscriptionMode.MASTER)
			.setTimeout(1000)
			.setConnectTimeout(500)
			.setRetryAttempts(1)
			.setMasterConnectionMinimumIdleSize(2)
			.setMasterConnectionPoolSize(16)
			.setSlaveConnectionMinimumIdleSize(1)
			.setSlaveConnectionPoolSize(4)
			.setSubscriptionConnectionMinimumIdleSize(1);
		for (int port : CLUSTER_PORTS) {
			cluster.addNodeAddress("redis://127.0.0.1:" + port);
		}
		return Redisson.create(config);
	}

	/**
	 * A sentinel client, reads and subscriptions on the master.
	 */
	static RedissonClient sentinelClient() {
		Config config = replicated();
		var sentinel = config.useSentinelServers()
			.setMasterName("acp")
			.setScanInterval(300)
			.setReadMode(ReadMode.MASTER)
			.setSubscriptionMode(SubscriptionMode.MASTER)
			.setCheckSentinelsList(false)
			.setTimeout(1000)
			.setConnectTimeout(500)
			.setRetryAttempts(1)
			.setMasterConnectionMinimumIdleSize(2)
			.setMasterConnectionPoolSize(16)
			.setSlaveConnectionMinimumIdleSize(1)
			.setSlaveConnectionPoolSize(4);
		for (int port : SENTINEL_PORTS) {
			sentinel.addSentinelAddress("redis://127.0.0.1:" + port);
		}
		return Redisson.create(config);
	}

	/**
	 * The masters of the cluster as seen by a node that answers: port, node id and slot ranges.
	 */
	static List<Master> masters() {
		for (int port : CLUSTER_PORTS) {
			if (RedisTestSupport.ping("127.0.0.1", port) != null) {
				continue;
			}
			List<Master> masters = new ArrayList<>();
			for (String line : cli(port, "cluster", "nodes").split("\n")) {
				String[] fields = line.trim().split(" ");
				if (fields.length < 8 || !fields[2].contains("master") || fields[2].contains("fail")) {
					continue;
				}
				int nodePort = Integer.parseInt(fields[1].substring(fields[1].indexOf(':') + 1, fields[1].indexOf('@')));
				List<int[]> ranges = new ArrayList<>();
				for (int i = 8; i < fields.length; i++) {
					if (fields[i].startsWith("[")) {
						continue;
					}
					String[] bounds = fields[i].split("-");
					int from = Integer.parseInt(bounds[0]);
					ranges.add(new int[] { from, (bounds.length > 1) ? Integer.parseInt(bounds[1]) : from });
				}
				if (!ranges.isEmpty()) {
					masters.add(new Master(nodePort, fields[0], ranges));
				}
			}
			return masters;
		}
		throw new IllegalStateException("no cluster node answers");
	}

	/**
	 * The port of the master serving a slot now.
	 */
	static int masterOf(int slot) {
		for (Master master : masters()) {
			if (master.serves(slot)) {
				return master.port();
			}
		}
		throw new IllegalStateException("no master serves slot " + slot);
	}

	/**
	 * The slot of a key, as Redis computes it.
	 */
	static int slotOf(String key) {
		return Integer.parseInt(cli(CLUSTER_PORTS[0], "cluster", "keyslot", key).trim());
	}

	/**
	 * {@code kill -9} a node by the PID in its pid file.
	 */
	static void kill9(Path dir, int port) throws IOException, InterruptedException {
		String pid = Files.readString(dir.resolve(port + "/redis.pid"), StandardCharsets.US_ASCII).trim();
		run("kill", "-9", pid);
	}

	/**
	 * Start a node again through the set-up's script (it rejoins as a replica).
	 */
	static void startNode(String script, int port) throws IOException, InterruptedException {
		run(repositoryRoot().resolve(".ci/" + script).toString(), "start-node", String.valueOf(port));
	}

	static Path repositoryRoot() {
		Path dir = Path.of("").toAbsolutePath();
		while (dir != null && !Files.isDirectory(dir.resolve(".ci"))) {
			dir = dir.getParent();
		}
		if (dir == null) {
			throw new IllegalStateException("no .ci directory above " + Path.of("").toAbsolutePath());
		}
		return dir;
	}

	static String cli(int port, String... args) {
		List<String> command = new ArrayList<>(List.of("redis-cli", "-h", "127.0.0.1", "-p", String.valueOf(port)));
		command.addAll(List.of(args));
		try {
			return run(command.toArray(String[]::new));
		}
		catch (IOException | InterruptedException ex) {
			if (ex instanceof InterruptedException) {
				Thread.currentThread().interrupt();
			}
			throw new IllegalStateException(String.join(" ", command) + " failed", ex);
		}
	}

	static String run(String... command) throws IOException, InterruptedException {
		Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		if (!process.waitFor(2, TimeUnit.MINUTES) || process.exitValue() != 0) {
			throw new IOException(String.join(" ", command) + " failed: " + output);
		}
		return output;
	}

	/**
	 * Agents by the port of the master that serves their keys now.
	 */
	static Map<Integer, List<String>> agentsByMaster(RedisPermitStore store, List<String> agents) {
		Map<Integer, List<String>> byMaster = new LinkedHashMap<>();
		List<Master> masters = masters();
		for (String agent : agents) {
			int slot = slotOf(store.keyOf(agent));
			for (Master master : masters) {
				if (master.serves(slot)) {
					byMaster.computeIfAbsent(master.port(), (port) -> new ArrayList<>()).add(agent);
				}
			}
		}
		return byMaster;
	}

	private static String envOr(String name, String fallback) {
		String value = System.getenv(name);
		return (value != null && !value.isBlank()) ? value : fallback;
	}

	/**
	 * A master node: its port, its node id and the slot ranges it serves.
	 */
	record Master(int port, String id, List<int[]> ranges) {

		boolean serves(int slot) {
			for (int[] range : this.ranges) {
				if (slot >= range[0] && slot <= range[1]) {
					return true;
				}
			}
			return false;
		}

	}

}
