package io.agentcontrolplane.redis;

import io.agentcontrolplane.quota.PermitStore;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TokensInheritanceStrategy;
import io.github.bucket4j.distributed.BucketProxy;
import io.github.bucket4j.local.LocalBucket;
import io.github.bucket4j.local.LocalBucketBuilder;

/**
 * The rate budget of one agent in Redis: a Bucket4j bucket kept by Bucket4j's Redisson backend
 * (compare-and-swap on one key), so a per-minute limit holds across instances. While Redis cannot
 * be reached it refuses (fail closed) or counts against a local bucket with the same
 * configuration (fail open).
 */
final class RedisRateBucket implements PermitStore.RateBucket {

	private final RedisPermitStore store;

	private final BucketProxy bucket;

	private final LocalBucket local;

	private volatile long[] lastKnown;

	RedisRateBucket(RedisPermitStore store, BucketProxy bucket, BucketConfiguration configuration) {
		this.store = store;
		this.bucket = bucket;
		this.local = localBucket(configuration);
		this.lastKnown = capacities(configuration);
		if (store.isAvailable()) {
			try {
				// The last instance to configure the agent wins, as for the permits.
				bucket.replaceConfiguration(configuration, TokensInheritanceStrategy.AS_IS);
			}
			catch (RuntimeException ex) {
				store.failed(ex);
			}
		}
	}

	@Override
	public long tryConsume() {
		if (this.store.isAvailable()) {
			try {
				return result(this.bucket.tryConsumeAndReturnRemaining(1));
			}
			catch (RuntimeException ex) {
				this.store.failed(ex);
			}
		}
		if (!this.store.failOpen()) {
			throw this.store.unavailable();
		}
		return result(this.local.tryConsumeAndReturnRemaining(1));
	}

	private static long result(ConsumptionProbe probe) {
		return probe.isConsumed() ? -1L : Math.max(1, probe.getNanosToWaitForRefill());
	}

	@Override
	public long[] availableTokens() {
		if (this.store.isAvailable()) {
			try {
				long[] tokens = this.bucket.asVerbose()
					.getAvailableTokens()
					.getDiagnostics()
					.getAvailableTokensPerEachBandwidth();
				this.lastKnown = tokens;
				return tokens;
			}
			catch (RuntimeException ex) {
				this.store.failed(ex);
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
		if (this.store.isAvailable()) {
			try {
				this.bucket.replaceConfiguration(configuration, TokensInheritanceStrategy.AS_IS);
			}
			catch (RuntimeException ex) {
				this.store.failed(ex);
			}
		}
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
