package io.agentcontrolplane.redis;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;

import io.agentcontrolplane.quota.Budget;
import io.agentcontrolplane.quota.PermitStore;
import io.github.bucket4j.Bandwidth;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.TokensInheritanceStrategy;
import io.github.bucket4j.distributed.AsyncBucketProxy;
import io.github.bucket4j.distributed.proxy.ProxyManager;

/**
 * A duration-window budget in Redis: a Bucket4j bucket on Bucket4j's Redisson backend
 * (compare-and-swap on one key, as the agent's rate bucket), with one bandwidth that refills the
 * limit smoothly over the window. Variable amounts, {@code consumeIgnoringRateLimits} for an
 * overdraft, {@code addTokens} for a refund (never past the capacity) and the exact wait from an
 * estimate, as in the engine's own bucket.
 * <p>
 * <b>Time.</b> The compare-and-swap backend computes the bucket's state in the instance that
 * changes it, from that host's wall clock in milliseconds ({@link System#currentTimeMillis()}),
 * not from the engine's clock: instances must agree on the time (NTP), and a host whose clock is
 * behind sees a little less refilled than the others.
 * <p>
 * <b>Limits.</b> Creating the account applies its configuration to the bucket with
 * {@link TokensInheritanceStrategy#ADDITIVE}: a raised limit adds the difference (what was spent
 * stays spent), a lowered one caps what is left at the new limit (in memory, and for calendar
 * windows, a lowered limit overdraws by what was spent beyond it). The last instance to configure
 * the budget wins, as for the permits. The key expires once the bucket would be full again, plus
 * a minute.
 */
final class RedisSmoothBudget extends RedisBudgetAccount {

	private final AsyncBucketProxy bucket;

	/** The deepest overdraft Bucket4j can repay, as in the engine's own bucket. */
	private final long maxDebt;

	RedisSmoothBudget(RedisPermitStore store, ProxyManager<String> buckets, String key, String agentId, Budget budget,
			Clock clock, PermitStore.BudgetAccount local) {
		super(store, agentId, budget, clock, local);
		Duration window = budget.window().duration().orElseThrow();
		// No overflow: Budget guarantees limit <= window nanos.
		this.maxDebt = ((Long.MAX_VALUE / 2) / window.toNanos()) * this.limit;
		BucketConfiguration configuration = BucketConfiguration.builder()
			.addLimit(Bandwidth.builder()
				.capacity(this.limit)
				.refillGreedy(this.limit, window)
				.id(budget.unit().configName())
				.build())
			.build();
		this.bucket = buckets.asAsync().builder().build(key, () -> CompletableFuture.completedFuture(configuration));
		// A bucket made by another instance (or before a restart) may have another limit. Bounded;
		// when Redis does not answer now, the first call that reaches it creates the bucket.
		try {
			store.bounded(this.bucket.replaceConfiguration(configuration, TokensInheritanceStrategy.ADDITIVE)).get();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (ExecutionException ex) {
			// The account's calls find out for themselves.
		}
	}

	@Override
	CompletableFuture<Long> remoteTryCharge(long amount) {
		return this.bucket.tryConsumeAndReturnRemaining(amount).thenApply((probe) -> {
			if (probe.isConsumed()) {
				this.lastKnownAvailable = probe.getRemainingTokens();
				return 0L;
			}
			return Math.max(1, probe.getNanosToWaitForRefill());
		});
	}

	@Override
	CompletableFuture<Long> remoteNanosUntilHolds(long amount) {
		return this.bucket.estimateAbilityToConsume(amount)
			.thenApply((probe) -> probe.canBeConsumed() ? 0L : Math.max(1, probe.getNanosToWaitForRefill()));
	}

	@Override
	CompletableFuture<?> remoteCharge(long amount) {
		return this.bucket.consumeIgnoringRateLimits(amount).thenCompose((penalty) -> {
			if (penalty != Long.MAX_VALUE) {
				return CompletableFuture.completedFuture(penalty);
			}
			// Bucket4j took nothing: the debt would not be repaid within a long of nanoseconds.
			// Charge down to the deepest debt it can repay (about 146 years of refill).
			return this.bucket.getAvailableTokens().thenCompose((available) -> {
				long chargeable = Math.min(amount, Math.max(0, available + this.maxDebt));
				return (chargeable > 0) ? this.bucket.consumeIgnoringRateLimits(chargeable)
						: CompletableFuture.completedFuture(0L);
			});
		});
	}

	@Override
	CompletableFuture<?> remoteGiveBack(long amount, long window) {
		return this.bucket.addTokens(amount);
	}

	@Override
	CompletableFuture<Long> remoteAvailable() {
		return this.bucket.getAvailableTokens();
	}

	@Override
	CompletableFuture<Instant> remoteResetsAt() {
		return this.bucket.estimateAbilityToConsume(this.limit).thenApply((probe) -> {
			Instant now = this.clock.instant();
			return probe.canBeConsumed() ? now : now.plusNanos(probe.getNanosToWaitForRefill());
		});
	}

	@Override
	public long window() {
		return 0;
	}

}
