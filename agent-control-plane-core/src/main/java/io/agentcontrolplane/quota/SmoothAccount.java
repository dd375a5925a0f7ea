package io.agentcontrolplane.quota;

import java.time.Clock;
import java.time.Instant;

import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.Bucket;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.EstimationProbe;
import io.github.bucket4j.TimeMeter;
import io.github.bucket4j.local.LocalBucket;

/**
 * A duration window in this JVM: a Bucket4j bucket that refills the limit smoothly over the
 * window. Bucket4j gives the exact time until the bucket holds an amount, overdraft
 * ({@code consumeIgnoringRateLimits}) and refunds capped at the capacity ({@code addTokens}).
 */
final class SmoothAccount implements PermitStore.BudgetAccount {

	private final LocalBucket bucket;

	private final Clock clock;

	private final long limit;

	/**
	 * The deepest overdraft Bucket4j can repay: it refuses a debit whose repayment time does not
	 * fit in a long of nanoseconds. Half of that (about 146 years) is far beyond any wait that
	 * matters, so a larger underestimate is charged only down to this depth.
	 */
	private final long maxDebt;

	SmoothAccount(Budget budget, TimeMeter timeMeter, Clock clock) {
		this.clock = clock;
		this.limit = budget.limitInBaseUnits();
		this.maxDebt = maxDebt(budget);
		this.bucket = Bucket.builder()
			.addLimit(Bandwidth.builder()
				.capacity(this.limit)
				.refillGreedy(this.limit, budget.window().duration().orElseThrow())
				.build())
			.withCustomTimePrecision(timeMeter)
			.build();
	}

	/**
	 * The deepest overdraft of a duration budget that Bucket4j can still repay, with room to
	 * spare (see {@link #charge(long)}).
	 * @param budget a duration budget with a limit {@code > 0}
	 * @return the depth in base units
	 */
	static long maxDebt(Budget budget) {
		long windowNanos = budget.window().duration().orElseThrow().toNanos();
		// No overflow: Budget guarantees limit <= windowNanos, so this is at most
		// Long.MAX_VALUE / 2.
		return ((Long.MAX_VALUE / 2) / windowNanos) * budget.limitInBaseUnits();
	}

	@Override
	public long tryCharge(long amount) {
		ConsumptionProbe probe = this.bucket.tryConsumeAndReturnRemaining(amount);
		return probe.isConsumed() ? 0 : Math.max(1, probe.getNanosToWaitForRefill());
	}

	@Override
	public long nanosUntilHolds(long amount) {
		EstimationProbe probe = this.bucket.estimateAbilityToConsume(amount);
		return probe.canBeConsumed() ? 0 : Math.max(1, probe.getNanosToWaitForRefill());
	}

	@Override
	public void charge(long amount) {
		// available >= -maxDebt and available <= limit <= Long.MAX_VALUE / 2 here, so the sum
		// cannot overflow. Two charges at once may both pass this check only at a depth of
		// about 146 years of refill, where a little more debt changes nothing that matters.
		long chargeable = Math.min(amount, Math.max(0, this.bucket.getAvailableTokens() + this.maxDebt));
		if (chargeable > 0) {
			this.bucket.consumeIgnoringRateLimits(chargeable);
		}
	}

	@Override
	public void giveBack(long amount, long window) {
		// addTokens never fills past the capacity, so a refund can never create budget.
		this.bucket.addTokens(amount);
	}

	@Override
	public long available() {
		return this.bucket.getAvailableTokens();
	}

	@Override
	public long window() {
		return 0;
	}

	@Override
	public Instant resetsAt() {
		Instant now = this.clock.instant();
		EstimationProbe probe = this.bucket.estimateAbilityToConsume(this.limit);
		return probe.canBeConsumed() ? now : now.plusNanos(probe.getNanosToWaitForRefill());
	}

}
