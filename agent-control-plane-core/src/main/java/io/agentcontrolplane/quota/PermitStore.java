package io.agentcontrolplane.quota;

import java.util.concurrent.CompletableFuture;

/**
 * SPI: where a {@link PolicyEngine} keeps its execution permits. The engine does all of its
 * in-flight accounting through this interface, so that a cluster-wide store (for example Redis
 * leases with pub/sub wake-ups) can replace the in-memory one without touching callers. Choose
 * one with {@link PolicyEngine.Builder#permitStore(PermitStore)}; the default is
 * {@link #inMemory()}.
 *
 * <p>A store creates one {@link AgentPermits} per agent. Everything else (rate budgets, action
 * checks, listeners, rejection counts) stays in the engine.
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
	 * uses {@link #ANY_LEASE}); the engine hands back exactly the lease it was given, or
	 * {@link #ANY_LEASE} for slots released by agent id.
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
		 */
		long tryTake();

		/**
		 * Take a permit, waiting without holding a thread. The future completes with a lease
		 * {@code >= 0}, with {@link #NONE} at once when the limit is {@code 0}, or with
		 * {@link #CLOSED}. To give up, the caller completes the future itself (for example
		 * {@code cancel(false)} or a time-out); a store that loses that race must give the
		 * lease it tried to hand over back to the next waiter, never lose it.
		 * @return the future lease
		 */
		CompletableFuture<Long> take();

		/**
		 * Return a lease that was handed to a caller.
		 * @param lease the lease, or {@link #ANY_LEASE}
		 * @return {@code false} when no such permit is held (nothing changes)
		 */
		boolean release(long lease);

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

}
