package io.agentcontrolplane.redis;

import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import io.agentcontrolplane.quota.PermitStore;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import org.jspecify.annotations.Nullable;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.ByteArrayCodec;

/**
 * A {@link PermitStore} that keeps every agent's concurrency permits in Redis, so that a limit
 * holds across every instance of a service. Each permit is a lease in a Redisson
 * {@link org.redisson.api.RPermitExpirableSemaphore} (one per agent): it has an id and an
 * expiry, a background task renews the expiry while the permit is held, and a crashed instance's
 * permits therefore come back after the {@link Builder#leaseTime(Duration) lease time} instead of
 * leaking forever. Callers waiting for a permit are woken by Redis pub/sub when one is released
 * (no polling).
 *
 * <p>When Redis cannot be reached, calls are refused with
 * {@link io.agentcontrolplane.quota.RejectionReason#STORE_UNAVAILABLE} ({@link OnUnavailable#FAIL_CLOSED},
 * the default) or counted against local, per-instance limits ({@link OnUnavailable#FAIL_OPEN});
 * a probe notices when Redis is back and the store returns to cluster-wide permits by itself.
 * {@link #name()} says which mode is active.
 *
 * <p>On a Redis Cluster or Sentinel set-up with replicas, Redisson follows every acquire and
 * release with {@code WAIT} for the replicas; give the client a {@code slavesSyncTimeout} of at
 * most half the {@link Builder#commandTimeout(Duration) command time-out} and
 * {@code checkLockSyncedSlaves=false}, or calls time out while a replica lags and fail right
 * after a failover (the store logs a warning at start-up otherwise).
 *
 * <p>The store does not own the {@link RedissonClient}; {@link #close()} stops the store's own
 * renewal thread only.
 */
public final class RedisPermitStore implements PermitStore, AutoCloseable {

	private static final System.Logger logger = System.getLogger(RedisPermitStore.class.getName());

	private final RedissonClient redisson;

	private final String keyPrefix;

	private final long leaseMillis;

	private final OnUnavailable onUnavailable;

	private final long probeIntervalMillis;

	private final long commandTimeoutMillis;

	private final long reconcileIntervalMillis;

	private final long renewEveryMillis;

	private final String publishCommand;

	private final ScheduledThreadPoolExecutor scheduler;

	/**
	 * Runs what follows a Redis answer to a waiter (handing over the permit, the caller's
	 * continuations), so that nothing ever blocks one of Redisson's event-loop threads.
	 */
	private final ExecutorService callbacks;

	private final Set<CompletableFuture<?>> pendingReleases = ConcurrentHashMap.newKeySet();

	private final Set<RedisAgentPermits> agents = ConcurrentHashMap.newKeySet();

	private final @Nullable ProxyManager<String> buckets;

	private final AtomicInteger unavailableAgents = new AtomicInteger();

	private final AtomicLong agentSequence = new AtomicLong();

	private final MaintenanceRounds rounds;


	/** This store's name in the agents' {@code limit:versions} hashes (random, per store). */
	private final String instanceId = HexFormat.of().formatHex(randomBytes(8));


	private volatile boolean closed;

	private RedisPermitStore(Builder builder) {
		this.redisson = builder.redisson;
		this.keyPrefix = builder.keyPrefix;
		this.leaseMillis = builder.leaseTime.toMillis();
		this.onUnavailable = builder.onUnavailable;
		this.probeIntervalMillis = builder.probeInterval.toMillis();
		this.commandTimeoutMillis = builder.commandTimeout.toMillis();
		this.reconcileIntervalMillis = builder.reconcileInterval.toMillis();
		this.buckets = builder.clusterRateLimits ? RedissonClients.proxyManager(builder.redisson) : null;
		this.publishCommand = RedissonClients.publishCommand(builder.redisson);
		RedissonClients.checkReplicaSync(builder.redisson, this.commandTimeoutMillis);
		this.scheduler = new ScheduledThreadPoolExecutor(1, (task) -> {
			Thread thread = new Thread(task, "agent-control-plane-redis");
			thread.setDaemon(true);
			return thread;
		});
		this.scheduler.setRemoveOnCancelPolicy(true);
		this.callbacks = Executors.newCachedThreadPool((task) -> {
			Thread thread = new Thread(task, "agent-control-plane-redis-callback");
			thread.setDaemon(true);
			return thread;
		});
		// Renew at a third of the lease: two renewals may fail (a slow Redis, a GC pause) before
		// a permit that is still held expires.
		// Rounds run at that pace, or at the reconciliation interval when it is shorter.
		this.renewEveryMillis = Math.max(1, Math.min(this.leaseMillis / 3, this.reconcileIntervalMillis));
		this.rounds = new MaintenanceRounds(this, this.agents, this.renewEveryMillis, this.reconcileIntervalMillis,
				this.commandTimeoutMillis);
		this.scheduler.scheduleWithFixedDelay(this.rounds, this.renewEveryMillis, this.renewEveryMillis,
				TimeUnit.MILLISECONDS);
	}

	/**
	 * Start building a store on the given client.
	 * @param redisson the Redisson client (not closed by the store)
	 * @return a builder
	 */
	public static Builder builder(RedissonClient redisson) {
		return new Builder(redisson);
	}

	/**
	 * {@code redis} while every agent's keys answer; {@code redis (fail-closed: unavailable)} or
	 * {@code redis (fail-open: local)} while the keys of at least one agent do not (only those
	 * agents are refused or counted locally).
	 */
	@Override
	public String name() {
		if (this.unavailableAgents.get() == 0) {
			return "redis";
		}
		return (this.onUnavailable == OnUnavailable.FAIL_OPEN) ? "redis (fail-open: local)"
				: "redis (fail-closed: unavailable)";
	}

	@Override
	public AgentPermits create(String agentId, int limit, boolean fair) {
		RedisAgentPermits permits = new RedisAgentPermits(this, agentId, limit, fair,
				this.agentSequence.getAndIncrement());
		this.agents.add(permits);
		return permits;
	}

	/**
	 * Keep the agent's rate budget in Redis too (Bucket4j's Redisson backend), so that
	 * per-minute and per-hour limits hold across instances; idle buckets expire once full.
	 * @return the bucket, or {@code null} (local buckets) when cluster rate limits are off or
	 * the client is not a {@link Redisson} instance
	 */
	@Override
	public @Nullable RateBucket createRateBucket(String agentId, BucketConfiguration configuration) {
		ProxyManager<String> buckets = this.buckets;
		if (buckets == null) {
			return null;
		}
		return new RedisRateBucket(this, agentId,
				buckets.asAsync().builder().build(rateKeyOf(agentId), () -> CompletableFuture.completedFuture(configuration)),
				configuration);
	}

	/**
	 * Whether the keys of every agent answered at their last call or probe. An agent whose keys
	 * do not answer (its shard is down, Redis is unreachable) is refused or counted locally on
	 * its own; the others are served as usual.
	 * @return whether no agent is in the unavailable mode now
	 */
	public boolean isAvailable() {
		return this.unavailableAgents.get() == 0;
	}

	/**
	 * How many agents are in the unavailable mode now (their keys did not answer).
	 * @return the number of agents refused or counted locally
	 */
	public int unavailableAgents() {
		return this.unavailableAgents.get();
	}

	/**
	 * What to do while Redis cannot be reached.
	 * @return the configured behaviour
	 */
	public OnUnavailable onUnavailable() {
		return this.onUnavailable;
	}

	/**
	 * How long a permit lives in Redis without renewal.
	 * @return the lease time
	 */
	public Duration leaseTime() {
		return Duration.ofMillis(this.leaseMillis);
	}

	/**
	 * How long a call waits for Redis at most before the agent is taken as unreachable.
	 * @return the command time-out
	 */
	public Duration commandTimeout() {
		return Duration.ofMillis(this.commandTimeoutMillis);
	}

	/**
	 * How often every agent's total is restored to its limit in Redis.
	 * @return the reconciliation interval
	 */
	public Duration reconcileInterval() {
		return Duration.ofMillis(this.reconcileIntervalMillis);
	}

	/**
	 * The prefix of every Redis key the store writes.
	 * @return the key prefix
	 */
	public String keyPrefix() {
		return this.keyPrefix;
	}

	/**
	 * Stop renewing leases, probing and retrying releases. Permits still held expire in Redis
	 * after the lease time. The Redisson client is left open.
	 */
	@Override
	public void close() {
		// Give releases still on their way a moment, so that a graceful shutdown leaves no
		// permit behind to expire.
		try {
			CompletableFuture.allOf(this.pendingReleases.toArray(CompletableFuture[]::new))
				.get(2, TimeUnit.SECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (ExecutionException | TimeoutException ex) {
			// Whatever is left expires after the lease time.
		}
		this.closed = true;
		this.scheduler.shutdownNow();
		this.callbacks.shutdown();
	}

	// --- used by RedisAgentPermits and RedisRateBucket ----------------------------------------

	boolean isClosed() {
		return this.closed;
	}

	ExecutorService callbacks() {
		return this.callbacks;
	}

	void track(CompletableFuture<?> release) {
		this.pendingReleases.add(release);
		release.whenComplete((ignored, ex) -> this.pendingReleases.remove(release));
	}

	RedissonClient redisson() {
		return this.redisson;
	}

	/**
	 * The name of the agent's semaphore: {@code <prefix>:{<digest>}:permits}. Redisson derives
	 * its helper key ({@code <name>:timeout}) and channel ({@code redisson_sc:<name>}) from it,
	 * so every key of one agent carries the same hash tag and lands in one cluster slot.
	 */
	String keyOf(String agentId) {
		return this.keyPrefix + ":{" + digest(agentId) + "}:permits";
	}

	/**
	 * The key of the agent's rate bucket: {@code <prefix>:{<digest>}:rate}.
	 */
	String rateKeyOf(String agentId) {
		return this.keyPrefix + ":{" + digest(agentId) + "}:rate";
	}

	/**
	 * The key holding the agent's cluster-wide limit: {@code <prefix>:{<digest>}:limit}.
	 */
	String limitKeyOf(String agentId) {
		return this.keyPrefix + ":{" + digest(agentId) + "}:limit";
	}

	/**
	 * The hash of the last limit version each instance wrote for the agent, with the time of
	 * the write: {@code <prefix>:{<digest>}:limit:versions}.
	 */
	String limitVersionsKeyOf(String agentId) {
		return this.keyPrefix + ":{" + digest(agentId) + "}:limit:versions";
	}

	String instanceId() {
		return this.instanceId;
	}

	private static byte[] randomBytes(int count) {
		byte[] bytes = new byte[count];
		new java.security.SecureRandom().nextBytes(bytes);
		return bytes;
	}

	/**
	 * The agent id as it appears in keys: the first 128 bits of its SHA-256 digest (UTF-8), in
	 * lower-case hex. Only {@code [0-9a-f]} ever reaches a key, so no id can contain a brace,
	 * choose a hash slot, or spell another agent's key (or one of Redisson's helper keys).
	 * @param agentId the agent id
	 * @return 32 hex digits
	 */
	static String digest(String agentId) {
		try {
			byte[] hash = MessageDigest.getInstance("SHA-256").digest(agentId.getBytes(StandardCharsets.UTF_8));
			return HexFormat.of().formatHex(hash, 0, 16);
		}
		catch (NoSuchAlgorithmException ex) {
			throw new IllegalStateException("Every Java platform has SHA-256", ex);
		}
	}

	long leaseMillis() {
		return this.leaseMillis;
	}

	long probeIntervalMillis() {
		return this.probeIntervalMillis;
	}

	long commandTimeoutNanos() {
		return TimeUnit.MILLISECONDS.toNanos(this.commandTimeoutMillis);
	}

	/**
	 * How long an agent's keys live without a refresh: long enough to outlast two
	 * reconciliation intervals and a lease, so that keys in use never expire, and keys of an
	 * agent no instance configures any more go away by themselves.
	 */
	long keyTimeToLiveMillis() {
		return 2 * Math.max(this.reconcileIntervalMillis, this.renewEveryMillis) + this.leaseMillis;
	}

	String publishCommand() {
		return this.publishCommand;
	}

	boolean failOpen() {
		return this.onUnavailable == OnUnavailable.FAIL_OPEN;
	}

	void forget(RedisAgentPermits permits) {
		if (this.agents.remove(permits) && !permits.isAvailable()) {
			agentBack(permits);
		}
	}

	/**
	 * A copy of the future that fails with a {@link TimeoutException} after the command
	 * time-out (Redisson's own time-outs and retries can add up to many seconds).
	 */
	<T> CompletableFuture<T> bounded(CompletableFuture<T> future) {
		return future.copy().orTimeout(this.commandTimeoutMillis, TimeUnit.MILLISECONDS);
	}

	/**
	 * Run a task on the store's thread after a delay.
	 * @return false when the store is shut down
	 */
	boolean schedule(Runnable task, long delayMillis) {
		try {
			this.scheduler.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
			return true;
		}
		catch (RuntimeException ex) {
			return false;
		}
	}

	void retryRelease(Runnable release) {
		schedule(release, this.probeIntervalMillis);
	}

	/**
	 * One agent's {@link MaintenanceScript}, on its own.
	 */
	CompletableFuture<List<Object>> maintain(RedisAgentPermits agent, Object[] arguments) {
		return MaintenanceScript.evalAsync(this.redisson.getScript(ByteArrayCodec.INSTANCE), agent.maintenanceKeys(),
				arguments);
	}

	void agentLost(RedisAgentPermits agent, @Nullable Throwable cause) {
		if (this.unavailableAgents.getAndIncrement() == 0) {
			logger.log(Level.WARNING, "Redis does not answer for agent '" + agent.agentId() + "' (and maybe others); "
					+ "their permits now " + (failOpen() ? "fall back to local limits" : "fail closed") + ": "
					+ describe(cause));
		}
	}

	void agentBack(RedisAgentPermits agent) {
		if (this.unavailableAgents.decrementAndGet() == 0) {
			logger.log(Level.INFO, "Redis answers for every agent again; agent-control-plane permits are cluster-wide again");
		}
	}

	/**
	 * The last complete maintenance round: how many agents it renewed or reconciled, how many
	 * milliseconds it took until every answer was in, and the longest round so far.
	 */
	long[] lastMaintenanceRound() {
		return this.rounds.lastRound();
	}

	/**
	 * How many maintenance rounds have completed (for tests).
	 */
	long completedRounds() {
		return this.rounds.completedRounds();
	}

	static @Nullable Throwable unwrap(@Nullable Throwable failure) {
		Throwable cause = failure;
		while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
			cause = cause.getCause();
		}
		return cause;
	}

	static String describe(@Nullable Throwable cause) {
		if (cause == null) {
			return "no answer";
		}
		return cause.getClass().getSimpleName() + ": " + cause.getMessage();
	}

	/**
	 * What a {@link RedisPermitStore} does while Redis cannot be reached.
	 */
	public enum OnUnavailable {

		/**
		 * Refuse calls that need a new permit with
		 * {@link io.agentcontrolplane.quota.RejectionReason#STORE_UNAVAILABLE} (the default):
		 * the limit is never exceeded, at the price of availability.
		 */
		FAIL_CLOSED,

		/**
		 * Count new permits against the same limit kept locally in each instance: the service
		 * keeps running, and the cluster may admit up to (instances x limit) meanwhile.
		 */
		FAIL_OPEN

	}

	/**
	 * Builds a {@link RedisPermitStore}.
	 */
	public static final class Builder {

		private final RedissonClient redisson;

		private String keyPrefix = "agent-control-plane";

		private Duration leaseTime = Duration.ofSeconds(30);

		private OnUnavailable onUnavailable = OnUnavailable.FAIL_CLOSED;

		private Duration probeInterval = Duration.ofSeconds(1);

		private Duration commandTimeout = Duration.ofMillis(250);

		private Duration reconcileInterval = Duration.ofSeconds(10);

		private boolean clusterRateLimits = true;

		private Builder(RedissonClient redisson) {
			this.redisson = Objects.requireNonNull(redisson, "redisson");
		}

		/**
		 * The prefix of every key the store writes (default {@code agent-control-plane});
		 * services that must not share limits use different prefixes.
		 * @param keyPrefix the prefix, not blank, without braces
		 * @return this builder
		 */
		public Builder keyPrefix(String keyPrefix) {
			if (keyPrefix == null || keyPrefix.isBlank()) {
				throw new IllegalArgumentException("keyPrefix must not be blank, was '" + keyPrefix + "'");
			}
			if (keyPrefix.indexOf('{') >= 0 || keyPrefix.indexOf('}') >= 0) {
				throw new IllegalArgumentException("keyPrefix must not contain '{' or '}' (the store puts each agent's "
						+ "keys in a hash tag of its own), was '" + keyPrefix + "'");
			}
			this.keyPrefix = keyPrefix;
			return this;
		}

		/**
		 * How long a permit lives in Redis without renewal (default 30 seconds): the time after
		 * which the permits of a crashed instance come back. Held permits are renewed every
		 * third of it.
		 * @param leaseTime the lease time, at least 100 ms
		 * @return this builder
		 */
		public Builder leaseTime(Duration leaseTime) {
			if (leaseTime == null || leaseTime.toMillis() < 100) {
				throw new IllegalArgumentException("leaseTime must be at least 100ms, was " + leaseTime);
			}
			this.leaseTime = leaseTime;
			return this;
		}

		/**
		 * What to do while Redis cannot be reached (default {@link OnUnavailable#FAIL_CLOSED}).
		 * @param onUnavailable the behaviour
		 * @return this builder
		 */
		public Builder onUnavailable(OnUnavailable onUnavailable) {
			this.onUnavailable = Objects.requireNonNull(onUnavailable, "onUnavailable");
			return this;
		}

		/**
		 * How often to check whether Redis is back once it failed (default 1 second).
		 * @param probeInterval the interval, {@code > 0}
		 * @return this builder
		 */
		public Builder probeInterval(Duration probeInterval) {
			if (probeInterval == null || probeInterval.toMillis() <= 0) {
				throw new IllegalArgumentException("probeInterval must be > 0, was " + probeInterval);
			}
			this.probeInterval = probeInterval;
			return this;
		}

		/**
		 * How long a call waits for Redis at most (default 250 ms). {@code tryAcquire} returns
		 * within it, {@code acquire} within its wait plus it; when it passes, the agent is taken
		 * as unreachable (only that agent) until a probe of its keys gets an answer.
		 * @param commandTimeout the time-out, at least 1 ms
		 * @return this builder
		 */
		public Builder commandTimeout(Duration commandTimeout) {
			if (commandTimeout == null || commandTimeout.toMillis() < 1) {
				throw new IllegalArgumentException("commandTimeout must be at least 1ms, was " + commandTimeout);
			}
			this.commandTimeout = commandTimeout;
			return this;
		}

		/**
		 * How often every agent's total in Redis is restored to its limit (default 10 seconds):
		 * a permit lost for any reason (a release that never arrived, a script re-sent after a
		 * dropped connection) comes back within one interval. Reconciliations are spread over
		 * the interval.
		 * @param reconcileInterval the interval, at least 100 ms
		 * @return this builder
		 */
		public Builder reconcileInterval(Duration reconcileInterval) {
			if (reconcileInterval == null || reconcileInterval.toMillis() < 100) {
				throw new IllegalArgumentException("reconcileInterval must be at least 100ms, was " + reconcileInterval);
			}
			this.reconcileInterval = reconcileInterval;
			return this;
		}

		/**
		 * Whether the agents' budgets are kept in Redis as well (default {@code true}): the
		 * request budgets (per-minute, per-hour) and the token, cost and request budgets of
		 * {@code ResourceQuota.budgets()}, overdrafts and refunds included; {@code false} keeps
		 * them per instance.
		 * @param clusterRateLimits whether budgets are cluster-wide
		 * @return this builder
		 */
		public Builder clusterRateLimits(boolean clusterRateLimits) {
			this.clusterRateLimits = clusterRateLimits;
			return this;
		}

		/**
		 * Build the store; it starts its renewal thread.
		 * @return the store
		 */
		public RedisPermitStore build() {
			return new RedisPermitStore(this);
		}

	}

	/**
	 * Keep the agent's token, cost and request budgets in Redis too, so that every instance
	 * spends the same budgets (see {@link RedisBudgetAccount}); keys under the agent's hash tag,
	 * {@code <prefix>:{<digest>}:budget:<unit>:<window>}.
	 * @return the account, or {@code null} (a local budget) when cluster rate limits are off or
	 * the client is not a {@link Redisson} instance
	 */
	@Override
	public @Nullable BudgetAccount createBudgetAccount(String agentId, io.agentcontrolplane.quota.Budget budget,
			java.time.Clock clock, java.time.ZoneId zone, BudgetAccount local) {
		ProxyManager<String> buckets = this.buckets;
		return (buckets == null) ? null : RedisBudgetAccount.create(this, this.redisson, buckets,
				this.keyPrefix + ":{" + digest(agentId) + "}:budget", agentId, budget, clock, zone, local);
	}

}
