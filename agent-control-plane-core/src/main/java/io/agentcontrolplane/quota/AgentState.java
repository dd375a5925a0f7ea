package io.agentcontrolplane.quota;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

import io.github.bucket4j.TimeMeter;
import org.jspecify.annotations.Nullable;

/**
 * Everything a {@link PolicyEngine} knows about one agent. Looked up once per call; permits keep
 * a reference to it so that a release always goes back to the state it was taken from, even
 * after the quota was replaced or removed.
 */
final class AgentState {

	final String agentId;

	final PermitStore.AgentPermits permits;

	private final PermitStore store;

	final AtomicLongArray rejected = new AtomicLongArray(RejectionReason.values().length);

	/** Whether {@link #permits} count execution slots themselves. */
	private final boolean storeCountsSlots;

	/**
	 * Execution slots held (taken with {@code tryAcquireExecutionSlot}, not yet released), when
	 * the store does not count them ({@code null} when it does). Slots are released by agent id,
	 * so without this count a slot release could free a permit.
	 */
	private final @Nullable AtomicInteger slots;

	/** Total nanoseconds waited by granted calls; only waits {@code > 0} are added. */
	final LongAdder acquiredWaitNanos = new LongAdder();

	/** Total nanoseconds waited by refused calls; only waits {@code > 0} are added. */
	final LongAdder rejectedWaitNanos = new LongAdder();

	/** Permits released with a known hold time (granted while the engine had listeners). */
	final LongAdder timedReleases = new LongAdder();

	/** Total nanoseconds the timed releases held their permits. */
	final LongAdder heldNanos = new LongAdder();

	/** The read-only view of these counters, one per state so that identity tells states apart. */
	final QuotaStatistics statistics = new QuotaStatistics(this);

	/** The grant times of the permits held; only when the engine tracks permit ages. */
	final @Nullable PermitAges ages;

	/** Serialises the rare life-cycle changes: replace, remove, evict. */
	final ReentrantLock lifecycle = new ReentrantLock();

	volatile ResourceQuota quota;

	volatile @Nullable RateBudget rate;

	volatile boolean dynamic;

	/** Eviction bookkeeping, guarded by the engine's eviction lock. */
	long lastSeenAcquired;

	/** Eviction bookkeeping, guarded by the engine's eviction lock. */
	long idleSinceMillis;

	/** Creation order of dynamic agents, to break ties in eviction order. */
	volatile long sequence;

	AgentState(ResourceQuota quota, boolean dynamic, PermitStore store, TimeMeter timeMeter, boolean trackAges,
			long nowMillis) {
		this.agentId = quota.agentId();
		this.quota = quota;
		this.dynamic = dynamic;
		this.store = store;
		this.permits = store.create(quota.agentId(), quota.maxConcurrentExecutions(), quota.fair());
		this.storeCountsSlots = this.permits.countsSlots();
		this.slots = this.storeCountsSlots ? null : new AtomicInteger();
		this.rate = RateBudget.of(quota, timeMeter, null, store);
		this.ages = trackAges ? new PermitAges(quota.maxConcurrentExecutions()) : null;
		this.idleSinceMillis = nowMillis;
	}

	/**
	 * Take an execution slot if one is free.
	 * @return a lease {@code >= 0}, {@code NONE} or {@code CLOSED}, as
	 * {@link PermitStore.AgentPermits#tryTake()}
	 * @throws PermitStoreUnavailableException when the store cannot be reached
	 */
	long tryTakeSlot() {
		if (this.storeCountsSlots) {
			return this.permits.tryTakeSlot();
		}
		AtomicInteger slots = Objects.requireNonNull(this.slots);
		long lease = this.permits.tryTake();
		if (lease >= 0) {
			slots.incrementAndGet();
		}
		return lease;
	}

	/**
	 * Give back one execution slot.
	 * @return {@code false} when no slot is held (nothing changes)
	 */
	boolean releaseSlot() {
		if (this.storeCountsSlots) {
			return this.permits.releaseSlot();
		}
		AtomicInteger slots = Objects.requireNonNull(this.slots);
		// Claim one of the slots first: releasing by agent id alone would also free a permit
		// someone holds, and a second caller would run beside its holder.
		for (;;) {
			int held = slots.get();
			if (held <= 0) {
				return false;
			}
			if (slots.compareAndSet(held, held - 1)) {
				break;
			}
		}
		if (!this.permits.release(PermitStore.AgentPermits.ANY_LEASE)) {
			// Cannot happen while every slot holds a permit; if it does, change nothing.
			slots.incrementAndGet();
			return false;
		}
		return true;
	}

	/**
	 * Apply a new quota, keeping what is held and what was spent.
	 */
	void update(ResourceQuota quota, TimeMeter timeMeter) {
		this.rate = RateBudget.of(quota, timeMeter, this.rate, this.store);
		this.quota = quota;
		this.permits.resize(quota.maxConcurrentExecutions(), quota.fair());
	}

}
