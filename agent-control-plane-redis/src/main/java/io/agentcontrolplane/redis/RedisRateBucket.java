package io.agentcontrolplane.redis;

import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import io.agentcontrolplane.quota.PermitStore;
import io.agentcontrolplane.quota.PermitStoreUnavailableException;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TokensInheritanceStrategy;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.local.LocalBucket;
import io.github.bucket4j.local.LocalBucketBuilder;
import org.jspecify.annotations.Nullable;

/**
 * The rate budget of one agent in Redis: a Bucket4j bucket kept by Bucket4j's Redisson backend
 * (compare-and-swap on one key), so a per-minute limit holds across instances. Every call waits
 * for Redis at most the store's command time-out. While the bucket's key does not answer (its
 * own availability, not the store's) it refuses (fail closed) or counts against a local bucket
 * with the same configuration (fail open), and asks Redis again once a probe interval passed.
 */
final class RedisRateBucket implements PermitStore.RateBucket {

	private final RedisPermitStore store;

	private final String agentId;

	private final AsyncBucketProxy bucket;

	private final LocalBucket local;

	private volatile long[] lastKnown;

	/** {@code 0} while the key answers; else when to ask Redis again ({@link System#nanoTime()}). */
	private volatile long retryAtNanos;

	private volatile @Nullable Throwable lastFailure;

	RedisRateBucket(RedisPermitStore store, String agentId, AsyncBucketProxy bucket, BucketConfiguration configuration) {
		this.store = store;
		this.agentId = agentId;
		this.bucket = bucket;
		this.local = localBucket(configuration);
		this.lastKnown = capacities(configuration);
		// The last instance to configure the agent wins, as for the permits.
		replaceRemote(configuration);
	}

	@Override
	public long tryConsume() {
		if (usable()) {
			try {
				ConsumptionProbe probe = this.store.bounded(this.bucket.tryConsumeAndReturnRemaining(1)).get();
				answered();
				return result(probe);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new PermitStoreUnavailableException(
						"Interrupted while asking Redis for the rate budget of agent '" + this.agentId + "'", ex);
			}
			catch (ExecutionException ex) {
				failed(ex.getCause());
			}
		}
		if (!this.store.failOpen()) {
			throw unavailable();
		}
		return result(this.local.tryConsumeAndReturnRemaining(1));
	}

	private static long result(ConsumptionProbe probe) {
		return probe.isConsumed() ? -1L : Math.max(1, probe.getNanosToWaitForRefill());
	}

	@Override
	public long[] availableTokens() {
		if (usable()) {
			try {
				long[] tokens = this.store.bounded(this.bucket.asVerbose().getAvailableTokens())
					.get()
					.getDiagnostics()
					.getAvailableTokensPerEachBandwidth();
				answered();
				this.lastKnown = tokens;
				return tokens;
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			catch (ExecutionException ex) {
				failed(ex.getCause());
			}
		}
		if (this.store.failOpen()) {
			return this.local.asVerbose().getAvailableTokens().getDiagnostics().getAvailableTokensPerEachBandwidth();
		}
		return this.lastKnown;
	}

	@Override
	public void replaceConfiguration(BucketConfiguration configuration) {
		this.local.replaceConfiguration(configuration, TokensInheritanceStrategy.AS_IS);
		replaceRemote(configuration);
	}

	private void replaceRemote(BucketConfiguration configuration) {
		if (!usable()) {
			return;
		}
		try {
			this.store.bounded(this.bucket.replaceConfiguration(configuration, TokensInheritanceStrategy.AS_IS)).get();
			answered();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (ExecutionException ex) {
			failed(ex.getCause());
		}
	}

	private boolean usable() {
		long retryAt = this.retryAtNanos;
		return retryAt == 0 || System.nanoTime() - retryAt >= 0;
	}

	private void answered() {
		if (this.retryAtNanos != 0) {
			this.retryAtNanos = 0;
		}
	}

	private void failed(@Nullable Throwable failure) {
		this.lastFailure = RedisPermitStore.unwrap(failure);
		long retryAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(this.store.probeIntervalMillis());
		this.retryAtNanos = (retryAt == 0) ? 1 : retryAt;
	}

	private PermitStoreUnavailableException unavailable() {
		Throwable cause = this.lastFailure;
		String message = "Redis is unreachable for this agent's rate budget ("
				+ ((cause != null) ? RedisPermitStore.describe(cause) : "no answer")
				+ "); the permit store fails closed (agent-control-plane.redis.on-unavailable=fail-closed) "
				+ "until Redis answers again";
		return (cause != null) ? new PermitStoreUnavailableException(message, cause)
				: new PermitStoreUnavailableException(message);
	}

	private static LocalBucket localBucket(BucketConfiguration configuration) {
		LocalBucketBuilder builder = Bucket.builder();
		for (Bandwidth bandwidth : configuration.getBandwidths()) {
			builder.addLimit(bandwidth);
		}
		return builder.build();
	}

	private static long[] capacities(BucketConfiguration configuration) {
		Bandwidth[] bandwidths = configuration.getBandwidths();
		long[] capacities = new long[bandwidths.length];
		for (int i = 0; i < bandwidths.length; i++) {
			capacities[i] = bandwidths[i].getCapacity();
		}
		return capacities;
	}

}
