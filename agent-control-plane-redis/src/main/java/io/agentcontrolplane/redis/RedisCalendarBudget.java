package io.agentcontrolplane.redis;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.agentcontrolplane.quota.Budget;
import io.agentcontrolplane.quota.BudgetWindow;
import io.agentcontrolplane.quota.PermitStore;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

/**
 * A calendar-window budget ({@code day}, {@code week}, {@code month}) in Redis: one spent
 * counter per window, under {@code <key>:<epoch second of the window's start>}, changed only by
 * the atomic scripts below and expiring an hour after its window ends (by the engine's clock). A new window is a new key,
 * so a budget resets at the start of each window with nothing to reset, and an overdraft ends
 * with its window.
 * <p>
 * <b>Time.</b> Windows start by the engine's clock ({@code PolicyEngine.Builder.clock}, the
 * system clock by default) in its budget zone: every instance must use the same zone, and agree
 * on the time (NTP); around midnight an instance whose clock is a second behind still counts into
 * the day that is ending for the others.
 */
final class RedisCalendarBudget extends RedisBudgetAccount {

	/**
	 * Take ARGV[1] if the limit ARGV[2] still holds it; refresh the time to live to ARGV[3]
	 * milliseconds. Answers the spending after the charge, or {@code -1 - spent} when refused.
	 */
	static final String TRY_CHARGE = String.join("\n",
			"local spent = tonumber(redis.call('get', KEYS[1]) or '0')",
			"if tonumber(ARGV[2]) - spent < tonumber(ARGV[1]) then return -1 - spent end",
			"local after = redis.call('incrby', KEYS[1], ARGV[1])",
			"redis.call('pexpire', KEYS[1], ARGV[3])",
			"return after");

	/** Take ARGV[1] even past the limit (an overdraft); expiry as above. Answers the spending. */
	static final String CHARGE = String.join("\n",
			"local after = redis.call('incrby', KEYS[1], ARGV[1])",
			"redis.call('pexpire', KEYS[1], ARGV[2])",
			"return after");

	/**
	 * Give back ARGV[1], never below zero spent, only while the window's key exists (never
	 * making a key without an expiry). Answers the spending.
	 */
	static final String GIVE_BACK = String.join("\n",
			"if redis.call('exists', KEYS[1]) == 0 then return 0 end",
			"local after = redis.call('decrby', KEYS[1], ARGV[1])",
			"if after < 0 then redis.call('incrby', KEYS[1], -after) after = 0 end",
			"return after");

	/** How long a window's counter outlives the window, for instances whose clocks lag a little. */
	private static final Duration GRACE = Duration.ofHours(1);

	private final RScript scripts;

	private final String key;

	private final BudgetWindow window;

	private final ZoneId zone;

	RedisCalendarBudget(RedisPermitStore store, RedissonClient redisson, String key, String agentId, Budget budget,
			Clock clock, ZoneId zone, PermitStore.BudgetAccount local) {
		super(store, agentId, budget, clock, local);
		this.scripts = redisson.getScript(StringCodec.INSTANCE);
		this.key = key;
		this.window = budget.window();
		this.zone = zone;
	}

	private String keyOf(long windowStart) {
		return this.key + ":" + windowStart;
	}

	private CompletableFuture<Long> eval(String script, String key, Object... arguments) {
		return this.scripts.<Long>evalAsync(key, RScript.Mode.READ_WRITE, script, RScript.ReturnType.INTEGER,
				List.<Object>of(key), arguments)
			.toCompletableFuture();
	}

	@Override
	CompletableFuture<Long> remoteTryCharge(long amount) {
		Instant now = this.clock.instant();
		Instant start = this.window.startOf(now, this.zone);
		Instant end = this.window.nextStartAfter(now, this.zone);
		return eval(TRY_CHARGE, keyOf(start.getEpochSecond()), amount, this.limit, timeToLive(now, end)).thenApply((spent) -> {
			if (spent >= 0) {
				this.lastKnownAvailable = this.limit - spent;
				return 0L;
			}
			this.lastKnownAvailable = this.limit + 1 + spent;
			return Math.max(1, Duration.between(now, end).toNanos());
		});
	}

	@Override
	CompletableFuture<Long> remoteNanosUntilHolds(long amount) {
		Instant now = this.clock.instant();
		Instant end = this.window.nextStartAfter(now, this.zone);
		return remoteAvailable()
			.thenApply((available) -> (available >= amount) ? 0L : Math.max(1, Duration.between(now, end).toNanos()));
	}

	@Override
	CompletableFuture<?> remoteCharge(long amount) {
		Instant now = this.clock.instant();
		return eval(CHARGE, keyOf(this.window.startOf(now, this.zone).getEpochSecond()), amount,
				timeToLive(now, this.window.nextStartAfter(now, this.zone)));
	}

	@Override
	CompletableFuture<?> remoteGiveBack(long amount, long window) {
		if (window != window()) {
			// The window it was taken from is over: nothing to give back to.
			return CompletableFuture.completedFuture(null);
		}
		return eval(GIVE_BACK, keyOf(window), amount);
	}

	@Override
	CompletableFuture<Long> remoteAvailable() {
		String current = keyOf(window());
		return this.scripts.<String>evalAsync(current, RScript.Mode.READ_ONLY, "return redis.call('get', KEYS[1])",
				RScript.ReturnType.VALUE, List.<Object>of(current))
			.toCompletableFuture()
			.thenApply((spent) -> this.limit - ((spent != null) ? Long.parseLong(spent) : 0));
	}

	@Override
	CompletableFuture<Instant> remoteResetsAt() {
		return CompletableFuture.completedFuture(this.window.nextStartAfter(this.clock.instant(), this.zone));
	}

	@Override
	public Instant resetsAt() {
		// Known without asking Redis: the next start of the window.
		return this.window.nextStartAfter(this.clock.instant(), this.zone);
	}

	@Override
	public long window() {
		return this.window.startOf(this.clock.instant(), this.zone).getEpochSecond();
	}

	/**
	 * Until an hour after the window ends, by the engine's clock. A time to live rather than an
	 * instant, so that the key lives as long as its window whatever the clock of the Redis host.
	 */
	private static long timeToLive(Instant now, Instant end) {
		return Math.max(1, Duration.between(now, end).plus(GRACE).toMillis());
	}

}
