package io.agentcontrolplane.quota;

import java.time.Duration;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConfigurationBuilder;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.TokensInheritanceStrategy;
import io.github.bucket4j.local.LocalBucket;
import io.github.bucket4j.local.LocalBucketBuilder;
import org.jspecify.annotations.Nullable;

/**
 * The per-minute and per-hour request budgets of one agent: one Bucket4j bucket with a
 * greedily (smoothly) refilling bandwidth per window, so a request is taken from both or from
 * neither, and no window edge ever allows a double burst. A limit of {@code 0} denies every
 * request without a bucket (Bucket4j needs a capacity {@code > 0}).
 */
final class RateBudget {

	static final long CONSUMED = -1L;

	private static final String MINUTE = "minute";

	private static final String HOUR = "hour";

	private final int perMinute;

	private final int perHour;

	private final @Nullable LocalBucket bucket;

	/** A bucket kept by the permit store (cluster-wide), used when {@link #bucket} is null. */
	private final PermitStore.@Nullable RateBucket remote;

	/**
	 * Whether the bucket is kept but not used: the limits are unlimited or deny everything now.
	 * The bucket goes on refilling with time meanwhile, so when a limit comes back it holds
	 * exactly what was spent minus what elapsed time refilled, never a fresh budget.
	 */
	private final boolean dormant;

	private RateBudget(int perMinute, int perHour, @Nullable LocalBucket bucket,
			PermitStore.@Nullable RateBucket remote, boolean dormant) {
		this.perMinute = perMinute;
		this.perHour = perHour;
		this.bucket = bucket;
		this.remote = remote;
		this.dormant = dormant;
	}

	/**
	 * The budget for a quota, or {@code null} when it has no rate limit and never had one.
	 * @param quota the quota
	 * @param timeMeter the time source
	 * @param previous the budget the quota replaces, whose bucket (and what was spent from it)
	 * carries over, even through a spell of "unlimited" or "deny all"
	 * @param store the permit store, which may keep the bucket itself
	 */
	static @Nullable RateBudget of(ResourceQuota quota, TimeMeter timeMeter, @Nullable RateBudget previous,
			PermitStore store) {
		int perMinute = quota.maxRequestsPerMinute().orElse(-1);
		int perHour = quota.maxRequestsPerHour().orElse(-1);
		LocalBucket kept = (previous != null) ? previous.bucket : null;
		PermitStore.RateBucket keptRemote = (previous != null) ? previous.remote : null;
		if (!quota.hasRateLimit() || perMinute == 0 || perHour == 0) {
			if (kept == null && keptRemote == null) {
				return quota.hasRateLimit() ? new RateBudget(perMinute, perHour, null, null, false) : null;
			}
			return new RateBudget(perMinute, perHour, kept, keptRemote, true);
		}
		if (previous != null && !previous.dormant && previous.perMinute == perMinute && previous.perHour == perHour) {
			return previous;
		}
		BucketConfiguration configuration = configuration(perMinute, perHour);
		if (keptRemote != null) {
			keptRemote.replaceConfiguration(configuration);
			return new RateBudget(perMinute, perHour, null, keptRemote, false);
		}
		if (kept != null) {
			// Keep what was spent: a raised limit must not hand out a fresh burst, a lowered one
			// caps what is left (AS_IS keeps the tokens, capped at the new capacities).
			kept.replaceConfiguration(configuration, TokensInheritanceStrategy.AS_IS);
			return new RateBudget(perMinute, perHour, kept, null, false);
		}
		PermitStore.RateBucket remote = store.createRateBucket(quota.agentId(), configuration);
		if (remote != null) {
			return new RateBudget(perMinute, perHour, null, remote, false);
		}
		LocalBucketBuilder builder = Bucket.builder().withCustomTimePrecision(timeMeter);
		for (Bandwidth bandwidth : configuration.getBandwidths()) {
			builder.addLimit(bandwidth);
		}
		return new RateBudget(perMinute, perHour, builder.build(), null, false);
	}

	private static BucketConfiguration configuration(int perMinute, int perHour) {
		ConfigurationBuilder builder = BucketConfiguration.builder();
		if (perMinute > 0) {
			builder.addLimit(Bandwidth.builder()
				.capacity(perMinute)
				.refillGreedy(perMinute, Duration.ofMinutes(1))
				.id(MINUTE)
				.build());
		}
		if (perHour > 0) {
			builder.addLimit(
					Bandwidth.builder().capacity(perHour).refillGreedy(perHour, Duration.ofHours(1)).id(HOUR).build());
		}
		return builder.build();
	}

	/**
	 * Take one request from every window, or none.
	 * @return {@link #CONSUMED}, or the nanoseconds until a retry may succeed
	 * ({@link Long#MAX_VALUE} when the budget denies everything)
	 * @throws PermitStoreUnavailableException when a store-kept bucket cannot be reached
	 */
	long tryConsume() {
		if (this.dormant || this.perMinute == 0 || this.perHour == 0) {
			// Dormant and unlimited, or a limit of 0 (with or without a kept bucket).
			return (this.perMinute < 0 && this.perHour < 0) ? CONSUMED : Long.MAX_VALUE;
		}
		LocalBucket bucket = this.bucket;
		if (bucket == null) {
			PermitStore.RateBucket remote = this.remote;
			return (remote != null) ? remote.tryConsume() : Long.MAX_VALUE;
		}
		ConsumptionProbe probe = bucket.tryConsumeAndReturnRemaining(1);
		return probe.isConsumed() ? CONSUMED : Math.max(1, probe.getNanosToWaitForRefill());
	}

	/**
	 * Requests left in the per-minute window, {@code null} when unlimited.
	 */
	@Nullable Long availablePerMinute() {
		return available(this.perMinute, 0);
	}

	/**
	 * Requests left in the per-hour window, {@code null} when unlimited.
	 */
	@Nullable Long availablePerHour() {
		return available(this.perHour, (this.perMinute > 0) ? 1 : 0);
	}

	private @Nullable Long available(int limit, int index) {
		if (limit < 0) {
			return null;
		}
		if (this.dormant || limit == 0) {
			return (long) limit;
		}
		LocalBucket bucket = this.bucket;
		PermitStore.RateBucket remote = this.remote;
		if (bucket == null && remote != null) {
			long[] perBandwidth = remote.availableTokens();
			return (index < perBandwidth.length) ? Math.max(0, perBandwidth[index]) : (long) limit;
		}
		if (bucket == null) {
			// Deny-all: nothing is ever consumed, so an unlimited-by-zero window reads full.
			return (long) ((limit == 0) ? 0 : limit);
		}
		long[] perBandwidth = bucket.asVerbose().getAvailableTokens().getDiagnostics().getAvailableTokensPerEachBandwidth();
		return Math.max(0, perBandwidth[index]);
	}

	/**
	 * Whether every window is full again, so forgetting this budget gives nothing away.
	 */
	boolean isFull() {
		if (this.dormant) {
			// A kept bucket may still be spent: forgetting it would give the spent part back.
			LocalBucket bucket = this.bucket;
			if (bucket == null) {
				return true;
			}
			long[] available = bucket.asVerbose().getAvailableTokens().getDiagnostics().getAvailableTokensPerEachBandwidth();
			Bandwidth[] bandwidths = bucket.getConfiguration().getBandwidths();
			for (int i = 0; i < bandwidths.length; i++) {
				if (available[i] < bandwidths[i].getCapacity()) {
					return false;
				}
			}
			return true;
		}
		Long minute = availablePerMinute();
		Long hour = availablePerHour();
		return (minute == null || minute >= this.perMinute) && (hour == null || hour >= this.perHour);
	}

}
