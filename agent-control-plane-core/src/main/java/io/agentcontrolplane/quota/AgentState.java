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
 * after the quota was replaced or removed. Every counter changes through a method of this class,
 * so that what may change an agent's numbers can be read in one place.
 */
final class AgentState {

	private final String agentId;

	private final PermitStore.AgentPermits permits;

	private final PermitStore store;

	private final AtomicLongArray rejected = new AtomicLongArray(RejectionReason.values().length);

	/** Whether {@link #permits} count execution slots themselves. */
	private final boolean storeCountsSlots;

	/**
	 * Execution slots held (taken with {@code tryAcquireExecutionSlot}, not yet released), when
	 * the store does not count them ({@code null} when it does). Slots are released by agent id,
	 * so without this count a slot release could free a permit.
	 */
	private final @Nullable AtomicInteger slots;

	/** Total nanoseconds waited by granted calls; only waits {@code > 0} are added. */
	private final LongAdder acquiredWaitNanos = new LongAdder();

	/** Total nanoseconds waited by refused calls; only waits {@code > 0} are added. */
	private final LongAdder rejectedWaitNanos = new LongAdder();

	/** Permits released with a known hold time. */
	private final LongAdder timedReleases = new LongAdder();

	/** Total nanoseconds the timed releases held their permits. */
	private final LongAdder heldNanos = new LongAdder();

	/** The read-only view of these counters, one per state so that identity tells states apart. */
	private final QuotaStatistics statistics = new QuotaStatistics(this);

	/** The grant times of the permits held; only when the engine tracks permit ages. */
	private final @Nullable PermitAges ages;

	/** Serialises the rare life-cycle changes: replace, remove, evict. */
	private final ReentrantLock lifecycle = new ReentrantLock();

	/** {@link #charging} while an eviction decides, and for good once it evicted. */
	private static final int EVICTING = -1;

	/** Charges of the budgets without a permit under way, or {@link #EVICTING}. */
	private final AtomicInteger charging = new AtomicInteger();

	private volatile ResourceQuota quota;

	private volatile @Nullable RateBudget rate;

	/** The token, cost and request budgets, {@code null} while the quota has never had any. */
	private volatile @Nullable BudgetLedger ledger;

	private final BudgetLedgers ledgers;

	private volatile boolean dynamic;

	/** Eviction bookkeeping, guarded by the evictor's lock. */
	private long lastSeenAcquired;

	/** Eviction bookkeeping, guarded by the evictor's lock. */
	private long idleSinceNanos;

	/** Creation order of dynamic agents, to break ties in eviction order. */
	private final long sequence;

	AgentState(ResourceQuota quota, boolean dynamic, long sequence, PermitStore store, TimeMeter timeMeter,
			boolean trackAges, long nowNanos, BudgetLedgers ledgers) {
		this.agentId = quota.agentId();
		this.ledgers = ledgers;
		this.ledger = ledgers.create(quota.agentId(), quota.budgets());
		this.quota = quota;
		this.dynamic = dynamic;
		this.sequence = sequence;
		this.store = store;
		this.permits = store.create(quota.agentId(), quota.maxConcurrentExecutions(), quota.fair());
		this.storeCountsSlots = this.permits.countsSlots();
		this.slots = this.storeCountsSlots ? null : new AtomicInteger();
		this.rate = RateBudget.of(quota, timeMeter, null, store);
		this.ages = trackAges ? new PermitAges(quota.maxConcurrentExecutions()) : null;
		this.idleSinceNanos = nowNanos;
	}

	String agentId() {
		return this.agentId;
	}

	PermitStore.AgentPermits permits() {
		return this.permits;
	}

	ResourceQuota quota() {
		return this.quota;
	}

	@Nullable RateBudget rate() {
		return this.rate;
	}

	/**
	 * The agent's budgets of every unit, {@code null} when its quota never had any.
	 */
	@Nullable BudgetLedger ledger() {
		return this.ledger;
	}

	/**
	 * Tell the listeners what a settled call spent.
	 */
	void reportUsage(Usage usage) {
		this.ledgers.reportUsage(this.agentId, usage);
	}

	@Nullable PermitAges ages() {
		return this.ages;
	}

	QuotaStatistics statistics() {
		return this.statistics;
	}

	boolean isDynamic() {
		return this.dynamic;
	}

	long sequence() {
		return this.sequence;
	}

	void lock() {
		this.lifecycle.lock();
	}

	/**
	 * Mark a charge of the budgets without a permit (which would otherwise not keep the agent
	 * from being evicted under it).
	 * @return {@code false} while an eviction is deciding or after it evicted the agent: look
	 * the agent up again
	 */
	boolean enterCharging() {
		for (;;) {
			int charging = this.charging.get();
			if (charging == EVICTING) {
				return false;
			}
			if (this.charging.compareAndSet(charging, charging + 1)) {
				return true;
			}
		}
	}

	void exitCharging() {
		this.charging.decrementAndGet();
	}

	/**
	 * Start an eviction: from now on no charge without a permit begins, so the budgets it
	 * finds full stay full until {@link #abandonEviction()}.
	 * @return {@code false} when a charge is under way (the agent is not idle)
	 */
	boolean beginEviction() {
		return this.charging.compareAndSet(0, EVICTING);
	}

	/**
	 * Whether an eviction is deciding or has evicted the agent. Read after seeing
	 * {@link #isDynamic()} answer {@code false}, it tells an evicted agent (cleared after its
	 * eviction began) from one that never was dynamic or was given a quota of its own.
	 */
	boolean wasEvicted() {
		return this.charging.get() == EVICTING;
	}

	/** The agent stays: charges may begin again. */
	void abandonEviction() {
		this.charging.set(0);
	}

	/**
	 * Whether every budget of the agent holds its whole limit, so that forgetting the agent
	 * gives nothing away.
	 */
	boolean budgetsFull() {
		RateBudget rate = this.rate;
		BudgetLedger ledger = this.ledger;
		return (rate == null || rate.isFull()) && (ledger == null || ledger.isFull());
	}

	boolean tryLock() {
		return this.lifecycle.tryLock();
	}

	void unlock() {
		this.lifecycle.unlock();
	}

	/**
	 * Stop being dynamic (given a quota of its own, removed or evicted). Called under the
	 * life-cycle lock.
	 * @return whether it was dynamic until now
	 */
	boolean clearDynamic() {
		boolean was = this.dynamic;
		this.dynamic = false;
		return was;
	}

	// --- counters ----------------------------------------------------------------------------

	void countRejection(RejectionReason reason, long waitedNanos) {
		this.rejected.incrementAndGet(reason.ordinal());
		if (waitedNanos > 0) {
			this.rejectedWaitNanos.add(waitedNanos);
		}
	}

	void countWaitBeforeGrant(long waitedNanos) {
		if (waitedNanos > 0) {
			this.acquiredWaitNanos.add(waitedNanos);
		}
	}

	void countHold(long heldNanos) {
		this.heldNanos.add(heldNanos);
		this.timedReleases.increment();
	}

	long rejected(RejectionReason reason) {
		return this.rejected.get(reason.ordinal());
	}

	long acquiredWaitNanos() {
		return this.acquiredWaitNanos.sum();
	}

	long rejectedWaitNanos() {
		return this.rejectedWaitNanos.sum();
	}

	long timedReleases() {
		return this.timedReleases.sum();
	}

	long heldNanos() {
		return this.heldNanos.sum();
	}

	// --- execution slots ---------------------------------------------------------------------

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
		long lease = this.permits.tryTake();
		if (lease >= 0) {
			Objects.requireNonNull(this.slots).incrementAndGet();
		}
		return lease;
	}

	/**
	 * Whether slots taken under this state are still held.
	 */
	boolean holdsSlots() {
		return (this.storeCountsSlots ? this.permits.slotsHeld() : Objects.requireNonNull(this.slots).get()) > 0;
	}

	/**
	 * Give back one execution slot.
	 * @return {@code false} when no slot is held (nothing changes)
	 */
	boolean releaseSlot() {
		if (this.storeCountsSlots) {
			return this.permits.releaseSlot();
		}
		return releaseCountedSlot(Objects.requireNonNull(this.slots));
	}

	private boolean releaseCountedSlot(AtomicInteger slots) {
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

	// --- life cycle --------------------------------------------------------------------------

	/**
	 * Apply a new quota, keeping what is held and what was spent.
	 * @throws IllegalArgumentException when a cost budget has no pricing (nothing changes)
	 */
	void update(ResourceQuota quota, TimeMeter timeMeter) {
		// The budgets first: a refused replacement (a cost budget without pricing) changes nothing.
		BudgetLedger ledger = this.ledger;
		if (ledger != null) {
			// Replaced in place, never re-created: what was spent stays spent.
			ledger.replaceBudgets(quota.budgets());
		}
		else {
			this.ledger = this.ledgers.create(this.agentId, quota.budgets());
		}
		this.rate = RateBudget.of(quota, timeMeter, this.rate, this.store);
		this.quota = quota;
		this.permits.resize(quota.maxConcurrentExecutions(), quota.fair());
	}

	/**
	 * Note what an eviction pass saw, and answer since when the agent has been idle.
	 * @param busy whether something is held, someone waits or a budget is spent
	 * @param nowNanos the time of the pass
	 * @return since when the agent has been idle and unchanged, or {@link Long#MAX_VALUE} when busy
	 */
	long observeIdle(boolean busy, long nowNanos) {
		long acquired = this.permits.acquired();
		if (busy) {
			// Idle time starts again at the first pass that sees it idle.
			this.lastSeenAcquired = acquired;
			this.idleSinceNanos = Long.MAX_VALUE;
		}
		else if (acquired != this.lastSeenAcquired || this.idleSinceNanos == Long.MAX_VALUE) {
			this.lastSeenAcquired = acquired;
			this.idleSinceNanos = nowNanos;
		}
		return this.idleSinceNanos;
	}

	long idleSinceNanos() {
		return this.idleSinceNanos;
	}

}
