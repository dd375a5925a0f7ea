package io.agentcontrolplane.quota;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

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

	private RateBudget(int perMinute, int perHour, @Nullable LocalBucket bucket) {
		this.perMinute = perMinute;
		this.perHour = perHour;
		this.bucket = bucket;
	}

	/**
	 * The budget for a quota, or {@code null} when it has no rate limit.
	 * @param quota the quota
	 * @param timeMeter the time source
	 * @param previous the budget the quota replaces, whose remaining tokens carry over
	 */
	static @Nullable RateBudget of(ResourceQuota quota, TimeMeter timeMeter, @Nullable RateBudget previous) {
		if (!quota.hasRateLimit()) {
			return null;
		}
		int perMinute = quota.maxRequestsPerMinute().orElse(-1);
		int perHour = quota.maxRequestsPerHour().orElse(-1);
		if (previous != null && previous.perMinute == perMinute && previous.perHour == perHour) {
			return previous;
		}
		if (perMinute == 0 || perHour == 0) {
			return new RateBudget(perMinute, perHour, null);
		}
		BucketConfiguration configuration = configuration(perMinute, perHour);
		if (previous != null && previous.bucket != null) {
			// Keep what was spent: a raised limit must not hand out a fresh burst, a lowered one
			// caps what is left (AS_IS keeps the tokens, capped at the new capacities).
			previous.bucket.replaceConfiguration(configuration, TokensInheritanceStrategy.AS_IS);
			return new RateBudget(perMinute, perHour, previous.bucket);
		}
		LocalBucketBuilder builder = Bucket.builder().withCustomTimePrecision(timeMeter);
		for (Bandwidth bandwidth : configuration.getBandwidths()) {
			builder.addLimit(bandwidth);
		}
		LocalBucket bucket = builder.build();
		return new RateBudget(perMinute, perHour, bucket);
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
	 */
	long tryConsume() {
		LocalBucket bucket = this.bucket;
		if (bucket == null) {
			return Long.MAX_VALUE;
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
		LocalBucket bucket = this.bucket;
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
		Long minute = availablePerMinute();
		Long hour = availablePerHour();
		return (minute == null || minute >= this.perMinute) && (hour == null || hour >= this.perHour);
	}

	int perMinute() {
		return this.perMinute;
	}

	int perHour() {
		return this.perHour;
	}

	/**
	 * Bucket4j time from the engine's {@link Clock}, so that tests can move time by hand. A
	 * clock that steps backwards refills nothing until it catches up again (Bucket4j ignores
	 * time going backwards), so a wall-clock adjustment can never hand out extra requests.
	 */
	record ClockTimeMeter(Clock clock) implements TimeMeter {

		@Override
		public long currentTimeNanos() {
			Instant now = this.clock.instant();
			return now.getEpochSecond() * 1_000_000_000L + now.getNano();
		}

		@Override
		public boolean isWallClockBased() {
			return true;
		}

	}

}
