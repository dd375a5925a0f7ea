package io.agentcontrolplane.quota;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.util.concurrent.CompletableFuture;

import io.github.bucket4j.BucketConfiguration;
import org.jspecify.annotations.Nullable;

/**
 * SPI: where a {@link PolicyEngine} keeps its execution permits. The engine does all of its
 * in-flight accounting through this interface, so that a cluster-wide store (for example Redis
 * leases with pub/sub wake-ups) can replace the in-memory one without touching callers. Choose
 * one with {@link PolicyEngine.Builder#permitStore(PermitStore)}; the default is
 * {@link #inMemory()}.
 *
 * <p>A store creates one {@link AgentPermits} per agent. It may also keep the agent's request
 * budgets ({@link #createRateBucket}) and the balances of its token, cost and request budgets
 * ({@link #createBudgetAccount}), so that they hold across instances; by default both stay in
 * this JVM. Everything else (action checks, listeners, rejection counts, the all-or-nothing
 * arithmetic over an agent's budgets) stays in the engine.
 */
public interface PermitStore {

	/**
	 * The name reported as {@link QuotaSnapshot#store()}, for example {@code memory}.
	 * @return the store name
	 */
	String name();

	/**
	 * Create the permit bookkeeping of one agent.
	 * @param agentId the agent
	 * @param limit the maximum number of permits held at once, {@code >= 0}
	 * @param fair whether waiters are served in arrival order (and newcomers may not barge past
	 * them)
	 * @return the agent's permits
	 */
	AgentPermits create(String agentId, int limit, boolean fair);

	/**
	 * Create the rate budget of one agent where this store keeps its permits, so that
	 * per-minute and per-hour limits hold across instances. The default answers {@code null}:
	 * the engine keeps a Bucket4j bucket in this JVM.
	 * @param agentId the agent
	 * @param configuration the agent's bandwidths (per minute, then per hour, each present only
	 * when limited; every capacity {@code > 0})
	 * @return the agent's bucket, or {@code null} for a local one
	 */
	default @Nullable RateBucket createRateBucket(String agentId, BucketConfiguration configuration) {
		return null;
	}

	/**
	 * Create the balance of one of an agent's budgets ({@link ResourceQuota#budgets()}) where
	 * this store keeps its permits, so that the budget is shared by every instance, overdrafts
	 * and refunds included. The default answers {@code null}: the engine keeps the balance in this
	 * JVM.
	 * <p>The engine keeps the all-or-nothing rule over an agent's budgets itself: it takes each
	 * budget's share in turn and gives back what it took when a later budget refuses. An
	 * account must therefore make each of its own operations atomic, and must key its state by
	 * the agent, the budget's unit and its window (not its limit): a budget replaced by one with
	 * the same unit and window but another limit gets a new account, which must continue the
	 * old one's spending.
	 * @param agentId the agent
	 * @param budget the budget, with a limit {@code > 0}
	 * @param clock the engine's wall clock; calendar windows ({@code day}, {@code week},
	 * {@code month}) start by it
	 * @param zone the zone where calendar windows start
	 * @param local the account the engine keeps in this JVM when this method answers
	 * {@code null}, for a store that counts locally while it is unreachable
	 * @return the account, or {@code null} to keep the budget in this JVM
	 */
	default @Nullable BudgetAccount createBudgetAccount(String agentId, Budget budget, Clock clock, ZoneId zone,
			BudgetAccount local) {
		return null;
	}

	/**
	 * Whether this store answers takes from this JVM's memory, without a round trip to
	 * another process. The engine runs the first take of {@code acquireAsync} and
	 * {@code admitAsync} on the caller's thread only for such a store; for any other store it
	 * runs the whole admission on its hand-off executor, so that the caller gets its future at
	 * once even while the store is slow or unreachable. The default answers {@code false}, the
	 * safe choice for a store that does not say.
	 * @return whether takes never leave this JVM
	 */
	default boolean isLocal() {
		return false;
	}

	/**
	 * The default store: lock-free counters in this JVM's memory.
	 * @return the in-memory store
	 */
	static PermitStore inMemory() {
		return InMemoryPermitStore.INSTANCE;
	}

	/**
	 * The permits of one agent. Implementations must be thread-safe and must never let the
	 * number of permits held exceed the limit in force when they were granted, nor let a release
	 * raise capacity above the limit.
	 *
	 * <p>A lease is an opaque {@code long >= 0} chosen by the store (the in-memory store always
	 * uses {@link #ANY_LEASE}); the engine hands back exactly the lease it was given, or, when
	 * the store does not {@link #countsSlots() count slots}, {@link #ANY_LEASE} for slots released
	 * by agent id.
	 */
	interface AgentPermits {

		/** Lease value meaning "any permit held here" (slots released by agent id). */
		long ANY_LEASE = 0L;

		/** Result of a take: no permit is free. */
		long NONE = -1L;

		/**
		 * Result of a take: these permits were {@link #close() closed} or
		 * {@link #retireIfIdle() retired}; the caller must look the agent up again.
		 */
		long CLOSED = -2L;

		/**
		 * Take a permit if one is free, without waiting. A fair store does not let a caller
		 * barge past waiters.
		 * @return a lease {@code >= 0}, {@link #NONE} or {@link #CLOSED}
		 * @throws PermitStoreUnavailableException when a remote store cannot be reached (nothing
		 * was taken)
		 */
		long tryTake();

		/**
		 * Take a permit, waiting without holding a thread. The future completes with a lease
		 * {@code >= 0}, with {@link #NONE} at once when the limit is {@code 0}, or with
		 * {@link #CLOSED}. To give up, the caller completes the future itself (for example
		 * {@code cancel(false)} or a time-out); a store that loses that race must give the
		 * lease it tried to hand over back to the next waiter, never lose it. A remote store
		 * that cannot be reached fails the future with {@link PermitStoreUnavailableException}.
		 * @return the future lease
		 */
		CompletableFuture<Long> take();

		/**
		 * {@link #take()}, knowing how long the caller will wait: a remote store bounds its own
		 * wait by it, so that nothing keeps waiting for a permit on behalf of a caller that gave
		 * up, and completes the future with {@link #NONE} when that bound ends first (the caller
		 * must treat it as "no permit", like its own time-out). The caller still ends the wait
		 * itself, as for {@link #take()}. The default ignores the hint.
		 * @param maxWaitNanos how long the caller waits at most, {@code > 0}
		 * @return the future lease
		 */
		default CompletableFuture<Long> take(long maxWaitNanos) {
			return take();
		}

		/**
		 * Return a lease that was handed to a caller. Never throws because a remote store is
		 * unreachable (such a store lets the lease expire instead).
		 * @param lease the lease, or {@link #ANY_LEASE}
		 * @return {@code false} when no such permit is held (nothing changes)
		 */
		boolean release(long lease);

		/**
		 * Whether these permits count execution slots themselves ({@link #tryTakeSlot()},
		 * {@link #releaseSlot()}). Slots are given back by agent id, so somebody must count them
		 * to keep a slot release from freeing a permit that a {@link Permit} holds. A store that
		 * answers {@code true} counts them with its permits (the in-memory store keeps both in
		 * one word, so a slot costs one atomic instruction each way); by default the engine
		 * counts them beside the store, at the cost of one more atomic instruction each way.
		 * @return whether {@link #tryTakeSlot()} and {@link #releaseSlot()} are implemented
		 */
		default boolean countsSlots() {
			return false;
		}

		/**
		 * Take an execution slot if one is free, without waiting: a permit that only
		 * {@link #releaseSlot()} gives back. Called only when {@link #countsSlots()}.
		 * @return {@link #ANY_LEASE}, {@link #NONE} or {@link #CLOSED}
		 * @throws PermitStoreUnavailableException when a remote store cannot be reached (nothing
		 * was taken)
		 */
		default long tryTakeSlot() {
			throw new UnsupportedOperationException(getClass().getName() + " does not count slots");
		}

		/**
		 * Give back one slot taken with {@link #tryTakeSlot()}; never a permit taken otherwise.
		 * Called only when {@link #countsSlots()}.
		 * @return {@code false} when no slot is held (nothing changes)
		 */
		default boolean releaseSlot() {
			throw new UnsupportedOperationException(getClass().getName() + " does not count slots");
		}

		/**
		 * Slots taken with {@link #tryTakeSlot()} and not yet given back. Called only when
		 * {@link #countsSlots()}; closed permits still answer it.
		 * @return the number of slots held
		 */
		default int slotsHeld() {
			throw new UnsupportedOperationException(getClass().getName() + " does not count slots");
		}

		/**
		 * Return a lease that was taken but never handed to a caller (for example when the rate
		 * budget refused the call afterwards): it is not counted as {@link #acquired()}.
		 * @param lease the lease
		 */
		void revoke(long lease);

		/**
		 * Change the limit live. Permits held keep counting; a larger limit serves waiters at
		 * once, a smaller one admits nobody until fewer than the new limit are held.
		 * @param limit the new limit, {@code >= 0}
		 * @param fair whether waiters are served in arrival order
		 */
		void resize(int limit, boolean fair);

		/**
		 * The limit in force.
		 * @return the limit
		 */
		int limit();

		/**
		 * Permits held now (may exceed the limit for a while after it was lowered).
		 * @return the number held
		 */
		int inFlight();

		/**
		 * Callers waiting now.
		 * @return the number waiting
		 */
		int waiting();

		/**
		 * Permits granted so far (revoked ones excluded).
		 * @return the total
		 */
		long acquired();

		/**
		 * Close these permits if nothing is held and nobody waits, atomically against
		 * concurrent takes; afterwards every take answers {@link #CLOSED}.
		 * @return whether they were closed by this call
		 */
		boolean retireIfIdle();

		/**
		 * Close these permits for good: waiters are completed with {@link #CLOSED}, later
		 * takes answer {@link #CLOSED}, and releases by holders are still accepted (harmlessly).
		 */
		void close();

	}

	/**
	 * A rate budget kept by a store (see {@link #createRateBucket}). Implementations must be
	 * thread-safe.
	 */
	interface RateBucket {

		/**
		 * Take one request from every bandwidth, or from none.
		 * @return {@code -1} when taken, else the nanoseconds until a retry may succeed
		 * @throws PermitStoreUnavailableException when the store cannot be reached (nothing was
		 * taken)
		 */
		long tryConsume();

		/**
		 * Requests left now, per bandwidth in configuration order. Never throws: a store that
		 * cannot be reached answers what it last knew.
		 * @return the available tokens per bandwidth
		 */
		long[] availableTokens();

		/**
		 * Apply a changed configuration, keeping what was spent (capped at the new capacities).
		 * @param configuration the new bandwidths
		 */
		void replaceConfiguration(BucketConfiguration configuration);

	}

	/**
	 * The balance of one budget (see {@link #createBudgetAccount}): what is left of its limit in
	 * the current window. Implementations must be thread-safe and make each operation atomic.
	 * Amounts are in the budget's base units ({@link Budget#limitInBaseUnits()}); the engine
	 * never passes {@code 0}, and passes no amount above the limit to {@link #tryCharge} and
	 * {@link #nanosUntilHolds}.
	 */
	interface BudgetAccount {

		/**
		 * Take the amount if the budget holds it now, else take nothing.
		 * @param amount the amount, {@code 0 < amount <= limit}
		 * @return {@code 0} when taken, else the nanoseconds until the budget holds it
		 * ({@code > 0})
		 * @throws PermitStoreUnavailableException when the store cannot be reached (nothing was
		 * taken)
		 */
		long tryCharge(long amount);

		/**
		 * How long until the budget holds the amount, taking nothing.
		 * @param amount the amount, {@code 0 < amount <= limit}
		 * @return {@code 0} when it holds it now, else the nanoseconds until it does
		 * ({@code > 0})
		 * @throws PermitStoreUnavailableException when the store cannot be reached
		 */
		long nanosUntilHolds(long amount);

		/**
		 * Take the amount even past zero: an overdraft that later callers wait out. Never throws
		 * because a store is unreachable.
		 * @param amount the amount, {@code > 0}
		 */
		void charge(long amount);

		/**
		 * Give the amount back, never above the limit, and only to the window it was taken
		 * from. Never throws because a store is unreachable.
		 * @param amount the amount, {@code > 0}
		 * @param window the window it was taken in, as {@link #window()} answered then
		 */
		void giveBack(long amount, long window);

		/**
		 * What is left now, negative while overdrawn. Never throws: a store that cannot be
		 * reached answers what it last knew.
		 * @return the balance in base units
		 */
		long available();

		/**
		 * The current window: the epoch second of its start for a calendar window, {@code 0}
		 * for a duration window (which has no separate windows).
		 * @return the window
		 */
		long window();

		/**
		 * When the budget holds its whole limit again. Never throws: a store that cannot be
		 * reached answers what it last knew.
		 * @return now when it is full, else the instant it will be
		 */
		Instant resetsAt();

	}

}
