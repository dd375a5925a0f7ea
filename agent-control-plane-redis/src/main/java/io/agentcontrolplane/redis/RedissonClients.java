package io.agentcontrolplane.redis;

import java.lang.System.Logger.Level;
import java.time.Duration;

import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.redis.redisson.Bucket4jRedisson;
import org.jspecify.annotations.Nullable;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * What the store takes from, and checks in, the {@link RedissonClient} it is given (which it
 * does not own): the Bucket4j proxy on its command executor, the publish command its scripts
 * use, and whether its replica settings fit the store's command time-out.
 */
final class RedissonClients {

	private static final System.Logger logger = System.getLogger(RedisPermitStore.class.getName());

	private RedissonClients() {
	}

	/**
	 * Bucket4j's compare-and-swap proxy on the client's command executor, with idle buckets
	 * expiring once full.
	 * @return the proxy, or {@code null} (local buckets) when the client is not {@link Redisson}
	 */
	static @Nullable ProxyManager<String> proxyManager(RedissonClient redisson) {
		if (!(redisson instanceof Redisson client)) {
			logger.log(Level.WARNING, "Rate budgets stay local: the RedissonClient is a "
					+ redisson.getClass().getName() + ", not org.redisson.Redisson");
			return null;
		}
		return Bucket4jRedisson.casBasedBuilder(client.getCommandExecutor())
			.expirationAfterWrite(ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ofMinutes(1)))
			.build();
	}

	/**
	 * Log a warning when the client's replica settings do not fit the command time-out (see
	 * {@link #replicaSyncAdvice}); a client without a readable configuration is left alone.
	 */
	static void checkReplicaSync(RedissonClient redisson, long commandTimeoutMillis) {
		Config config;
		try {
			config = redisson.getConfig();
		}
		catch (RuntimeException ex) {
			return;
		}
		String advice = (config != null) ? replicaSyncAdvice(config, commandTimeoutMillis) : null;
		if (advice != null) {
			logger.log(Level.WARNING, advice);
		}
	}

	/**
	 * With replicas (a cluster, Sentinel, master/replica), Redisson follows each acquire and
	 * release script of a semaphore with {@code WAIT} for the replicas, up to its
	 * {@code slavesSyncTimeout} (default 1 s); with {@code checkLockSyncedSlaves} (default
	 * true) a call whose script ran but that no replica acknowledged fails, leaving the permit
	 * taken until its lease expires. Just after a failover the new master has no synced replica
	 * yet, so every acquire waited out the timeout and failed: recovery took seconds.
	 * @return why and how to change the client's settings, or {@code null} when they fit
	 */
	static @Nullable String replicaSyncAdvice(Config config, long commandTimeoutMillis) {
		if (config.isSingleConfig()) {
			return null;
		}
		boolean waitTooLong = config.getSlavesSyncTimeout() * 2 > commandTimeoutMillis;
		if (!waitTooLong && !config.isCheckLockSyncedSlaves()) {
			return null;
		}
		return "The RedissonClient waits up to slavesSyncTimeout=" + config.getSlavesSyncTimeout()
				+ " ms for replicas after each acquire and release" + (config.isCheckLockSyncedSlaves()
						? " and fails the call when none acknowledged (checkLockSyncedSlaves=true)" : "")
				+ "; with a command timeout of " + commandTimeoutMillis + " ms, calls time out while a replica lags "
				+ "or right after a failover. Set slavesSyncTimeout to at most half the command timeout (for example "
				+ (commandTimeoutMillis * 2 / 5) + " ms) and checkLockSyncedSlaves to false (see docs/redis.md)";
	}

	/**
	 * The command the maintenance script wakes waiters with: Redisson's own.
	 */
	static String publishCommand(RedissonClient redisson) {
		if (redisson instanceof Redisson client) {
			// SPUBLISH on a cluster with sharded pub/sub, as Redisson's own scripts do.
			return client.getCommandExecutor().getConnectionManager().getSubscribeService().getPublishCommand();
		}
		return "publish";
	}

}
