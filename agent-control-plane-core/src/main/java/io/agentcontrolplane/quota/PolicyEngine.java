package io.agentcontrolplane.quota;

import java.time.Clock;
import java.time.Duration;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.UnaryOperator;

import org.jspecify.annotations.Nullable;

/**
 * Enforces per-agent {@link ResourceQuota quotas}. Thread-safe; every operation on one agent is
 * independent of every other agent.
 *
 * <h2>Concurrency permits</h2> {@link #tryAcquireExecutionSlot}, {@link #tryAcquire},
 * {@link #acquire} and {@link #acquireAsync} take concurrency permits only; they never touch the
 * rate budgets (as in the original, the rate limit ignores in-flight executions).
 * {@link #checkRateLimit} touches the rate budgets only. {@link #admit} and {@link #admitAsync}
 * make the full check of one {@code @BoundedExecution} call. The permits themselves are kept by
 * a {@link PermitStore} (in memory unless another is configured).
 *
 * <h2>Actions</h2> An agent's quota may restrict the actions it takes
 * ({@link ResourceQuota#allowedActions()}): the seven {@link ActionType}s and any other action
 * name such as {@code tool:search}. The {@code ActionType} forms ({@link #admit(String,
 * ActionType, Duration)}, {@link #checkRateLimit(String, ActionType)}) and the named forms
 * ({@link #admitAction(String, String, Duration)}, {@link #admitActionAsync},
 * {@link #tryAdmitAction}, {@link #checkRateLimit(String, String)},
 * {@link #checkAction(String, String)}) check the same set, matched as {@link ActionNames}
 * says. A refused action is counted ({@link RejectionReason#ACTION_NOT_ALLOWED}) and consumes
 * nothing; an agent without a restriction pays nothing for the check.
 *
 * <h2>Budgets</h2> An agent whose quota lists {@link ResourceQuota#budgets() budgets} (tokens,
 * cost, requests, per a duration or a calendar window) reserves an estimate at admission
 * ({@link #admit(String, ActionType, Usage, Duration)}; without an estimate, one request), all
 * or nothing together with the per-minute and per-hour request budgets, right after the
 * concurrency permit. The permit then {@linkplain Permit#settle(Usage) settles} the real usage
 * or {@linkplain Permit#refund() refunds} the estimate. A refusal has reason
 * {@link RejectionReason#BUDGET_EXHAUSTED}, names the budget, and gives back the permit. A quota
 * replaced with {@link #setQuota} or {@link #updateQuota} keeps what its budgets spent. Agents
 * without budgets pay nothing for the feature.
 *
 * <h2>Waiting</h2> Callers that may wait (a {@code maxWait > 0}) queue in arrival order when the
 * quota is {@link ResourceQuota#fair() fair}: a released slot is handed to the first waiter and
 * newcomers never barge past waiters. Waits are measured with the JVM's monotonic timer and never
 * pin a virtual thread. A future of {@link #acquireAsync} or {@link #admitAsync} that had to wait
 * is completed on the {@link Builder#handOffExecutor(Executor) hand-off executor}, never on the
 * thread that released the slot, so a slow continuation holds up neither the releaser nor the
 * other waiters.
 *
 * <h2>Live changes</h2> {@link #setQuota} keeps every permit held: lowering a limit below the
 * number in flight admits nobody until fewer than the new limit are held, raising it serves
 * waiters at once. {@link #removeQuota} forgets the agent: permits still held can be closed
 * harmlessly later (they return to the detached state, never to a new quota of the same id),
 * callers waiting at that moment are refused with {@link RejectionReason#UNKNOWN_AGENT}, and
 * later calls follow the {@link UnknownAgentPolicy}.
 *
 * <h2>Dynamic agents</h2> Under {@link UnknownAgentPolicy#DEFAULT_QUOTA} agents are created on
 * first use from the template and evicted when idle (nothing in flight, nobody waiting, every
 * rate budget full again) for longer than {@link Builder#dynamicAgentIdleTimeout(Duration)}, or
 * longest-idle first beyond {@link Builder#maxDynamicAgents(int)}. Eviction runs on a background
 * daemon thread, never on a caller's path: periodically, as soon as the dynamic agents pass the
 * maximum by a tenth, and whenever {@link #evictIdleAgents()} is called; reads such as
 * {@link #snapshots()} never evict; {@link #close()} stops the periodic sweep. An agent with a
 * spent rate budget is not evicted (it would come back with a fresh one), so the live dynamic
 * agents are capped at twice the maximum: beyond that, a new dynamic agent is refused with
 * {@link RejectionReason#CONCURRENCY_LIMIT} until one is idle. An evicted agent loses its
 * counters; it starts afresh on its next call.
 *
 * <h2>Agent ids</h2> A {@code null} agent id throws {@link NullPointerException} ("agentId")
 * everywhere. A blank one throws {@link IllegalArgumentException} ("agentId must not be null or
 * blank, was ' '"), and one longer than {@link Builder#maxAgentIdLength(int)} throws one
 * naming the limit, wherever something is taken, returned or consumed, whatever the
 * {@link UnknownAgentPolicy}; the read-only look-ups ({@link #getQuota}, {@link #snapshot},
 * {@link #removeQuota}) answer as for any unknown agent.
 */
public final class PolicyEngine implements AutoCloseable {

	/** The default of {@link Builder#maxAgentIdLength(int)}. */
	public static final int DEFAULT_MAX_AGENT_ID_LENGTH = 256;

	private static final RejectionReason[] REASONS = RejectionReason.values();

	private final UnknownAgentPolicy unknownAgentPolicy;

	private final @Nullable ResourceQuota defaultQuota;

	private final EngineTime time;

	private final PermitStore permitStore;

	private final CompositeListener listeners = new CompositeListener();

	private final AgentRegistry registry;

	private final Admission admission;

	/** The forms that answer at once: bare permits, slots, rate and action checks. */
	private final ImmediateAdmission immediate;

	private final Grants grants;

	/**
	 * An engine with {@link UnknownAgentPolicy#ALLOW} and the system clock.
	 */
	public PolicyEngine() {
		this(builder());
	}

	private PolicyEngine(Builder builder) {
		this.unknownAgentPolicy = builder.unknownAgentPolicy;
		ResourceQuota template = builder.defaultQuota;
		if (template == null && builder.unknownAgentPolicy == UnknownAgentPolicy.DEFAULT_QUOTA) {
			template = ResourceQuota.builder("default").build();
		}
		this.defaultQuota = template;
		this.time = (builder.clock != null) ? EngineTime.of(builder.clock) : EngineTime.monotonic();
		this.permitStore = builder.permitStore;
		BudgetLedgers ledgers = new BudgetLedgers(builder.pricing, this.time,
				(builder.clock != null) ? builder.clock : Clock.systemUTC(), builder.budgetZone, this.listeners,
				builder.permitStore);
		if (template != null) {
			ledgers.check(template);
		}
		this.registry = new AgentRegistry(builder.unknownAgentPolicy, template, builder.permitStore, this.time,
				builder.trackPermitAge, builder.maxAgentIdLength, this.listeners,
				Admission.nanos(builder.dynamicAgentIdleTimeout), builder.maxDynamicAgents, ledgers);
		Rejections rejections = new Rejections(this.listeners, builder.unknownAgentPolicy);
		this.grants = new Grants(this.listeners, this.time, builder.measureHoldTimes);
		RateConsumption rate = new RateConsumption(rejections);
		this.admission = new Admission(this.registry, rejections, rate, this.grants, builder.handOffExecutor,
				builder.permitStore.isLocal());
		this.immediate = new ImmediateAdmission(this.registry, rejections, rate, this.grants);
		if (builder.unknownAgentPolicy == UnknownAgentPolicy.DEFAULT_QUOTA) {
			this.registry.evictor().start();
		}
	}

	/**
	 * Start building an engine.
	 * @return a builder
	 */
	public static Builder builder() {
		return new Builder();
	}

	/**
	 * Add or replace the quota of an agent, live. In-flight executions keep counting against
	 * the new limit; no permit is lost or invented. A dynamic agent given a quota this way is no
	 * longer dynamic (never evicted).
	 * @param agentId the agent
	 * @param quota its quota, whose {@code agentId()} must equal {@code agentId}
	 * @throws IllegalArgumentException when the ids differ, or the id is blank or too long
	 */
	public void setQuota(String agentId, ResourceQuota quota) {
		this.registry.checkAgentId(agentId);
		Objects.requireNonNull(quota, "quota");
		if (!agentId.equals(quota.agentId())) {
			throw new IllegalArgumentException(
					"quota.agentId must equal agentId '" + agentId + "', was '" + quota.agentId() + "'");
		}
		this.registry.set(agentId, quota);
	}

	/**
	 * Change the quota of a known agent atomically: the function gets the quota in force and
	 * returns the one to apply, and no other {@link #setQuota}, {@link #removeQuota} or eviction
	 * of the agent can happen in between. Unlike {@link #setQuota}, this never creates an agent:
	 * an agent removed before (or while) it runs stays removed. A dynamic agent changed this way
	 * is no longer dynamic (never evicted).
	 * @param agentId the agent
	 * @param change makes the new quota from the current one; its {@code agentId()} must equal
	 * {@code agentId}; it runs under the agent's life-cycle lock, so it must be quick and must
	 * not call the engine
	 * @return the quota now in force, or empty when the agent has no quota (nothing changed)
	 * @throws IllegalArgumentException when the new quota's id differs (nothing changed)
	 */
	public Optional<ResourceQuota> updateQuota(String agentId, UnaryOperator<ResourceQuota> change) {
		Objects.requireNonNull(agentId, "agentId");
		Objects.requireNonNull(change, "change");
		return Optional.ofNullable(this.registry.update(agentId, change));
	}

	/**
	 * The quota of an agent, if it has one (including dynamic agents created so far).
	 * @param agentId the agent
	 * @return its quota
	 */
	public Optional<ResourceQuota> getQuota(String agentId) {
		AgentState state = this.registry.get(agentId);
		return (state != null) ? Optional.of(state.quota()) : Optional.empty();
	}

	/**
	 * The ids of the agents known now (with a quota set, or dynamic agents created and not yet
	 * evicted), in no particular order. A live view: it reflects later changes and never
	 * changes the engine.
	 * @return the agent ids (unmodifiable)
	 */
	public Set<String> agentIds() {
		return Collections.unmodifiableSet(this.registry.ids());
	}

	/**
	 * Remove an agent's quota. Permits still held may be closed later as a harmless no-op (they
	 * never return to a quota set afterwards for the same id); callers waiting now are refused
	 * with {@link RejectionReason#UNKNOWN_AGENT}; later calls follow the unknown-agent policy.
	 * The agent's counters are forgotten. Does nothing when the agent is unknown.
	 * @param agentId the agent
	 */
	public void removeQuota(String agentId) {
		Objects.requireNonNull(agentId, "agentId");
		this.registry.remove(agentId);
	}

	/**
	 * Take an execution slot if one is free. Never blocks, never waits. For an unknown agent
	 * under {@link UnknownAgentPolicy#ALLOW} this always succeeds without counting anything.
	 * @param agentId the agent
	 * @return whether a slot was taken
	 */
	public boolean tryAcquireExecutionSlot(String agentId) {
		return this.immediate.tryAcquireSlot(agentId);
	}

	/**
	 * Return a slot taken with {@link #tryAcquireExecutionSlot(String)}. Only slots count: a
	 * {@link Permit} held for the same agent is never released this way. Slots taken before the
	 * agent's quota was removed are returned first, to the removed quota, so that they never
	 * count against a quota set since for the same id. For an unknown agent
	 * under {@link UnknownAgentPolicy#ALLOW} this is a no-op.
	 * @param agentId the agent
	 * @throws IllegalStateException when no slot is held (nothing changes)
	 */
	public void releaseExecutionSlot(String agentId) {
		if (this.registry.releaseRetiredSlot(Objects.requireNonNull(agentId, "agentId"))) {
			// A slot taken before the agent's quota was removed: it never counts against a
			// quota set since.
			return;
		}
		AgentState state = this.registry.get(agentId);
		if (state == null) {
			this.registry.checkAgentId(agentId);
			if (this.unknownAgentPolicy == UnknownAgentPolicy.ALLOW) {
				return;
			}
			throw new IllegalStateException("No execution slot of agent '" + agentId + "' is held");
		}
		if (!state.releaseSlot()) {
			throw new IllegalStateException("No execution slot of agent '" + agentId + "' is held (limit "
					+ state.permits().limit() + ")");
		}
		this.grants.slotReleased(state);
	}

	/**
	 * Take a permit if one is free. Never blocks, never waits.
	 * @param agentId the agent
	 * @return the permit, or empty
	 */
	public Optional<Permit> tryAcquire(String agentId) {
		return this.immediate.tryAcquire(agentId);
	}

	/**
	 * Take a permit, waiting up to the quota's {@code maxWait}. If the waiting thread is
	 * interrupted, no permit is taken (one granted in the same instant is given back), the
	 * interrupt flag stays set and a {@link CancellationException} whose cause is the
	 * {@link InterruptedException} is thrown.
	 * @param agentId the agent
	 * @return the permit
	 * @throws QuotaExceededException when none was free in time
	 * @throws CancellationException when interrupted while waiting
	 */
	public Permit acquire(String agentId) {
		return this.admission.admit(agentId, null, null, false, null);
	}

	/**
	 * Take a permit without blocking a thread, waiting up to the quota's {@code maxWait}. The
	 * future fails with {@link QuotaExceededException} when refused. Cancelling it while it
	 * waits removes the waiter; a permit granted in the same instant is given back. A future
	 * that had to wait is completed on the {@link Builder#handOffExecutor(Executor) hand-off
	 * executor}, never on the thread that released the permit.
	 * @param agentId the agent
	 * @return a future of the permit
	 */
	public CompletableFuture<Permit> acquireAsync(String agentId) {
		return this.admission.admitAsync(agentId, null, null, false, null);
	}

	/**
	 * The full admission check for one call, as {@code @BoundedExecution} makes it: action
	 * allowed, then a concurrency permit (waiting up to {@code maxWait}), then one request from
	 * the rate budgets. A refused call consumes nothing: when the rate budget refuses after the
	 * permit was taken, the permit is given back without being counted as acquired. Interrupts
	 * while waiting behave as in {@link #acquire(String)}.
	 * @param agentId the agent
	 * @param action the action type, or {@code null} for no action check
	 * @param maxWait the maximum wait, {@code >= 0}, or {@code null} for the quota's own
	 * @return the permit
	 * @throws QuotaExceededException when refused, with the reason
	 * @throws CancellationException when interrupted while waiting
	 * @throws IllegalArgumentException when {@code maxWait} is negative
	 */
	public Permit admit(String agentId, @Nullable ActionType action, @Nullable Duration maxWait) {
		return this.admission.admit(agentId, nameOf(action), checkMaxWait(maxWait), true, null);
	}

	/**
	 * The full admission check of {@link #admit(String, ActionType, Duration)} for a call that
	 * spends tokens or money: after the concurrency permit, the estimate is reserved from every
	 * budget of the agent's quota ({@link ResourceQuota#budgets()}) and one request from its
	 * per-minute and per-hour budgets, all or nothing. Settle the real usage on the permit
	 * ({@link Permit#settle(Usage)}), or refund the estimate when the call failed before it
	 * reached the provider ({@link Permit#refund()}), then close it; a permit closed without
	 * either keeps the estimate charged. For an agent without budgets this is
	 * {@code admit(agentId, action, maxWait)}.
	 * <p>
	 * A budget that cannot cover the estimate refuses with
	 * {@link RejectionReason#BUDGET_EXHAUSTED}: the exception names the budget's unit, limit and
	 * window ({@link QuotaExceededException#budget()}), and its
	 * {@link QuotaExceededException#retryAfter()} is the exact wait until the budget covers the
	 * estimate (for a calendar window, until the next window starts in the engine's
	 * {@link Builder#budgetZone(ZoneId) budget zone}); it is empty when the estimate is larger
	 * than the whole limit. Nothing is consumed by a refusal: the permit and the request budgets
	 * are given back.
	 * @param agentId the agent
	 * @param action the action type, or {@code null} for no action check
	 * @param estimate what the call is expected to spend, such as
	 * {@code Usage.estimate(inputTokens, maxOutputTokens)}
	 * @param maxWait the maximum wait for a permit, {@code >= 0}, or {@code null} for the quota's
	 * own
	 * @return the permit, holding the reservation
	 * @throws QuotaExceededException when refused, with the reason
	 * @throws CancellationException when interrupted while waiting
	 * @throws IllegalArgumentException when {@code maxWait} is negative, or a cost budget cannot
	 * price the estimate (a model without a price; nothing is consumed)
	 */
	public Permit admit(String agentId, @Nullable ActionType action, Usage estimate, @Nullable Duration maxWait) {
		Objects.requireNonNull(estimate, "estimate");
		return this.admission.admit(agentId, nameOf(action), checkMaxWait(maxWait), true, estimate);
	}

	/**
	 * The asynchronous form of {@link #admit(String, ActionType, Usage, Duration)}: no thread is
	 * blocked while waiting for a permit; the future fails with {@link QuotaExceededException}
	 * when refused (also by a budget), as {@link #admitAsync(String, ActionType, Duration)}.
	 * @param agentId the agent
	 * @param action the action type, or {@code null} for no action check
	 * @param estimate what the call is expected to spend
	 * @param maxWait the maximum wait for a permit, {@code >= 0}, or {@code null} for the quota's
	 * own
	 * @return a future of the permit, holding the reservation
	 * @throws IllegalArgumentException when {@code maxWait} is negative
	 */
	public CompletableFuture<Permit> admitAsync(String agentId, @Nullable ActionType action, Usage estimate,
			@Nullable Duration maxWait) {
		Objects.requireNonNull(estimate, "estimate");
		return this.admission.admitAsync(agentId, nameOf(action), checkMaxWait(maxWait), true, estimate);
	}

	/**
	 * The full admission check of {@link #admit(String, ActionType, Duration)} for a permit that
	 * is free now, for callers that wait on their own terms (such as
	 * {@code BoundedExecutor.gatherForAgent}, whose own tasks hold the agent's permits): no
	 * permit free now is not a refusal, so it answers empty and counts nothing; every other
	 * refusal (unknown agent, action, rate budget) throws and is counted as in {@code admit}.
	 * @param agentId the agent
	 * @param action the action type, or {@code null} for no action check
	 * @return the permit, or empty when none is free now
	 * @throws QuotaExceededException when refused for another reason than a busy permit
	 */
	public Optional<Permit> tryAdmit(String agentId, @Nullable ActionType action) {
		return Optional.ofNullable(this.admission.tryAdmit(agentId, nameOf(action), null));
	}

	/**
	 * The asynchronous form of {@link #admit(String, ActionType, Duration)}: no thread is
	 * blocked while waiting; the future fails with {@link QuotaExceededException} when refused.
	 * Cancelling it while it waits removes the waiter; a permit granted in the same instant is
	 * given back. A future that had to wait is completed on the
	 * {@link Builder#handOffExecutor(Executor) hand-off executor}.
	 * @param agentId the agent
	 * @param action the action type, or {@code null} for no action check
	 * @param maxWait the maximum wait, {@code >= 0}, or {@code null} for the quota's own
	 * @return a future of the permit
	 * @throws IllegalArgumentException when {@code maxWait} is negative
	 */
	public CompletableFuture<Permit> admitAsync(String agentId, @Nullable ActionType action,
			@Nullable Duration maxWait) {
		return this.admission.admitAsync(agentId, nameOf(action), checkMaxWait(maxWait), true, null);
	}

	/**
	 * {@link #admit(String, ActionType, Duration)} for an action given by name, such as
	 * {@code "tool:search"} or {@code "email.send"}: the action is checked against the agent's
	 * {@link ResourceQuota#allowedActions() allowed actions} (matched as {@link ActionNames}
	 * says: exactly and case-sensitively; {@code "api-call"} is {@link ActionType#API_CALL}), then
	 * the permit is taken and the request budgets consumed. A refused action is counted
	 * ({@link RejectionReason#ACTION_NOT_ALLOWED}) and consumes nothing.
	 * <p>
	 * Named {@code admitAction} rather than an overload of {@code admit}, so that
	 * {@code admit(id, null, maxWait)} (no action check) stays unambiguous.
	 * @param agentId the agent
	 * @param action the action name, or {@code null} for no action check
	 * @param maxWait the maximum wait, {@code >= 0}, or {@code null} for the quota's own
	 * @return the permit
	 * @throws QuotaExceededException when refused, with the reason
	 * @throws CancellationException when interrupted while waiting
	 * @throws IllegalArgumentException when {@code maxWait} is negative or the action is not a
	 * valid action name (blank, longer than {@value ActionNames#MAX_LENGTH} characters, control
	 * characters)
	 */
	public Permit admitAction(String agentId, @Nullable String action, @Nullable Duration maxWait) {
		return this.admission.admit(agentId, canonicalOrNull(action), checkMaxWait(maxWait), true, null);
	}

	/**
	 * {@link #admit(String, ActionType, Usage, Duration)} for an action given by name; the action
	 * is checked as in {@link #admitAction(String, String, Duration)}.
	 * @param agentId the agent
	 * @param action the action name, or {@code null} for no action check
	 * @param estimate what the call is expected to spend
	 * @param maxWait the maximum wait for a permit, {@code >= 0}, or {@code null} for the quota's
	 * own
	 * @return the permit, holding the reservation
	 * @throws QuotaExceededException when refused, with the reason
	 * @throws CancellationException when interrupted while waiting
	 * @throws IllegalArgumentException when {@code maxWait} is negative, the action is not a
	 * valid action name, or a cost budget cannot price the estimate
	 */
	public Permit admitAction(String agentId, @Nullable String action, Usage estimate, @Nullable Duration maxWait) {
		Objects.requireNonNull(estimate, "estimate");
		return this.admission.admit(agentId, canonicalOrNull(action), checkMaxWait(maxWait), true, estimate);
	}

	/**
	 * {@link #admitAsync(String, ActionType, Duration)} for an action given by name; the action is
	 * checked as in {@link #admitAction(String, String, Duration)}, and a refused action fails
	 * the future.
	 * @param agentId the agent
	 * @param action the action name, or {@code null} for no action check
	 * @param maxWait the maximum wait, {@code >= 0}, or {@code null} for the quota's own
	 * @return a future of the permit
	 * @throws IllegalArgumentException when {@code maxWait} is negative or the action is not a
	 * valid action name
	 */
	public CompletableFuture<Permit> admitActionAsync(String agentId, @Nullable String action,
			@Nullable Duration maxWait) {
		return this.admission.admitAsync(agentId, canonicalOrNull(action), checkMaxWait(maxWait), true, null);
	}

	/**
	 * {@link #admitAsync(String, ActionType, Usage, Duration)} for an action given by name; the
	 * action is checked as in {@link #admitAction(String, String, Duration)}, and a refused
	 * action fails the future.
	 * @param agentId the agent
	 * @param action the action name, or {@code null} for no action check
	 * @param estimate what the call is expected to spend
	 * @param maxWait the maximum wait for a permit, {@code >= 0}, or {@code null} for the quota's
	 * own
	 * @return a future of the permit, holding the reservation
	 * @throws IllegalArgumentException when {@code maxWait} is negative or the action is not a
	 * valid action name
	 */
	public CompletableFuture<Permit> admitActionAsync(String agentId, @Nullable String action, Usage estimate,
			@Nullable Duration maxWait) {
		Objects.requireNonNull(estimate, "estimate");
		return this.admission.admitAsync(agentId, canonicalOrNull(action), checkMaxWait(maxWait), true, estimate);
	}

	/**
	 * {@link #tryAdmit(String, ActionType)} for an action given by name; the action is checked as
	 * in {@link #admitAction(String, String, Duration)}.
	 * @param agentId the agent
	 * @param action the action name, or {@code null} for no action check
	 * @return the permit, or empty when none is free now
	 * @throws QuotaExceededException when refused for another reason than a busy permit
	 * @throws IllegalArgumentException when the action is not a valid action name
	 */
	public Optional<Permit> tryAdmitAction(String agentId, @Nullable String action) {
		return Optional.ofNullable(this.admission.tryAdmit(agentId, canonicalOrNull(action), null));
	}

	/**
	 * Check an action against the agent's {@link ResourceQuota#allowedActions() allowed actions}
	 * without taking or consuming anything: for a step inside a call that was admitted already,
	 * such as one tool call of a model conversation. A refusal is counted like any other
	 * ({@link QuotaSnapshot#rejected()}, listeners, metrics). An unknown agent follows the
	 * {@link UnknownAgentPolicy}: allowed under {@code ALLOW}, refused
	 * ({@link RejectionReason#UNKNOWN_AGENT}) under {@code REJECT}, checked against its new quota
	 * under {@code DEFAULT_QUOTA}.
	 * @param agentId the agent
	 * @param action the action name, matched as {@link ActionNames} says
	 * @throws QuotaExceededException with reason {@link RejectionReason#ACTION_NOT_ALLOWED} when
	 * the agent may not take the action
	 * @throws IllegalArgumentException when the action is not a valid action name
	 */
	public void checkAction(String agentId, String action) {
		Objects.requireNonNull(action, "action");
		this.immediate.checkAction(agentId, ActionNames.canonical("action", action));
	}

	/** An action name checked and in its canonical form, as the admission compares it. */
	private static @Nullable String canonicalOrNull(@Nullable String action) {
		return (action != null) ? ActionNames.canonical("action", action) : null;
	}

	private static @Nullable String nameOf(@Nullable ActionType action) {
		return (action != null) ? action.actionName() : null;
	}

	/**
	 * Consume one request from the agent's per-minute and per-hour budgets. Does not touch the
	 * concurrency permits. For an unknown agent under {@link UnknownAgentPolicy#ALLOW} this is
	 * always {@code true}; under {@link UnknownAgentPolicy#REJECT} always {@code false}.
	 * @param agentId the agent
	 * @return {@code true} when allowed (one request consumed), {@code false} otherwise (nothing
	 * consumed)
	 */
	public boolean checkRateLimit(String agentId) {
		return this.immediate.checkRateLimit(agentId, null);
	}

	/**
	 * Check the action type, then consume one request from the agent's budgets. A disallowed
	 * action returns {@code false} and consumes nothing.
	 * @param agentId the agent
	 * @param action the action type
	 * @return {@code true} when allowed (one request consumed), {@code false} otherwise (nothing
	 * consumed)
	 */
	public boolean checkRateLimit(String agentId, ActionType action) {
		return this.immediate.checkRateLimit(agentId, Objects.requireNonNull(action, "action"));
	}

	/**
	 * Check an action given by name, then consume one request from the agent's budgets, as
	 * {@link #checkRateLimit(String, ActionType)} does for an {@link ActionType}. A disallowed
	 * action returns {@code false}, is counted as a refusal and consumes nothing.
	 * @param agentId the agent
	 * @param action the action name, matched as {@link ActionNames} says ({@code "api-call"} is
	 * {@link ActionType#API_CALL})
	 * @return {@code true} when allowed (one request consumed), {@code false} otherwise (nothing
	 * consumed)
	 * @throws IllegalArgumentException when the action is not a valid action name
	 */
	public boolean checkRateLimit(String agentId, String action) {
		String canonical = ActionNames.canonical("action", Objects.requireNonNull(action, "action"));
		try {
			this.immediate.checkAction(agentId, canonical);
		}
		catch (QuotaExceededException ex) {
			return false;
		}
		return this.immediate.checkRateLimit(agentId, null);
	}

	/**
	 * The live counters of one agent, for metrics that poll rather than listen: totals of grants,
	 * refusals by reason, time waited and time held (see {@link QuotaStatistics}). The same view
	 * is returned for as long as the agent stays known; it reads the engine's state at every
	 * call and allocates nothing.
	 * @param agentId the agent
	 * @return its statistics, empty when the agent is unknown (a blank id is never known)
	 */
	public Optional<QuotaStatistics> statistics(String agentId) {
		AgentState state = this.registry.get(agentId);
		return (state != null) ? Optional.of(state.statistics()) : Optional.empty();
	}

	/**
	 * A snapshot of one agent.
	 * @param agentId the agent
	 * @return its snapshot, empty when the agent is unknown (a blank id is never known)
	 */
	public Optional<QuotaSnapshot> snapshot(String agentId) {
		AgentState state = this.registry.get(agentId);
		return (state != null) ? Optional.of(snapshotOf(state)) : Optional.empty();
	}

	/**
	 * Snapshots of every known agent, by agent id, in id order. A read: it never evicts or
	 * otherwise changes anything.
	 * @return the snapshots
	 */
	public Map<String, QuotaSnapshot> snapshots() {
		TreeMap<String, QuotaSnapshot> sorted = new TreeMap<>();
		for (AgentState state : this.registry.states()) {
			sorted.put(state.agentId(), snapshotOf(state));
		}
		return Collections.unmodifiableMap(new LinkedHashMap<>(sorted));
	}

	private QuotaSnapshot snapshotOf(AgentState state) {
		ResourceQuota quota = state.quota();
		// The counters come from the statistics view, so snapshots and polling metrics agree.
		QuotaStatistics statistics = state.statistics();
		int limit = statistics.maxConcurrentExecutions();
		int inFlight = statistics.inFlight();
		EnumMap<RejectionReason, Long> byReason = new EnumMap<>(RejectionReason.class);
		long rejected = 0;
		for (RejectionReason reason : REASONS) {
			long count = statistics.rejected(reason);
			byReason.put(reason, count);
			rejected += count;
		}
		RateBudget budget = state.rate();
		BudgetLedger ledger = state.ledger();
		List<BudgetStatus> budgets = (ledger != null) ? List.copyOf(ledger.statuses()) : List.of();
		return new QuotaSnapshot(state.agentId(), limit, inFlight, QuotaStatistics.available(limit, inFlight),
				statistics.waiting(), statistics.acquired(), rejected, Collections.unmodifiableMap(byReason),
				quota.maxWait(), quota.fair(), boxed(quota.maxRequestsPerMinute().orElse(-1)),
				(budget != null) ? budget.availablePerMinute() : null, boxed(quota.maxRequestsPerHour().orElse(-1)),
				(budget != null) ? budget.availablePerHour() : null, quota.maxExecutionTime().orElse(null),
				quota.allowedActionTypes(), oldestPermitAge(state), state.isDynamic(), this.permitStore.name(),
				budgets, quota.allowedActions());
	}

	private static @Nullable Integer boxed(int value) {
		return (value < 0) ? null : value;
	}

	private @Nullable Duration oldestPermitAge(AgentState state) {
		PermitAges ages = state.ages();
		long oldest = (ages != null) ? ages.oldest() : PermitAges.EMPTY;
		if (oldest == PermitAges.EMPTY) {
			return null;
		}
		return Duration.ofNanos(Math.max(0, this.time.nanos() - oldest));
	}

	/**
	 * Evict dynamic agents ({@link UnknownAgentPolicy#DEFAULT_QUOTA}) that have been idle for
	 * longer than the idle time-out, and beyond the maximum number of dynamic agents the
	 * longest-idle ones. An agent is idle when nothing is in flight, nobody waits and its rate
	 * budgets are full again; idle time is measured on the engine's time from the first
	 * eviction pass that saw the agent idle and unchanged. Agents with work in flight are never
	 * evicted, so the maximum is a soft bound. Evicted agents lose their counters and are
	 * reported to {@link QuotaListener#onAgentRemoved(String)}. Safe to call at any time, for
	 * example from a scheduler.
	 * @return how many agents were evicted
	 */
	public int evictIdleAgents() {
		return this.registry.evictor().sweepNow();
	}

	/**
	 * Register a listener. Listeners are called on the thread doing the work; exceptions they
	 * throw are caught and ignored.
	 * @param listener the listener
	 */
	public void addListener(QuotaListener listener) {
		this.listeners.add(listener);
	}

	/**
	 * Unregister a listener. Does nothing when it is not registered.
	 * @param listener the listener
	 */
	public void removeListener(QuotaListener listener) {
		this.listeners.remove(listener);
	}

	/**
	 * The policy for agents without a quota.
	 * @return the policy
	 */
	public UnknownAgentPolicy unknownAgentPolicy() {
		return this.unknownAgentPolicy;
	}

	/**
	 * The template for dynamic quotas, if any. Under {@link UnknownAgentPolicy#DEFAULT_QUOTA}
	 * without a configured template this is a quota with the {@link ResourceQuota} defaults.
	 * @return the default quota
	 */
	public Optional<ResourceQuota> defaultQuota() {
		return Optional.ofNullable(this.defaultQuota);
	}

	/**
	 * The name of the permit store in use, as reported in {@link QuotaSnapshot#store()}.
	 * @return the store name
	 */
	public String permitStoreName() {
		return this.permitStore.name();
	}

	/**
	 * Stop the engine's background work: the periodic eviction of idle dynamic agents (the
	 * Spring bean's destroy calls this). The engine keeps working; dynamic agents are then
	 * evicted only when they pass the threshold or reach the ceiling, and by
	 * {@link #evictIdleAgents()}. Idempotent.
	 */
	@Override
	public void close() {
		this.registry.evictor().stop();
	}

	private static @Nullable Duration checkMaxWait(@Nullable Duration maxWait) {
		if (maxWait != null && maxWait.isNegative()) {
			throw new IllegalArgumentException("maxWait must be >= 0, was " + maxWait);
		}
		return maxWait;
	}

	/**
	 * Builds a {@link PolicyEngine}.
	 */
	public static final class Builder {

		private UnknownAgentPolicy unknownAgentPolicy = UnknownAgentPolicy.ALLOW;

		private @Nullable ResourceQuota defaultQuota;

		private Duration dynamicAgentIdleTimeout = Duration.ofMinutes(10);

		private int maxDynamicAgents = 10_000;

		private @Nullable Clock clock;

		private PermitStore permitStore = PermitStore.inMemory();

		private boolean trackPermitAge;

		private boolean measureHoldTimes;

		private int maxAgentIdLength = DEFAULT_MAX_AGENT_ID_LENGTH;

		private Executor handOffExecutor = HandOff.defaultExecutor();

		private @Nullable Pricing pricing;

		private ZoneId budgetZone = ZoneOffset.UTC;

		private Builder() {
		}

		/**
		 * The policy for agents without a quota (default {@link UnknownAgentPolicy#ALLOW}).
		 * @param policy the policy
		 * @return this builder
		 */
		public Builder unknownAgentPolicy(UnknownAgentPolicy policy) {
			this.unknownAgentPolicy = Objects.requireNonNull(policy, "unknownAgentPolicy");
			return this;
		}

		/**
		 * The template for {@link UnknownAgentPolicy#DEFAULT_QUOTA}; its agent id is ignored.
		 * Without one, dynamic agents get the {@link ResourceQuota} defaults.
		 * @param quota the template
		 * @return this builder
		 */
		public Builder defaultQuota(ResourceQuota quota) {
			this.defaultQuota = Objects.requireNonNull(quota, "defaultQuota");
			return this;
		}

		/**
		 * How long a dynamic agent may stay idle (nothing in flight, nobody waiting) before it is
		 * evicted (default 10 minutes).
		 * @param idleTimeout the idle time-out, {@code > 0}
		 * @return this builder
		 */
		public Builder dynamicAgentIdleTimeout(Duration idleTimeout) {
			if (idleTimeout == null) {
				throw new IllegalArgumentException("dynamicAgentIdleTimeout must not be null");
			}
			if (idleTimeout.isNegative() || idleTimeout.isZero()) {
				throw new IllegalArgumentException("dynamicAgentIdleTimeout must be > 0, was " + idleTimeout);
			}
			this.dynamicAgentIdleTimeout = idleTimeout;
			return this;
		}

		/**
		 * The maximum number of dynamic agents kept at once (default 10,000); beyond it the
		 * longest-idle dynamic agents are evicted first, on a background thread, once the dynamic
		 * agents exceed it by a tenth (so that sweeps are amortised). Busy agents and agents with
		 * a spent rate budget are never evicted, so the maximum can be passed, up to a hard
		 * ceiling of twice the maximum: a caller creating an agent there waits (up to 10 seconds)
		 * for a background sweep, and is refused with {@link RejectionReason#CONCURRENCY_LIMIT} when the
		 * sweep made no room.
		 * @param maxDynamicAgents the maximum, {@code > 0}
		 * @return this builder
		 */
		public Builder maxDynamicAgents(int maxDynamicAgents) {
			if (maxDynamicAgents <= 0) {
				throw new IllegalArgumentException("maxDynamicAgents must be > 0, was " + maxDynamicAgents);
			}
			this.maxDynamicAgents = maxDynamicAgents;
			return this;
		}

		/**
		 * A clock to run rate budgets, permit ages and dynamic-agent idle times on, for tests
		 * that move time by hand. Without one (the default) they run on the JVM's monotonic
		 * timer, which a wall-clock step cannot move. Even with a clock, time never runs
		 * backwards for the engine: a step back counts as no time at all, so a budget neither
		 * refills nor freezes for the length of the step. Waiting always uses the monotonic
		 * timer.
		 * @param clock the clock
		 * @return this builder
		 */
		public Builder clock(Clock clock) {
			this.clock = Objects.requireNonNull(clock, "clock");
			return this;
		}

		/**
		 * Where permits are kept (default {@link PermitStore#inMemory()}).
		 * @param permitStore the permit store
		 * @return this builder
		 */
		public Builder permitStore(PermitStore permitStore) {
			this.permitStore = Objects.requireNonNull(permitStore, "permitStore");
			return this;
		}

		/**
		 * Whether to record when each {@link Permit} was taken, so that snapshots report
		 * {@link QuotaSnapshot#oldestPermitAge()} (default {@code false}: it costs a CAS and a
		 * write per permit, and a clock read when the engine has no listener to read one for).
		 * Slots taken with
		 * {@link PolicyEngine#tryAcquireExecutionSlot(String)} have no identity and are not
		 * aged.
		 * @param trackPermitAge whether to track permit ages
		 * @return this builder
		 */
		public Builder trackPermitAge(boolean trackPermitAge) {
			this.trackPermitAge = trackPermitAge;
			return this;
		}

		/**
		 * Whether to measure how long each {@link Permit} is held (default {@code false}): a
		 * timer read at grant and at release, reported to {@link QuotaListener#onReleased} and
		 * in {@link QuotaStatistics#heldNanos()}. The metrics auto-configuration turns it on.
		 * Without it, releases report a hold time of {@code -1}.
		 * @param measureHoldTimes whether to measure hold times
		 * @return this builder
		 */
		public Builder measureHoldTimes(boolean measureHoldTimes) {
			this.measureHoldTimes = measureHoldTimes;
			return this;
		}

		/**
		 * The longest agent id accepted, in characters (default
		 * {@value PolicyEngine#DEFAULT_MAX_AGENT_ID_LENGTH}). Longer ids are refused with an
		 * {@link IllegalArgumentException} that names the limit wherever something would be
		 * kept for them (a quota, a dynamic agent), so that ids taken from requests cannot
		 * blow up memory or metrics.
		 * @param maxAgentIdLength the maximum, {@code > 0}
		 * @return this builder
		 */
		public Builder maxAgentIdLength(int maxAgentIdLength) {
			if (maxAgentIdLength <= 0) {
				throw new IllegalArgumentException("maxAgentIdLength must be > 0, was " + maxAgentIdLength);
			}
			this.maxAgentIdLength = maxAgentIdLength;
			return this;
		}

		/**
		 * Where the futures of {@link PolicyEngine#acquireAsync} and
		 * {@link PolicyEngine#admitAsync} that had to wait are completed, and so where the
		 * caller's dependent stages run. The default runs each hand-off on a new virtual thread
		 * on Java 21+, else on a shared, unbounded pool of daemon threads: a continuation that
		 * blocks then holds up nobody else. The thread releasing a permit only hands the lease
		 * to the waiter; it never runs the waiter's code. An executor that rejects a hand-off
		 * makes it run on the releasing thread instead, late but never lost.
		 * @param handOffExecutor the executor
		 * @return this builder
		 */
		public Builder handOffExecutor(Executor handOffExecutor) {
			this.handOffExecutor = Objects.requireNonNull(handOffExecutor, "handOffExecutor");
			return this;
		}

		/**
		 * The prices that {@link BudgetUnit#COST cost} budgets charge calls at. Without pricing
		 * (the default) a quota with a cost budget is refused when it is set.
		 * @param pricing the prices per million tokens
		 * @return this builder
		 */
		public Builder pricing(Pricing pricing) {
			this.pricing = Objects.requireNonNull(pricing, "pricing");
			return this;
		}

		/**
		 * Where the calendar windows of budgets ({@code day}, {@code week}, {@code month}) begin:
		 * midnight, Monday midnight and midnight of the first in this zone (default UTC).
		 * @param budgetZone the zone
		 * @return this builder
		 */
		public Builder budgetZone(ZoneId budgetZone) {
			this.budgetZone = Objects.requireNonNull(budgetZone, "budgetZone");
			return this;
		}

		/**
		 * Build the engine.
		 * @return the engine
		 */
		public PolicyEngine build() {
			return new PolicyEngine(this);
		}

	}

}
