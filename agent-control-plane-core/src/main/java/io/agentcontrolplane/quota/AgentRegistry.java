package io.agentcontrolplane.quota;

import java.util.Collection;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;

import org.jspecify.annotations.Nullable;

/**
 * The only owner of the agent id to {@link AgentState} map of an engine: adds, replaces,
 * removes and looks agents up, creates dynamic agents under
 * {@link UnknownAgentPolicy#DEFAULT_QUOTA}, and checks agent ids before anything is kept for
 * them. Life-cycle changes of one agent are serialised by that agent's lock, so that a quota
 * replaced, removed or evicted at the same moment never leaves two states for one id.
 */
final class AgentRegistry {

	private final ConcurrentHashMap<String, AgentState> states = new ConcurrentHashMap<>();

	private final UnknownAgentPolicy unknownAgentPolicy;

	private final @Nullable ResourceQuota template;

	private final PermitStore store;

	private final EngineTime time;

	private final boolean trackPermitAge;

	private final int maxAgentIdLength;

	private final CompositeListener listeners;

	private final IdleAgentEvictor evictor;

	private final AtomicLong dynamicSequence = new AtomicLong();

	private final RetiredSlots retiredSlots = new RetiredSlots();

	private final BudgetLedgers ledgers;

	AgentRegistry(UnknownAgentPolicy unknownAgentPolicy, @Nullable ResourceQuota template, PermitStore store,
			EngineTime time, boolean trackPermitAge, int maxAgentIdLength, CompositeListener listeners,
			long idleTimeoutNanos, int maxDynamicAgents, BudgetLedgers ledgers) {
		this.ledgers = ledgers;
		this.unknownAgentPolicy = unknownAgentPolicy;
		this.template = template;
		this.store = store;
		this.time = time;
		this.trackPermitAge = trackPermitAge;
		this.maxAgentIdLength = maxAgentIdLength;
		this.listeners = listeners;
		this.evictor = new IdleAgentEvictor(this, time, idleTimeoutNanos, maxDynamicAgents);
	}

	IdleAgentEvictor evictor() {
		return this.evictor;
	}

	/**
	 * The agent's state, or {@code null} when it has none (a blank id is never known).
	 */
	@Nullable AgentState get(String agentId) {
		return this.states.get(Objects.requireNonNull(agentId, "agentId"));
	}

	Collection<AgentState> states() {
		return this.states.values();
	}

	Set<String> ids() {
		return this.states.keySet();
	}

	/**
	 * The state of an agent, created first when the policy makes dynamic agents. Checks the id:
	 * {@code null} throws at once, a bad one only when it is not found, which it never is
	 * (every id put in the map was checked), so a known agent costs one map read.
	 * @return the state, or {@code null} when the agent has none and the policy makes none
	 * @throws QuotaExceededException when a dynamic agent would pass the ceiling of dynamic
	 * agents (see {@link IdleAgentEvictor})
	 */
	@Nullable AgentState lookup(String agentId) {
		AgentState state = this.states.get(Objects.requireNonNull(agentId, "agentId"));
		if (state != null) {
			return state;
		}
		checkAgentId(agentId);
		return (this.unknownAgentPolicy == UnknownAgentPolicy.DEFAULT_QUOTA) ? createDynamic(agentId) : null;
	}

	/**
	 * Forget a state whose permits answered {@code CLOSED} (removed or evicted under the
	 * caller), so that the caller's next look-up finds or creates the current one.
	 */
	void forget(String agentId, AgentState state) {
		this.states.remove(agentId, state);
	}

	private AgentState createDynamic(String agentId) {
		ResourceQuota template = Objects.requireNonNull(this.template);
		String refusal = this.evictor.reserve();
		if (refusal != null) {
			// Still known? Another caller may have created it while we waited for the sweep.
			AgentState existing = this.states.get(agentId);
			if (existing != null) {
				return existing;
			}
			this.listeners.onRejected(agentId, RejectionReason.CONCURRENCY_LIMIT, 0);
			throw new QuotaExceededException(agentId, RejectionReason.CONCURRENCY_LIMIT,
					"Agent '" + agentId + "' refused (CONCURRENCY_LIMIT): " + refusal, null);
		}
		long now = this.time.nanos();
		boolean[] created = new boolean[1];
		AgentState state;
		try {
			state = this.states.computeIfAbsent(agentId, (id) -> {
				AgentState fresh = newState(template.toBuilder(id).build(), true, now);
				created[0] = true;
				return fresh;
			});
		}
		finally {
			if (!created[0]) {
				// Another caller created it first (or creating failed): give the room back.
				this.evictor.unreserve();
			}
		}
		if (created[0]) {
			this.listeners.onAgentAdded(agentId);
		}
		return state;
	}

	private AgentState newState(ResourceQuota quota, boolean dynamic, long now) {
		long sequence = dynamic ? this.dynamicSequence.incrementAndGet() : 0;
		return new AgentState(quota, dynamic, sequence, this.store, this.time, this.trackPermitAge, now,
				this.ledgers);
	}

	/**
	 * Add or replace a quota; see {@link PolicyEngine#setQuota}.
	 */
	void set(String agentId, ResourceQuota quota) {
		for (;;) {
			AgentState state = this.states.get(agentId);
			if (state == null) {
				AgentState created = newState(quota, false, this.time.nanos());
				if (this.states.putIfAbsent(agentId, created) == null) {
					this.listeners.onAgentAdded(agentId);
					return;
				}
				continue;
			}
			boolean changed = false;
			state.lock();
			try {
				if (this.states.get(agentId) == state) {
					if (state.clearDynamic()) {
						this.evictor.unreserve();
					}
					state.update(quota, this.time);
					changed = true;
				}
			}
			finally {
				state.unlock();
			}
			if (changed) {
				this.listeners.onQuotaChanged(agentId);
				return;
			}
		}
	}

	/**
	 * Replace a quota with what the function makes of it, atomically against other life-cycle
	 * changes of the agent; see {@link PolicyEngine#updateQuota}.
	 * @return the quota now in force, or {@code null} when the agent has none (nothing changed)
	 */
	@Nullable ResourceQuota update(String agentId, UnaryOperator<ResourceQuota> change) {
		for (;;) {
			AgentState state = this.states.get(agentId);
			if (state == null) {
				return null;
			}
			@Nullable ResourceQuota changed = null;
			state.lock();
			try {
				if (this.states.get(agentId) != state) {
					continue;
				}
				ResourceQuota updated = Objects.requireNonNull(change.apply(state.quota()), "updated quota");
				if (!agentId.equals(updated.agentId())) {
					throw new IllegalArgumentException("updated quota.agentId must equal agentId '" + agentId
							+ "', was '" + updated.agentId() + "'");
				}
				if (state.clearDynamic()) {
					this.evictor.unreserve();
				}
				state.update(updated, this.time);
				changed = updated;
			}
			finally {
				state.unlock();
			}
			if (changed != null) {
				this.listeners.onQuotaChanged(agentId);
				return changed;
			}
		}
	}

	/**
	 * Remove an agent; see {@link PolicyEngine#removeQuota}.
	 */
	void remove(String agentId) {
		AgentState state = this.states.get(agentId);
		if (state == null) {
			return;
		}
		boolean removed = false;
		state.lock();
		try {
			if (this.states.get(agentId) == state) {
				// Retire first: a slot release arriving while the agent goes finds it either here
				// or still in the map, never nowhere.
				this.retiredSlots.retire(agentId, state);
				this.states.remove(agentId, state);
				removed = true;
				if (state.clearDynamic()) {
					this.evictor.unreserve();
				}
			}
		}
		finally {
			state.unlock();
		}
		if (removed) {
			state.permits().close();
			this.retiredSlots.forgetUnlessSlotsOut(agentId, state);
			this.listeners.onAgentRemoved(agentId);
		}
	}

	/**
	 * Give a slot back to a removed state of the agent that still counts one.
	 * @return whether one took it
	 */
	boolean releaseRetiredSlot(String agentId) {
		return this.retiredSlots.release(agentId);
	}

	/**
	 * Evict an idle dynamic agent, unless something changed it meanwhile.
	 * @return whether it was evicted
	 */
	boolean evict(AgentState state) {
		// tryLock: the agent's quota is being replaced or removed right now, so it is not idle;
		// waiting here could deadlock with a setQuota whose waiters' continuations create agents.
		if (!state.tryLock()) {
			return false;
		}
		boolean evicted = false;
		try {
			// Retiring succeeds only while nothing is held and nobody waits; a take racing with
			// it either wins first (and the agent stays) or sees the agent closed and looks it up
			// again, which creates a fresh one.
			// No charge without a permit starts once the eviction began, so budgets found full
			// here stay full: a charge either came first (the agent stays) or waits for the
			// outcome and then goes to the agent that replaces this one.
			if (state.isDynamic() && state.beginEviction()) {
				if (state.budgetsFull() && state.permits().retireIfIdle()) {
					state.clearDynamic();
					this.states.remove(state.agentId(), state);
					evicted = true;
				}
				else {
					state.abandonEviction();
				}
			}
		}
		finally {
			state.unlock();
		}
		if (evicted) {
			// Listeners hear of the removal before its room goes to a new agent, so that the
			// agents they count (and their meters) never exceed what the engine bounds.
			this.listeners.onAgentRemoved(state.agentId());
			this.evictor.unreserve();
		}
		return evicted;
	}

	/**
	 * Refuse a {@code null}, blank or too long agent id with one message at every entry point
	 * that takes, returns or consumes something.
	 */
	String checkAgentId(String agentId) {
		Objects.requireNonNull(agentId, "agentId");
		if (agentId.isBlank()) {
			throw new InvalidAgentIdException("agentId must not be null or blank, was '" + agentId + "'");
		}
		if (agentId.length() > this.maxAgentIdLength) {
			throw new InvalidAgentIdException("agentId must be at most " + this.maxAgentIdLength
					+ " characters (maxAgentIdLength), was " + agentId.length() + " characters starting '"
					+ agentId.substring(0, Math.min(32, agentId.length())) + "...'");
		}
		return agentId;
	}

}
