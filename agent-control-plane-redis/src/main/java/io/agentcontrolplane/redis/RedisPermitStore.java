package io.agentcontrolplane.redis;

import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import io.agentcontrolplane.quota.PermitStore;
import io.agentcontrolplane.quota.PermitStoreUnavailableException;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.redis.redisson.Bucket4jRedisson;
import org.jspecify.annotations.Nullable;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;

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

	private final ScheduledThreadPoolExecutor scheduler;

	/**
	 * Runs what follows a Redis answer to a waiter (handing over the permit, the caller's
	 * continuations), so that nothing ever blocks one of Redisson's event-loop threads.
	 */
	private final ExecutorService callbacks;

	private final Set<CompletableFuture<?>> pendingReleases = ConcurrentHashMap.newKeySet();

	private final Set<RedisAgentPermits> agents = ConcurrentHashMap.newKeySet();

	private final @Nullable ProxyManager<String> buckets;

	private final AtomicBoolean probing = new AtomicBoolean();

	private volatile boolean available = true;

	private volatile @Nullable Throwable lastFailure;

	private RedisPermitStore(Builder builder) {
		this.redisson = builder.redisson;
		this.keyPrefix = builder.keyPrefix;
		this.leaseMillis = builder.leaseTime.toMillis();
		this.onUnavailable = builder.onUnavailable;
		this.probeIntervalMillis = builder.probeInterval.toMillis();
		this.buckets = builder.clusterRateLimits ? proxyManager(builder.redisson) : null;
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
		long renewEvery = Math.max(1, this.leaseMillis / 3);
		this.scheduler.scheduleWithFixedDelay(this::maintain, renewEvery, renewEvery, TimeUnit.MILLISECONDS);
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
	 * {@code redis} while Redis is reachable; {@code redis (fail-closed: unavailable)} or
	 * {@code redis (fail-open: local)} while it is not.
	 */
	@Override
	public String name() {
		if (this.available) {
			return "redis";
		}
		return (this.onUnavailable == OnUnavailable.FAIL_OPEN) ? "redis (fail-open: local)"
				: "redis (fail-closed: unavailable)";
	}

	@Override
	public AgentPermits create(String agentId, int limit, boolean fair) {
		RedisAgentPermits permits = new RedisAgentPermits(this, agentId, limit, fair);
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
		return new RedisRateBucket(this, buckets.builder().build(rateKeyOf(agentId), () -> configuration),
				configuration);
	}

	private static @Nullable ProxyManager<String> proxyManager(RedissonClient redisson) {
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
	 * Whether Redis was reachable at the last call or probe.
	 * @return whether the store serves cluster-wide permits now
	 */
	public boolean isAvailable() {
		return this.available;
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
	 * The prefix of every Redis key the store writes.
	 * @return the key prefix
	 */
	public String keyPrefix() {
		return this.keyPrefix;
	}

	/**
	 * Stop renewing leases and probing. Permits still held expire in Redis after the lease
	 * time. The Redisson client is left open.
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
		this.scheduler.shutdownNow();
		this.callbacks.shutdown();
	}

	ExecutorService callbacks() {
		return this.callbacks;
	}

	void track(CompletableFuture<?> release) {
		this.pendingReleases.add(release);
		release.whenComplete((ignored, ex) -> this.pendingReleases.remove(release));
	}

	// --- used by RedisAgentPermits ------------------------------------------------------------

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

	boolean failOpen() {
		return this.onUnavailable == OnUnavailable.FAIL_OPEN;
	}

	void forget(RedisAgentPermits permits) {
		this.agents.remove(permits);
	}

	PermitStoreUnavailableException unavailable() {
		Throwable cause = this.lastFailure;
		String message = "Redis is unreachable (" + ((cause != null) ? describe(cause) : "no answer")
				+ "); the permit store fails closed (agent-control-plane.redis.on-unavailable=fail-closed) "
				+ "until Redis answers again";
		return (cause != null) ? new PermitStoreUnavailableException(message, cause)
				: new PermitStoreUnavailableException(message);
	}

	/**
	 * Wait for a Redis answer, turning every failure into "unavailable".
	 */
	<T> T await(CompletableFuture<T> future) throws UnreachableException {
		try {
			// Redisson bounds every command by its own time-out and retries; this is a backstop.
			return future.get(this.leaseMillis + 30_000, TimeUnit.MILLISECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new UnreachableException(ex);
		}
		catch (ExecutionException | TimeoutException ex) {
			Throwable cause = (ex instanceof ExecutionException) ? ex.getCause() : ex;
			failed(cause);
			throw new UnreachableException(cause);
		}
	}

	/**
	 * Record that Redis failed to answer: switch to the unavailable mode and start probing.
	 */
	void failed(@Nullable Throwable failure) {
		Throwable cause = unwrap(failure);
		if (cause instanceof CancellationException || this.scheduler.isShutdown()) {
			return;
		}
		this.lastFailure = cause;
		if (this.available) {
			this.available = false;
			logger.log(Level.WARNING, "Redis is unreachable, agent-control-plane permits now "
					+ (failOpen() ? "fall back to local limits" : "fail closed") + ": " + describe(cause));
			for (RedisAgentPermits permits : this.agents) {
				permits.redisLost();
			}
		}
		startProbing();
	}

	private void startProbing() {
		if (!this.probing.compareAndSet(false, true)) {
			return;
		}
		try {
			this.scheduler.schedule(this::probe, this.probeIntervalMillis, TimeUnit.MILLISECONDS);
		}
		catch (RuntimeException ex) {
			// Shut down: nothing left to probe for.
			this.probing.set(false);
		}
	}

	private void probe() {
		try {
			this.redisson.getBucket(this.keyPrefix + ":probe").isExistsAsync().toCompletableFuture()
				.get(this.leaseMillis + 30_000, TimeUnit.MILLISECONDS);
			// Redis may have restarted empty: give every agent its limit back before serving.
			for (RedisAgentPermits permits : this.agents) {
				permits.restoreLimit();
			}
			this.available = true;
			this.probing.set(false);
			logger.log(Level.INFO, "Redis is reachable again, agent-control-plane permits are cluster-wide again");
		}
		catch (Exception ex) {
			this.lastFailure = unwrap(ex);
			try {
				this.scheduler.schedule(this::probe, this.probeIntervalMillis, TimeUnit.MILLISECONDS);
			}
			catch (RuntimeException shutDown) {
				this.probing.set(false);
			}
		}
	}

	private void maintain() {
		if (!this.available) {
			return;
		}
		for (RedisAgentPermits permits : this.agents) {
			try {
				permits.maintain();
			}
			catch (RuntimeException ex) {
				failed(ex);
				return;
			}
		}
	}

	private static @Nullable Throwable unwrap(@Nullable Throwable failure) {
		Throwable cause = failure;
		while ((cause instanceof CompletionException || cause instanceof ExecutionException) && cause.getCause() != null) {
			cause = cause.getCause();
		}
		return cause;
	}

	private static String describe(@Nullable Throwable cause) {
		if (cause == null) {
			return "no answer";
		}
		return cause.getClass().getSimpleName() + ": " + cause.getMessage();
	}

	/**
	 * Redis did not answer; the store is now in its unavailable mode.
	 */
	static final class UnreachableException extends Exception {

		private static final long serialVersionUID = 1L;

		UnreachableException(Throwable cause) {
			super(cause);
		}

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
		 * Whether rate budgets (per-minute, per-hour) are kept in Redis as well (default
		 * {@code true}); {@code false} keeps them per instance.
		 * @param clusterRateLimits whether rate budgets are cluster-wide
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

}
