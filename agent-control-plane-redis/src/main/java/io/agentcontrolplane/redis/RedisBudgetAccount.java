package io.agentcontrolplane.redis;

import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.agentcontrolplane.quota.Budget;
import io.agentcontrolplane.quota.PermitStore;
import io.agentcontrolplane.quota.PermitStoreUnavailableException;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import org.jspecify.annotations.Nullable;
import org.redisson.api.RedissonClient;

/**
 * The balance of one of an agent's budgets in Redis, shared by every instance: a Bucket4j bucket
 * for a duration window ({@link RedisSmoothBudget}), a spent counter per window for a calendar
 * window ({@link RedisCalendarBudget}). Every key is inside the agent's hash tag, so all of an
 * agent's keys live in one cluster slot.
 * <p>
 * Every call waits for Redis at most the store's command time-out. While the account's key does
 * not answer (its own availability, like the agent's rate bucket) a {@link #tryCharge} is
 * refused with {@link PermitStoreUnavailableException} (fail closed: the engine refuses that
 * agent's call with {@code STORE_UNAVAILABLE}) or taken from the local account the engine would
 * otherwise keep (fail open); Redis is asked again once a probe interval has passed. An
 * overdraft or refund that cannot reach Redis goes to the local account when failing open and is
 * dropped (logged) when failing closed: a settlement never throws. A command that times out may
 * still run later on a frozen server: a share taken then is not given back (it refills, or
 * ends with its window), so a frozen server can only make a budget stricter.
 */
abstract class RedisBudgetAccount implements PermitStore.BudgetAccount {

	private static final System.Logger logger = System.getLogger(RedisBudgetAccount.class.getName());

	final RedisPermitStore store;

	final String agentId;

	final Budget budget;

	final long limit;

	final Clock clock;

	private final PermitStore.BudgetAccount local;

	/** What Redis last answered, for reads while it does not answer (fail closed). */
	volatile long lastKnownAvailable;

	volatile Instant lastKnownResetsAt;

	/** {@code 0} while the key answers; else when to ask Redis again ({@link System#nanoTime()}). */
	private volatile long retryAtNanos;

	private volatile @Nullable Throwable lastFailure;

	RedisBudgetAccount(RedisPermitStore store, String agentId, Budget budget, Clock clock,
			PermitStore.BudgetAccount local) {
		this.store = store;
		this.agentId = agentId;
		this.budget = budget;
		this.limit = budget.limitInBaseUnits();
		this.clock = clock;
		this.local = local;
		this.lastKnownAvailable = this.limit;
		this.lastKnownResetsAt = clock.instant();
	}

	/**
	 * The account of a budget with a limit {@code > 0}.
	 * @param keyBase {@code <prefix>:{<digest>}:budget}, the agent's hash tag included
	 */
	static RedisBudgetAccount create(RedisPermitStore store, RedissonClient redisson, ProxyManager<String> buckets,
			String keyBase, String agentId, Budget budget, Clock clock, ZoneId zone, PermitStore.BudgetAccount local) {
		String key = keyBase + ":" + budget.unit().configName() + ":" + budget.window();
		if (budget.window().isCalendar()) {
			return new RedisCalendarBudget(store, redisson, key, agentId, budget, clock, zone, local);
		}
		return new RedisSmoothBudget(store, buckets, key, agentId, budget, clock, local);
	}

	/** Take the amount in Redis: {@code 0} when taken, else the nanoseconds until it would be. */
	abstract CompletableFuture<Long> remoteTryCharge(long amount);

	abstract CompletableFuture<Long> remoteNanosUntilHolds(long amount);

	abstract CompletableFuture<?> remoteCharge(long amount);

	/** Give back to the window it was taken from; completes with nothing when that is over. */
	abstract CompletableFuture<?> remoteGiveBack(long amount, long window);

	/** Completes with what is left and updates {@link #lastKnownResetsAt}. */
	abstract CompletableFuture<Long> remoteAvailable();

	abstract CompletableFuture<Instant> remoteResetsAt();

	@Override
	public long tryCharge(long amount) {
		Long wait = ask(() -> remoteTryCharge(amount));
		if (wait != null) {
			return wait;
		}
		if (this.store.failOpen()) {
			return this.local.tryCharge(amount);
		}
		throw unavailable();
	}

	@Override
	public long nanosUntilHolds(long amount) {
		Long wait = ask(() -> remoteNanosUntilHolds(amount));
		if (wait != null) {
			return wait;
		}
		if (this.store.failOpen()) {
			return this.local.nanosUntilHolds(amount);
		}
		throw unavailable();
	}

	@Override
	public void charge(long amount) {
		if (ask(() -> remoteCharge(amount).thenApply((ignored) -> Boolean.TRUE)) == null) {
			lost("an overdraft of " + amount, () -> this.local.charge(amount));
		}
	}

	@Override
	public void giveBack(long amount, long window) {
		if (ask(() -> remoteGiveBack(amount, window).thenApply((ignored) -> Boolean.TRUE)) == null) {
			lost("a refund of " + amount, () -> this.local.giveBack(amount, this.local.window()));
		}
	}

	@Override
	public long available() {
		Long available = ask(this::remoteAvailable);
		if (available != null) {
			this.lastKnownAvailable = available;
			return available;
		}
		return this.store.failOpen() ? this.local.available() : this.lastKnownAvailable;
	}

	@Override
	public Instant resetsAt() {
		Instant resetsAt = ask(this::remoteResetsAt);
		if (resetsAt != null) {
			this.lastKnownResetsAt = resetsAt;
			return resetsAt;
		}
		return this.store.failOpen() ? this.local.resetsAt() : this.lastKnownResetsAt;
	}

	/**
	 * Ask Redis, waiting at most the command time-out.
	 * @return the answer, or {@code null} when the key is not asked now (a recent failure) or
	 * did not answer
	 */
	private <T> @Nullable T ask(Supplier<CompletableFuture<T>> command) {
		long retryAt = this.retryAtNanos;
		if (retryAt != 0 && System.nanoTime() - retryAt < 0) {
			return null;
		}
		try {
			T answer = this.store.bounded(command.get()).get();
			if (this.retryAtNanos != 0) {
				this.retryAtNanos = 0;
				logger.log(Level.INFO, "Redis answers again for the " + describeBudget());
			}
			return answer;
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return null;
		}
		catch (ExecutionException ex) {
			failed(ex.getCause());
			return null;
		}
		catch (RuntimeException ex) {
			failed(ex);
			return null;
		}
	}

	private void failed(@Nullable Throwable failure) {
		Throwable cause = RedisPermitStore.unwrap(failure);
		this.lastFailure = cause;
		boolean first = this.retryAtNanos == 0;
		long retryAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(this.store.probeIntervalMillis());
		this.retryAtNanos = (retryAt == 0) ? 1 : retryAt;
		if (first) {
			logger.log(Level.WARNING, "Redis does not answer for the " + describeBudget() + "; it now "
					+ (this.store.failOpen() ? "counts locally" : "fails closed") + ": "
					+ RedisPermitStore.describe(cause));
		}
	}

	private void lost(String what, Runnable fallback) {
		if (this.store.failOpen()) {
			fallback.run();
			return;
		}
		logger.log(Level.WARNING, "Redis did not take " + what + " for the " + describeBudget()
				+ "; it is dropped (fail-closed)");
	}

	private String describeBudget() {
		return this.budget.unit().configName() + " budget per " + this.budget.window() + " of agent '" + this.agentId
				+ "'";
	}

	private PermitStoreUnavailableException unavailable() {
		Throwable cause = this.lastFailure;
		// The cause's class only: its message may name keys and scripts (the cause is attached).
		String message = "Redis is unreachable for this agent's " + this.budget.unit().configName() + " budget ("
				+ ((cause != null) ? cause.getClass().getSimpleName() : "no answer")
				+ "); the permit store fails closed (agent-control-plane.redis.on-unavailable=fail-closed) "
				+ "until Redis answers again";
		return (cause != null) ? new PermitStoreUnavailableException(message, cause)
				: new PermitStoreUnavailableException(message);
	}

}
