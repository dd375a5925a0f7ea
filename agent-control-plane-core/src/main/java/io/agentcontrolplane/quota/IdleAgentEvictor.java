package io.agentcontrolplane.quota;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantLock;

import org.jspecify.annotations.Nullable;

/**
 * Keeps the dynamic agents ({@link UnknownAgentPolicy#DEFAULT_QUOTA}) of one registry bounded,
 * off the callers' path: sweeps run on a background thread, periodically (every half idle
 * time-out, at least every minute and at most every 10 ms) and as soon as the dynamic agents
 * pass the threshold (the maximum plus a tenth). A sweep evicts the agents idle for longer than
 * the idle time-out, then longest-idle first down to the maximum. An agent is idle when nothing
 * is in flight, nobody waits and every rate budget is full again: an agent with a spent budget
 * is never evicted, so that it can never come back with a fresh one.
 *
 * <p>The hard ceiling is twice the maximum. A creator that finds it reached asks for a sweep
 * and waits for it (up to 10 seconds, going on while sweeps make room); if a sweep could not
 * make room (every agent is busy or
 * has a spent budget), the new agent is refused with {@link RejectionReason#CONCURRENCY_LIMIT}
 * and a message naming the ceiling. So the live dynamic agents never exceed the ceiling,
 * whatever the template and however many threads create agents.
 *
 * <p>All engines share one daemon thread for their sweeps; an engine's periodic sweep ends
 * with {@link #stop()} (or when the engine is garbage collected: the thread holds it weakly).
 */
final class IdleAgentEvictor {

	private static final long MIN_PERIOD_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

	private static final long MAX_PERIOD_NANOS = TimeUnit.MINUTES.toNanos(1);

	/** How long a creator at the ceiling waits for the sweep it asked for. */
	private static final long CEILING_WAIT_NANOS = TimeUnit.SECONDS.toNanos(10);

	private final AgentRegistry registry;

	private final EngineTime time;

	private final long idleTimeoutNanos;

	private final int maxDynamicAgents;

	private final int sweepThreshold;

	private final int hardCeiling;

	private final ReentrantLock sweeping = new ReentrantLock();

	private final AtomicInteger dynamicAgents = new AtomicInteger();

	/** The sweep asked for and not started yet, so that requests coalesce into one. */
	private final AtomicReference<@Nullable CompletableFuture<Integer>> pending = new AtomicReference<>();

	private volatile boolean stopped;

	/**
	 * Whether the last sweep found no dynamic agent it could evict (all busy or with a spent
	 * budget): only then is a creator at the ceiling refused.
	 */
	private volatile boolean nothingEvictable;

	/** The period of the sweep, on {@link System#nanoTime()}; set by {@link #start()}. */
	private long periodNanos;

	/** When the next periodic sweep is due; read and written by the sweeper thread only. */
	private long nextSweepNanos;

	IdleAgentEvictor(AgentRegistry registry, EngineTime time, long idleTimeoutNanos, int maxDynamicAgents) {
		this.registry = registry;
		this.time = time;
		this.idleTimeoutNanos = idleTimeoutNanos;
		this.maxDynamicAgents = maxDynamicAgents;
		this.sweepThreshold = (int) Math.min(Integer.MAX_VALUE, maxDynamicAgents + (long) maxDynamicAgents / 10);
		this.hardCeiling = (int) Math.min(Integer.MAX_VALUE, 2L * maxDynamicAgents);
	}

	/**
	 * Start the periodic sweep. Called once, when the engine makes dynamic agents.
	 */
	void start() {
		this.periodNanos = Math.max(MIN_PERIOD_NANOS, Math.min(MAX_PERIOD_NANOS, this.idleTimeoutNanos / 2));
		this.nextSweepNanos = System.nanoTime() + this.periodNanos;
		EvictionSweeper.register(this);
	}

	/**
	 * Stop the periodic sweep; agents are then evicted only at the threshold, the ceiling and
	 * on explicit request.
	 */
	void stop() {
		this.stopped = true;
	}

	/**
	 * One tick of the shared sweeper: sweep when the period is up.
	 * @return whether to keep this evictor on the sweeper's list
	 */
	boolean tick(long now) {
		if (this.stopped) {
			return false;
		}
		if (now - this.nextSweepNanos >= 0) {
			this.nextSweepNanos = now + this.periodNanos;
			sweepNow();
		}
		return true;
	}

	/**
	 * Count one more dynamic agent before creating it. Below the ceiling this is one CAS (and,
	 * past the threshold, a request for a background sweep).
	 * @return {@code null} when counted, else the refusal of the new agent
	 */
	@Nullable String reserve() {
		int fruitless = 0;
		for (;;) {
			int count = this.dynamicAgents.get();
			if (count < this.hardCeiling) {
				if (this.dynamicAgents.compareAndSet(count, count + 1)) {
					if (count + 1 > this.sweepThreshold) {
						requestSweep();
					}
					return null;
				}
				continue;
			}
			// At the ceiling: wait for a sweep; go on while sweeps make room (other creators may
			// take it first). Refuse only when two sweeps in a row made no room and the last one
			// found nothing it could evict.
			int evicted = waitFor(requestSweep());
			fruitless = (evicted == 0) ? fruitless + 1 : 0;
			if (fruitless >= 2 && this.nothingEvictable && this.dynamicAgents.get() >= this.hardCeiling) {
				return this.hardCeiling + " dynamic agents are live (twice maxDynamicAgents=" + this.maxDynamicAgents
						+ ") and none of them is idle with a full rate budget, so no new dynamic agent is created"
						+ " until one is";
			}
		}
	}

	/**
	 * Wait for a sweep, with a bound.
	 * @return how many agents it evicted, {@code 0} when it did not end in time
	 */
	private static int waitFor(CompletableFuture<Integer> sweep) {
		try {
			return sweep.get(CEILING_WAIT_NANOS, TimeUnit.NANOSECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			return 0;
		}
		catch (TimeoutException | ExecutionException ex) {
			return 0;
		}
	}

	/**
	 * Give back the room of an agent that was reserved but not created, or that stopped being
	 * dynamic (given a quota of its own, removed or evicted).
	 */
	void unreserve() {
		this.dynamicAgents.decrementAndGet();
	}

	/**
	 * Ask the background thread for a sweep, joining one asked for and not started yet.
	 * @return the sweep, completed with the number of agents it evicted
	 */
	CompletableFuture<Integer> requestSweep() {
		for (;;) {
			CompletableFuture<Integer> sweep = this.pending.get();
			if (sweep != null) {
				return sweep;
			}
			CompletableFuture<Integer> fresh = new CompletableFuture<>();
			if (this.pending.compareAndSet(null, fresh)) {
				try {
					EvictionSweeper.execute(() -> {
						this.pending.compareAndSet(fresh, null);
						try {
							fresh.complete(sweepNow());
						}
						catch (Throwable ex) {
							fresh.completeExceptionally(ex);
						}
					});
				}
				catch (RuntimeException ex) {
					this.pending.compareAndSet(fresh, null);
					fresh.completeExceptionally(ex);
				}
				return fresh;
			}
		}
	}

	/**
	 * Sweep now on the calling thread, waiting for a sweep that runs.
	 * @return how many agents were evicted
	 */
	int sweepNow() {
		this.sweeping.lock();
		try {
			return sweep(this.time.nanos());
		}
		finally {
			this.sweeping.unlock();
		}
	}

	private int sweep(long now) {
		int evicted = 0;
		List<AgentState> idle = new ArrayList<>();
		for (AgentState state : this.registry.states()) {
			if (!state.isDynamic()) {
				continue;
			}
			long idleSince = state.observeIdle(isBusy(state), now);
			if (idleSince == Long.MAX_VALUE) {
				continue;
			}
			if (now - idleSince >= this.idleTimeoutNanos) {
				if (this.registry.evict(state)) {
					evicted++;
				}
			}
			else {
				idle.add(state);
			}
		}
		this.nothingEvictable = evicted == 0 && idle.isEmpty();
		if (this.dynamicAgents.get() > this.maxDynamicAgents) {
			// Ties (a clock that did not move) go to the agent created first, never to the newest.
			idle.sort(Comparator.comparingLong(AgentState::idleSinceNanos).thenComparingLong(AgentState::sequence));
			for (AgentState state : idle) {
				if (this.dynamicAgents.get() <= this.maxDynamicAgents) {
					break;
				}
				if (this.registry.evict(state)) {
					evicted++;
				}
			}
		}
		return evicted;
	}

	private static boolean isBusy(AgentState state) {
		PermitStore.AgentPermits permits = state.permits();
		return permits.inFlight() > 0 || permits.waiting() > 0 || !state.budgetsFull();
	}

}
