package io.agentcontrolplane.quota;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

import org.jspecify.annotations.Nullable;

/**
 * Keeps the dynamic agents ({@link UnknownAgentPolicy#DEFAULT_QUOTA}) of one registry bounded:
 * counts them, makes room for new ones, and evicts the idle ones (nothing in flight, nobody
 * waiting, every rate budget full again) after the idle time-out, or longest-idle first beyond
 * the maximum.
 *
 * <p>The count has two marks above the maximum: past the threshold (max + max/10) a creator
 * sweeps if no sweep runs, so that sweeps are amortised over many creations; at the hard
 * ceiling (2 x max) a creator waits for the running sweep and sweeps itself, so that creators
 * skipping a sweep cannot pile agents up. Both marks are based on what the last sweep could not
 * evict (busy agents), never on the count, which creators push up while a sweep runs.
 */
final class IdleAgentEvictor {

	private final AgentRegistry registry;

	private final EngineTime time;

	private final long idleTimeoutNanos;

	private final int maxDynamicAgents;

	private final ReentrantLock sweeping = new ReentrantLock();

	private final AtomicInteger dynamicAgents = new AtomicInteger();

	private volatile long lastSweepNanos;

	/** Dynamic agents beyond which a creator tries to sweep (skipping when a sweep runs). */
	private volatile int sweepThreshold;

	/** Dynamic agents beyond which a creator waits for the running sweep and sweeps itself. */
	private volatile int hardCeiling;

	IdleAgentEvictor(AgentRegistry registry, EngineTime time, long idleTimeoutNanos, int maxDynamicAgents) {
		this.registry = registry;
		this.time = time;
		this.idleTimeoutNanos = idleTimeoutNanos;
		this.maxDynamicAgents = maxDynamicAgents;
		this.sweepThreshold = thresholdAbove(maxDynamicAgents);
		this.hardCeiling = ceilingAbove(maxDynamicAgents);
		this.lastSweepNanos = time.nanos();
	}

	/**
	 * Count one more dynamic agent before creating it. Below the hard ceiling this is one CAS.
	 * At the ceiling the creator waits for the sweep that runs and sweeps itself. When even a
	 * sweep leaves the ceiling reached (every agent is busy, and a sweep raises the ceiling above
	 * the busy ones) the agent is counted anyway: the bound is soft, never a refusal or a hang.
	 */
	void reserve() {
		for (;;) {
			int count = this.dynamicAgents.get();
			if (count < this.hardCeiling) {
				if (this.dynamicAgents.compareAndSet(count, count + 1)) {
					return;
				}
				continue;
			}
			this.sweeping.lock();
			try {
				if (this.dynamicAgents.get() >= this.hardCeiling) {
					sweep(this.time.nanos(), null);
				}
				if (this.dynamicAgents.get() >= this.hardCeiling) {
					this.dynamicAgents.incrementAndGet();
					return;
				}
			}
			finally {
				this.sweeping.unlock();
			}
		}
	}

	/**
	 * Give back the room of an agent that was reserved but not created, or that stopped being
	 * dynamic (given a quota of its own, or removed).
	 */
	void unreserve() {
		this.dynamicAgents.decrementAndGet();
	}

	/**
	 * Sweep if one is due, skipping when another sweep runs. Called after a creation.
	 * @param spared the agent just created, never evicted by its own creation's sweep (or its
	 * creator could loop for ever beside busy agents with a very short idle time-out)
	 */
	void maybeSweep(@Nullable AgentState spared) {
		int count = this.dynamicAgents.get();
		long now = this.time.nanos();
		if (count > this.sweepThreshold || (count > 0 && now - this.lastSweepNanos >= this.idleTimeoutNanos / 2)) {
			if (this.sweeping.tryLock()) {
				try {
					sweep(now, spared);
				}
				finally {
					this.sweeping.unlock();
				}
			}
		}
	}

	/**
	 * Sweep now, waiting for a sweep that runs.
	 * @return how many agents were evicted
	 */
	int sweepNow() {
		this.sweeping.lock();
		try {
			return sweep(this.time.nanos(), null);
		}
		finally {
			this.sweeping.unlock();
		}
	}

	private static int thresholdAbove(int kept) {
		return (int) Math.min(Integer.MAX_VALUE, kept + (long) kept / 10);
	}

	private static int ceilingAbove(int kept) {
		return (int) Math.min(Integer.MAX_VALUE, 2L * kept);
	}

	private int sweep(long now, @Nullable AgentState spared) {
		this.lastSweepNanos = now;
		int evicted = 0;
		// Dynamic agents this sweep cannot evict: busy ones and the one being created.
		int unevictable = 0;
		List<AgentState> idle = new ArrayList<>();
		for (AgentState state : this.registry.states()) {
			if (!state.isDynamic()) {
				continue;
			}
			if (state == spared) {
				unevictable++;
				continue;
			}
			long idleSince = state.observeIdle(isBusy(state), now);
			if (idleSince == Long.MAX_VALUE) {
				unevictable++;
			}
			else if (now - idleSince >= this.idleTimeoutNanos) {
				if (this.registry.evict(state)) {
					evicted++;
				}
				else {
					unevictable++;
				}
			}
			else {
				idle.add(state);
			}
		}
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
				else {
					unevictable++;
				}
			}
		}
		int kept = Math.max(this.maxDynamicAgents, unevictable);
		this.sweepThreshold = thresholdAbove(kept);
		this.hardCeiling = ceilingAbove(kept);
		return evicted;
	}

	private static boolean isBusy(AgentState state) {
		PermitStore.AgentPermits permits = state.permits();
		RateBudget budget = state.rate();
		return permits.inFlight() > 0 || permits.waiting() > 0 || (budget != null && !budget.isFull());
	}

}
