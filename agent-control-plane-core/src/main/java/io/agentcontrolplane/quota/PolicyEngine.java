package io.agentcontrolplane.quota;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;

import io.github.bucket4j.TimeMeter;
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
 * <h2>Waiting</h2> Callers that may wait (a {@code maxWait > 0}) queue in arrival order when the
 * quota is {@link ResourceQuota#fair() fair}: a released slot is handed to the first waiter and
 * newcomers never barge past waiters. Waits are measured with the JVM's monotonic timer and never
 * pin a virtual thread. Dependent stages of the futures returned by {@link #acquireAsync} and
 * {@link #admitAsync} may run on the thread that released the slot; use the {@code *Async}
 * stage methods to move work elsewhere.
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
 * longest-idle first beyond {@link Builder#maxDynamicAgents(int)}. Eviction runs amortised when
 * dynamic agents are created, on {@link #snapshots()}, and whenever {@link #evictIdleAgents()}
 * is called. An evicted agent loses its counters; it starts afresh on its next call.
 *
 * <h2>Agent ids</h2> A {@code null} agent id throws {@link NullPointerException} ("agentId")
 * everywhere. A blank one throws {@link IllegalArgumentException} ("agentId must not be null or
 * blank, was ' '") wherever something is taken, returned or consumed, whatever the
 * {@link UnknownAgentPolicy}; the read-only look-ups ({@link #getQuota}, {@link #snapshot},
 * {@link #removeQuota}) answer as for any unknown agent.
 */
public final class PolicyEngine {

	private static final QuotaListener[] NO_LISTENERS = {};

	private static final RejectionReason[] REASONS = RejectionReason.values();

	private final ConcurrentHashMap<String, AgentState> states = new ConcurrentHashMap<>();

	private final UnknownAgentPolicy unknownAgentPolicy;

	private final @Nullable ResourceQuota defaultQuota;

	private final Clock clock;

	private final TimeMeter timeMeter;

	private final PermitStore permitStore;

	private final boolean trackPermitAge;

	/**
	 * Whether permit ages are measured with the JVM's monotonic timer (in nanoseconds) rather
	 * than the clock (in milliseconds): with the system clock, whose time only an injected clock
	 * would replace, so that the clock read a grant makes for hold times serves ages too.
	 */
	private final boolean monotonicAges;

	private final long idleTimeoutMillis;

	private final int maxDynamicAgents;

	private final ReentrantLock listenerLock = new ReentrantLock();

	private volatile QuotaListener[] listeners = NO_LISTENERS;

	private final ReentrantLock evictionLock = new ReentrantLock();

	private final AtomicInteger dynamicAgents = new AtomicInteger();

	private final AtomicLong dynamicSequence = new AtomicLong();

	private volatile long lastSweepMillis;

	/** Dynamic agents beyond which a creator tries to sweep (skipping when a sweep runs). */
	private volatile int sweepThreshold;

	/** Dynamic agents beyond which a creator waits for the running sweep and sweeps itself. */
	private volatile int hardCeiling;

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
		this.clock = builder.clock;
		this.timeMeter = new RateBudget.ClockTimeMeter(builder.clock);
		this.permitStore = builder.permitStore;
		this.trackPermitAge = builder.trackPermitAge;
		this.monotonicAges = Clock.systemUTC().withZone(builder.clock.getZone()).equals(builder.clock);
		this.idleTimeoutMillis = builder.dynamicAgentIdleTimeout.toMillis();
		this.maxDynamicAgents = builder.maxDynamicAgents;
		this.sweepThreshold = thresholdAbove(builder.maxDynamicAgents);
		this.hardCeiling = ceilingAbove(builder.maxDynamicAgents);
		this.lastSweepMillis = this.clock.millis();
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
	 * @throws IllegalArgumentException when the ids differ
	 */
	public void setQuota(String agentId, ResourceQuota quota) {
		checkAgentId(agentId);
		Objects.requireNonNull(quota, "quota");
		if (!agentId.equals(quota.agentId())) {
			throw new IllegalArgumentException(
					"quota.agentId must equal agentId '" + agentId + "', was '" + quota.agentId() + "'");
		}
		for (;;) {
			AgentState state = this.states.get(agentId);
			if (state == null) {
				AgentState created = new AgentState(quota, false, this.permitStore, this.timeMeter,
						this.trackPermitAge, this.clock.millis());
				if (this.states.putIfAbsent(agentId, created) == null) {
					fireAgentAdded(agentId);
					return;
				}
				continue;
			}
			state.lifecycle.lock();
			try {
				if (this.states.get(agentId) == state) {
					if (state.dynamic) {
						state.dynamic = false;
						this.dynamicAgents.decrementAndGet();
					}
					state.update(quota, this.timeMeter);
					return;
				}
			}
			finally {
				state.lifecycle.unlock();
			}
		}
	}

	/**
	 * The quota of an agent, if it has one (including dynamic agents created so far).
	 * @param agentId the agent
	 * @return its quota
	 */
	public Optional<ResourceQuota> getQuota(String agentId) {
		Objects.requireNonNull(agentId, "agentId");
		AgentState state = this.states.get(agentId);
		return (state != null) ? Optional.of(state.quota) : Optional.empty();
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
		AgentState state = this.states.get(agentId);
		if (state == null) {
			return;
		}
		boolean removed = false;
		state.lifecycle.lock();
		try {
			if (this.states.remove(agentId, state)) {
				removed = true;
				if (state.dynamic) {
					state.dynamic = false;
					this.dynamicAgents.decrementAndGet();
				}
			}
		}
		finally {
			state.lifecycle.unlock();
		}
		if (removed) {
			state.permits.close();
			fireAgentRemoved(agentId);
		}
	}

	/**
	 * Take an execution slot if one is free. Never blocks, never waits. For an unknown agent
	 * under {@link UnknownAgentPolicy#ALLOW} this always succeeds without counting anything.
	 * @param agentId the agent
	 * @return whether a slot was taken
	 */
	public boolean tryAcquireExecutionSlot(String agentId) {
		for (;;) {
			AgentState state = lookup(agentId);
			if (state == null) {
				return unknownAllowed(agentId);
			}
			long lease;
			try {
				lease = state.tryTakeSlot();
			}
			catch (PermitStoreUnavailableException ex) {
				countRejection(state, RejectionReason.STORE_UNAVAILABLE, 0);
				return false;
			}
			if (lease >= 0) {
				if (this.listeners.length != 0) {
					fireAcquired(agentId, 0);
				}
				return true;
			}
			if (lease == PermitStore.AgentPermits.CLOSED) {
				this.states.remove(agentId, state);
				continue;
			}
			countRejection(state, RejectionReason.CONCURRENCY_LIMIT, 0);
			return false;
		}
	}

	/**
	 * Return a slot taken with {@link #tryAcquireExecutionSlot(String)}. Only slots count: a
	 * {@link Permit} held for the same agent is never released this way. For an unknown agent
	 * under {@link UnknownAgentPolicy#ALLOW} this is a no-op.
	 * @param agentId the agent
	 * @throws IllegalStateException when no slot is held (nothing changes)
	 */
	public void releaseExecutionSlot(String agentId) {
		AgentState state = this.states.get(Objects.requireNonNull(agentId, "agentId"));
		if (state == null) {
			checkAgentId(agentId);
			if (this.unknownAgentPolicy == UnknownAgentPolicy.ALLOW) {
				return;
			}
			throw new IllegalStateException("No execution slot of agent '" + agentId + "' is held");
		}
		if (!state.releaseSlot()) {
			throw new IllegalStateException("No execution slot of agent '" + agentId + "' is held (limit "
					+ state.permits.limit() + ")");
		}
		if (this.listeners.length != 0) {
			fireReleased(agentId, -1);
		}
	}

	/**
	 * Take a permit if one is free. Never blocks, never waits.
	 * @param agentId the agent
	 * @return the permit, or empty
	 */
	public Optional<Permit> tryAcquire(String agentId) {
		for (;;) {
			AgentState state = lookup(agentId);
			if (state == null) {
				return unknownAllowed(agentId) ? Optional.of(new UntrackedPermit(agentId)) : Optional.empty();
			}
			long lease;
			try {
				lease = state.permits.tryTake();
			}
			catch (PermitStoreUnavailableException ex) {
				countRejection(state, RejectionReason.STORE_UNAVAILABLE, 0);
				return Optional.empty();
			}
			if (lease >= 0) {
				return Optional.of(granted(state, lease, 0));
			}
			if (lease == PermitStore.AgentPermits.CLOSED) {
				this.states.remove(agentId, state);
				continue;
			}
			countRejection(state, RejectionReason.CONCURRENCY_LIMIT, 0);
			return Optional.empty();
		}
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
		return admit(agentId, null, null, false);
	}

	/**
	 * Take a permit without blocking a thread, waiting up to the quota's {@code maxWait}. The
	 * future fails with {@link QuotaExceededException} when refused. Cancelling it while it
	 * waits removes the waiter; a permit granted in the same instant is given back.
	 * @param agentId the agent
	 * @return a future of the permit
	 */
	public CompletableFuture<Permit> acquireAsync(String agentId) {
		return admitAsync(agentId, null, null, false);
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
		return admit(agentId, action, checkMaxWait(maxWait), true);
	}

	private Permit admit(String agentId, @Nullable ActionType action, @Nullable Duration maxWait, boolean rate) {
		for (;;) {
			AgentState state = lookup(agentId);
			if (state == null) {
				if (unknownAllowed(agentId)) {
					return new UntrackedPermit(agentId);
				}
				throw unknownAgent(agentId);
			}
			if (action != null) {
				ResourceQuota quota = state.quota;
				if (!quota.allows(action)) {
					throw actionNotAllowed(state, quota, action);
				}
			}
			long lease;
			try {
				lease = state.permits.tryTake();
			}
			catch (PermitStoreUnavailableException ex) {
				throw storeUnavailable(state, ex, 0);
			}
			long waited = 0;
			if (lease == PermitStore.AgentPermits.NONE) {
				long timeout = nanos((maxWait != null) ? maxWait : state.quota.maxWait());
				if (timeout <= 0) {
					throw rejectionOf(state, RejectionReason.CONCURRENCY_LIMIT, 0, RateBudget.CONSUMED);
				}
				CompletableFuture<Long> future = state.permits.take(timeout);
				if (future.isDone()) {
					lease = await(state, future, timeout);
				}
				else {
					long start = System.nanoTime();
					lease = await(state, future, timeout);
					waited = System.nanoTime() - start;
					if (lease == PermitStore.AgentPermits.CLOSED) {
						throw removedWhileWaiting(state, waited);
					}
				}
				if (lease == PermitStore.AgentPermits.NONE) {
					throw rejectionOf(state, RejectionReason.CONCURRENCY_LIMIT, waited, RateBudget.CONSUMED);
				}
			}
			if (lease == PermitStore.AgentPermits.CLOSED) {
				this.states.remove(agentId, state);
				continue;
			}
			if (rate) {
				consumeRateOrRevoke(state, lease, waited);
			}
			return grantedOrRevoke(state, lease, waited);
		}
	}

	/**
	 * Consume one request from the rate budgets for a lease just taken. Whatever this throws,
	 * the lease has been given back exactly once.
	 */
	private void consumeRateOrRevoke(AgentState state, long lease, long waited) {
		RateBudget budget = state.rate;
		if (budget != null) {
			long retry;
			try {
				retry = budget.tryConsume();
			}
			catch (Throwable ex) {
				state.permits.revoke(lease);
				if (ex instanceof PermitStoreUnavailableException unavailable) {
					throw storeUnavailable(state, unavailable, waited);
				}
				throw ex;
			}
			if (retry != RateBudget.CONSUMED) {
				state.permits.revoke(lease);
				throw rejectionOf(state, RejectionReason.RATE_LIMIT, waited, retry);
			}
			if (this.listeners.length != 0) {
				fireRateLimitPermitted(state.agentId);
			}
		}
	}

	private long await(AgentState state, CompletableFuture<Long> future, long timeoutNanos) {
		try {
			return future.get(timeoutNanos, TimeUnit.NANOSECONDS);
		}
		catch (TimeoutException ex) {
			// Whoever completes the future first owns the outcome: if we lose, a lease arrived.
			return future.cancel(false) ? PermitStore.AgentPermits.NONE : future.join();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			if (!future.cancel(false)) {
				long lease = future.join();
				if (lease >= 0) {
					state.permits.revoke(lease);
				}
			}
			CancellationException failure = new CancellationException(
					"Interrupted while waiting for an execution slot of agent '" + state.agentId + "'");
			failure.initCause(ex);
			throw failure;
		}
		catch (ExecutionException ex) {
			if (ex.getCause() instanceof PermitStoreUnavailableException unavailable) {
				throw storeUnavailable(state, unavailable, 0);
			}
			// Store futures complete with a value; only we (or the store's close) end them.
			throw new IllegalStateException("Permit store failed", ex.getCause());
		}
	}

	/**
	 * The asynchronous form of {@link #admit(String, ActionType, Duration)}: no thread is
	 * blocked while waiting; the future fails with {@link QuotaExceededException} when refused.
	 * Cancelling it while it waits removes the waiter; a permit granted in the same instant is
	 * given back.
	 * @param agentId the agent
	 * @param action the action type, or {@code null} for no action check
	 * @param maxWait the maximum wait, {@code >= 0}, or {@code null} for the quota's own
	 * @return a future of the permit
	 * @throws IllegalArgumentException when {@code maxWait} is negative
	 */
	public CompletableFuture<Permit> admitAsync(String agentId, @Nullable ActionType action,
			@Nullable Duration maxWait) {
		return admitAsync(agentId, action, checkMaxWait(maxWait), true);
	}

	private CompletableFuture<Permit> admitAsync(String agentId, @Nullable ActionType action,
			@Nullable Duration maxWait, boolean rate) {
		for (;;) {
			AgentState state = lookup(agentId);
			try {
				if (state == null) {
					if (unknownAllowed(agentId)) {
						return CompletableFuture.completedFuture(new UntrackedPermit(agentId));
					}
					throw unknownAgent(agentId);
				}
				ResourceQuota quota = state.quota;
				if (action != null && !quota.allows(action)) {
					throw actionNotAllowed(state, quota, action);
				}
				long lease;
				try {
					lease = state.permits.tryTake();
				}
				catch (PermitStoreUnavailableException ex) {
					throw storeUnavailable(state, ex, 0);
				}
				if (lease == PermitStore.AgentPermits.NONE) {
					long timeout = nanos((maxWait != null) ? maxWait : quota.maxWait());
					if (timeout <= 0) {
						throw rejectionOf(state, RejectionReason.CONCURRENCY_LIMIT, 0, RateBudget.CONSUMED);
					}
					CompletableFuture<Long> future = state.permits.take(timeout);
					if (!future.isDone()) {
						return waitAsync(state, future, timeout, rate);
					}
					lease = await(state, future, timeout);
					if (lease == PermitStore.AgentPermits.NONE) {
						throw rejectionOf(state, RejectionReason.CONCURRENCY_LIMIT, 0, RateBudget.CONSUMED);
					}
				}
				if (lease == PermitStore.AgentPermits.CLOSED) {
					this.states.remove(agentId, state);
					continue;
				}
				if (rate) {
					consumeRateOrRevoke(state, lease, 0);
				}
				return CompletableFuture.completedFuture(grantedOrRevoke(state, lease, 0));
			}
			catch (QuotaExceededException ex) {
				return CompletableFuture.failedFuture(ex);
			}
		}
	}

	private CompletableFuture<Permit> waitAsync(AgentState state, CompletableFuture<Long> future, long timeoutNanos,
			boolean rate) {
		CompletableFuture<Permit> result = new CompletableFuture<>();
		long start = System.nanoTime();
		// orTimeout uses the JDK's shared daemon delayer: no thread of ours waits.
		future.orTimeout(timeoutNanos, TimeUnit.NANOSECONDS);
		future.whenComplete((lease, ex) -> {
			long waited = System.nanoTime() - start;
			// NONE: the store's own bound of the wait ended before our time-out, the same refusal.
			if (ex != null || lease == PermitStore.AgentPermits.NONE) {
				if (!result.isDone()) {
					Throwable cause = (ex instanceof CompletionException && ex.getCause() != null) ? ex.getCause() : ex;
					result.completeExceptionally((cause instanceof PermitStoreUnavailableException unavailable)
							? storeUnavailable(state, unavailable, waited)
							: rejectionOf(state, RejectionReason.CONCURRENCY_LIMIT, waited, RateBudget.CONSUMED));
				}
				return;
			}
			if (lease == PermitStore.AgentPermits.CLOSED) {
				result.completeExceptionally(removedWhileWaiting(state, waited));
				return;
			}
			if (result.isDone()) {
				// Cancelled in the same instant the slot was granted: give it back.
				state.permits.revoke(lease);
				return;
			}
			// CompletableFuture swallows what this callback throws: a failure past this point
			// must give the lease back and fail the caller's future, or both are lost for good.
			Permit permit;
			try {
				if (rate) {
					consumeRateOrRevoke(state, lease, waited);
				}
				permit = grantedOrRevoke(state, lease, waited);
			}
			catch (Throwable refused) {
				result.completeExceptionally(refused);
				return;
			}
			if (!result.complete(permit)) {
				permit.close();
			}
		});
		result.whenComplete((permit, ex) -> {
			if (result.isCancelled()) {
				future.cancel(false);
			}
		});
		return result;
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
		return rateLimit(agentId, null);
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
		return rateLimit(agentId, Objects.requireNonNull(action, "action"));
	}

	private boolean rateLimit(String agentId, @Nullable ActionType action) {
		AgentState state = lookup(agentId);
		if (state == null) {
			return unknownAllowed(agentId);
		}
		ResourceQuota quota = state.quota;
		if (action != null && !quota.allows(action)) {
			countRejection(state, RejectionReason.ACTION_NOT_ALLOWED, 0);
			return false;
		}
		RateBudget budget = state.rate;
		if (budget != null) {
			long retry;
			try {
				retry = budget.tryConsume();
			}
			catch (PermitStoreUnavailableException ex) {
				countRejection(state, RejectionReason.STORE_UNAVAILABLE, 0);
				return false;
			}
			if (retry != RateBudget.CONSUMED) {
				countRejection(state, RejectionReason.RATE_LIMIT, 0);
				return false;
			}
		}
		if (this.listeners.length != 0) {
			fireRateLimitPermitted(agentId);
		}
		return true;
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
		Objects.requireNonNull(agentId, "agentId");
		AgentState state = this.states.get(agentId);
		return (state != null) ? Optional.of(state.statistics) : Optional.empty();
	}

	/**
	 * A snapshot of one agent.
	 * @param agentId the agent
	 * @return its snapshot, empty when the agent is unknown (a blank id is never known)
	 */
	public Optional<QuotaSnapshot> snapshot(String agentId) {
		Objects.requireNonNull(agentId, "agentId");
		AgentState state = this.states.get(agentId);
		return (state != null) ? Optional.of(snapshotOf(state)) : Optional.empty();
	}

	/**
	 * Snapshots of every known agent, by agent id, in id order. Also evicts idle dynamic agents
	 * when an eviction is due.
	 * @return the snapshots
	 */
	public Map<String, QuotaSnapshot> snapshots() {
		maybeEvict(this.clock.millis(), null);
		TreeMap<String, AgentState> sorted = new TreeMap<>(this.states);
		Map<String, QuotaSnapshot> result = new LinkedHashMap<>();
		sorted.forEach((agentId, state) -> result.put(agentId, snapshotOf(state)));
		return Collections.unmodifiableMap(result);
	}

	private QuotaSnapshot snapshotOf(AgentState state) {
		ResourceQuota quota = state.quota;
		// The counters come from the statistics view, so snapshots and polling metrics agree.
		QuotaStatistics statistics = state.statistics;
		int limit = statistics.maxConcurrentExecutions();
		int inFlight = statistics.inFlight();
		EnumMap<RejectionReason, Long> byReason = new EnumMap<>(RejectionReason.class);
		long rejected = 0;
		for (RejectionReason reason : REASONS) {
			long count = statistics.rejected(reason);
			byReason.put(reason, count);
			rejected += count;
		}
		RateBudget budget = state.rate;
		return new QuotaSnapshot(state.agentId, limit, inFlight, QuotaStatistics.available(limit, inFlight),
				statistics.waiting(), statistics.acquired(), rejected, Collections.unmodifiableMap(byReason),
				quota.maxWait(), quota.fair(),
				boxed(quota.maxRequestsPerMinute().orElse(-1)),
				(budget != null) ? budget.availablePerMinute() : null, boxed(quota.maxRequestsPerHour().orElse(-1)),
				(budget != null) ? budget.availablePerHour() : null, quota.maxExecutionTime().orElse(null),
				quota.allowedActionTypes(), oldestPermitAge(state), state.dynamic, this.permitStore.name());
	}

	private static @Nullable Integer boxed(int value) {
		return (value < 0) ? null : value;
	}

	private @Nullable Duration oldestPermitAge(AgentState state) {
		PermitAges ages = state.ages;
		long oldest = (ages != null) ? ages.oldest() : PermitAges.EMPTY;
		if (oldest == PermitAges.EMPTY) {
			return null;
		}
		return this.monotonicAges ? Duration.ofNanos(Math.max(0, System.nanoTime() - oldest))
				: Duration.ofMillis(Math.max(0, this.clock.millis() - oldest));
	}

	/**
	 * Evict dynamic agents ({@link UnknownAgentPolicy#DEFAULT_QUOTA}) that have been idle for
	 * longer than the idle time-out, and beyond the maximum number of dynamic agents the
	 * longest-idle ones. An agent is idle when nothing is in flight, nobody waits and its rate
	 * budgets are full again; idle time is measured with the engine's clock from the first
	 * eviction pass that saw the agent idle and unchanged. Agents with work in flight are never
	 * evicted, so the maximum is a soft bound. Evicted agents lose their counters and are
	 * reported to {@link QuotaListener#onAgentRemoved(String)}. Safe to call at any time, for
	 * example from a scheduler.
	 * @return how many agents were evicted
	 */
	public int evictIdleAgents() {
		this.evictionLock.lock();
		try {
			return sweep(this.clock.millis(), null);
		}
		finally {
			this.evictionLock.unlock();
		}
	}

	private void maybeEvict(long now, @Nullable AgentState spared) {
		int count = this.dynamicAgents.get();
		if (count > this.sweepThreshold || (count > 0 && now - this.lastSweepMillis >= this.idleTimeoutMillis / 2)) {
			if (this.evictionLock.tryLock()) {
				try {
					sweep(now, spared);
				}
				finally {
					this.evictionLock.unlock();
				}
			}
		}
	}

	/**
	 * Count one more dynamic agent before creating it. Below the hard ceiling this is one CAS.
	 * At the ceiling the creator waits for the sweep that runs and sweeps itself: creators that
	 * skip sweeping while one runs (and a sweeper descheduled on a busy machine) would otherwise
	 * pile agents up without bound. When even a sweep leaves the ceiling reached (every agent is
	 * busy, and a sweep raises the ceiling above the busy ones) the agent is created anyway: the
	 * bound is soft, never a refusal or a hang.
	 */
	private void reserveDynamicAgent() {
		for (;;) {
			int count = this.dynamicAgents.get();
			if (count < this.hardCeiling) {
				if (this.dynamicAgents.compareAndSet(count, count + 1)) {
					return;
				}
				continue;
			}
			this.evictionLock.lock();
			try {
				if (this.dynamicAgents.get() >= this.hardCeiling) {
					sweep(this.clock.millis(), null);
				}
				if (this.dynamicAgents.get() >= this.hardCeiling) {
					this.dynamicAgents.incrementAndGet();
					return;
				}
			}
			finally {
				this.evictionLock.unlock();
			}
		}
	}

	/**
	 * Sweep again once the dynamic agents exceed the maximum (or the agents a sweep could not
	 * evict) by a tenth, so that sweeps are amortised over many creations.
	 */
	private static int thresholdAbove(int kept) {
		return (int) Math.min(Integer.MAX_VALUE, kept + (long) kept / 10);
	}

	private static int ceilingAbove(int kept) {
		return (int) Math.min(Integer.MAX_VALUE, 2L * kept);
	}

	private int sweep(long now, @Nullable AgentState spared) {
		this.lastSweepMillis = now;
		int evicted = 0;
		// Dynamic agents this sweep cannot evict: busy ones and the one being created.
		int unevictable = 0;
		List<AgentState> idle = new ArrayList<>();
		for (AgentState state : this.states.values()) {
			if (!state.dynamic) {
				continue;
			}
			if (state == spared) {
				// The agent being created is spared, or its creator could loop forever.
				unevictable++;
				continue;
			}
			PermitStore.AgentPermits permits = state.permits;
			long acquired = permits.acquired();
			RateBudget budget = state.rate;
			boolean busy = permits.inFlight() > 0 || permits.waiting() > 0 || (budget != null && !budget.isFull());
			if (busy) {
				// Idle time starts again at the first pass that sees it idle.
				state.lastSeenAcquired = acquired;
				state.idleSinceMillis = Long.MAX_VALUE;
				unevictable++;
				continue;
			}
			if (acquired != state.lastSeenAcquired || state.idleSinceMillis == Long.MAX_VALUE) {
				state.lastSeenAcquired = acquired;
				state.idleSinceMillis = now;
			}
			if (now - state.idleSinceMillis >= this.idleTimeoutMillis) {
				if (evict(state)) {
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
			idle.sort(Comparator.comparingLong((AgentState state) -> state.idleSinceMillis)
				.thenComparingLong((state) -> state.sequence));
			for (AgentState state : idle) {
				if (this.dynamicAgents.get() <= this.maxDynamicAgents) {
					break;
				}
				if (evict(state)) {
					evicted++;
				}
				else {
					unevictable++;
				}
			}
		}
		// Sweep again only after some more have been created, so that a crowd of busy tenants
		// does not make every creation scan them all. The base is what this sweep could not
		// evict, never the count now: creators that added agents while it ran (skipping the
		// sweep on tryLock) would otherwise ratchet the threshold up without bound.
		int kept = Math.max(this.maxDynamicAgents, unevictable);
		this.sweepThreshold = thresholdAbove(kept);
		this.hardCeiling = ceilingAbove(kept);
		return evicted;
	}

	private boolean evict(AgentState state) {
		// tryLock: the agent's quota is being replaced or removed right now, so it is not idle;
		// waiting here could deadlock with a setQuota whose waiters' continuations create agents.
		if (!state.lifecycle.tryLock()) {
			return false;
		}
		boolean evicted = false;
		try {
			// Retiring succeeds only while nothing is held and nobody waits; a take racing with
			// it either wins first (and the agent stays) or sees the agent closed and looks it up
			// again, which creates a fresh one.
			if (state.dynamic && state.permits.retireIfIdle()) {
				state.dynamic = false;
				this.states.remove(state.agentId, state);
				evicted = true;
			}
		}
		finally {
			state.lifecycle.unlock();
		}
		if (evicted) {
			// Listeners hear of the removal before its room goes to a new agent, so that the
			// agents they count (and their meters) never exceed what the engine bounds.
			fireAgentRemoved(state.agentId);
			this.dynamicAgents.decrementAndGet();
		}
		return evicted;
	}

	/**
	 * Register a listener. Listeners are called on the thread doing the work; exceptions they
	 * throw are caught and ignored.
	 * @param listener the listener
	 */
	public void addListener(QuotaListener listener) {
		Objects.requireNonNull(listener, "listener");
		this.listenerLock.lock();
		try {
			QuotaListener[] current = this.listeners;
			QuotaListener[] updated = Arrays.copyOf(current, current.length + 1);
			updated[current.length] = listener;
			this.listeners = updated;
		}
		finally {
			this.listenerLock.unlock();
		}
	}

	/**
	 * Unregister a listener. Does nothing when it is not registered.
	 * @param listener the listener
	 */
	public void removeListener(QuotaListener listener) {
		this.listenerLock.lock();
		try {
			List<QuotaListener> updated = new ArrayList<>(Arrays.asList(this.listeners));
			if (updated.remove(listener)) {
				this.listeners = updated.isEmpty() ? NO_LISTENERS : updated.toArray(NO_LISTENERS);
			}
		}
		finally {
			this.listenerLock.unlock();
		}
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

	// --- internals -------------------------------------------------------------------------

	/**
	 * The state of an agent, created first when the policy makes dynamic agents. Checks the id:
	 * {@code null} throws at once, a blank one only when it is not found, which it never is
	 * (every id put in the map was checked), so a known agent costs one map read.
	 */
	private @Nullable AgentState lookup(String agentId) {
		AgentState state = this.states.get(Objects.requireNonNull(agentId, "agentId"));
		if (state != null) {
			return state;
		}
		checkAgentId(agentId);
		return (this.unknownAgentPolicy == UnknownAgentPolicy.DEFAULT_QUOTA) ? createDynamic(agentId) : null;
	}

	private AgentState createDynamic(String agentId) {
		ResourceQuota template = Objects.requireNonNull(this.defaultQuota);
		reserveDynamicAgent();
		long now = this.clock.millis();
		boolean[] created = new boolean[1];
		AgentState state;
		try {
			state = this.states.computeIfAbsent(agentId, (id) -> {
				AgentState fresh = new AgentState(template.toBuilder(id).build(), true, this.permitStore,
						this.timeMeter, this.trackPermitAge, now);
				fresh.sequence = this.dynamicSequence.incrementAndGet();
				created[0] = true;
				return fresh;
			});
		}
		finally {
			if (!created[0]) {
				// Another caller created it first (or creating failed): give the room back.
				this.dynamicAgents.decrementAndGet();
			}
		}
		if (created[0]) {
			fireAgentAdded(agentId);
			maybeEvict(now, state);
		}
		return state;
	}

	private boolean unknownAllowed(String agentId) {
		if (this.unknownAgentPolicy == UnknownAgentPolicy.ALLOW) {
			return true;
		}
		if (this.listeners.length != 0) {
			fireRejected(agentId, RejectionReason.UNKNOWN_AGENT, 0);
		}
		return false;
	}

	private QuotaExceededException unknownAgent(String agentId) {
		return new QuotaExceededException(agentId, RejectionReason.UNKNOWN_AGENT, "Agent '" + agentId
				+ "' refused (UNKNOWN_AGENT): it has no quota and the unknown-agent policy is "
				+ this.unknownAgentPolicy, null);
	}

	private QuotaExceededException removedWhileWaiting(AgentState state, long waited) {
		countRejection(state, RejectionReason.UNKNOWN_AGENT, waited);
		return new QuotaExceededException(state.agentId, RejectionReason.UNKNOWN_AGENT,
				"Agent '" + state.agentId + "' refused (UNKNOWN_AGENT): its quota was removed while waiting", null);
	}

	private QuotaExceededException storeUnavailable(AgentState state, PermitStoreUnavailableException ex, long waited) {
		countRejection(state, RejectionReason.STORE_UNAVAILABLE, waited);
		QuotaExceededException rejection = new QuotaExceededException(state.agentId, RejectionReason.STORE_UNAVAILABLE,
				"Agent '" + state.agentId + "' refused (STORE_UNAVAILABLE): " + ex.getMessage(), null);
		rejection.initCause(ex);
		return rejection;
	}

	private QuotaExceededException actionNotAllowed(AgentState state, ResourceQuota quota, ActionType action) {
		countRejection(state, RejectionReason.ACTION_NOT_ALLOWED, 0);
		return new QuotaExceededException(state.agentId, RejectionReason.ACTION_NOT_ALLOWED,
				"Agent '" + state.agentId + "' refused (ACTION_NOT_ALLOWED): action " + action
						+ " is not in its allowed action types " + quota.allowedActionTypes(),
				null);
	}

	/**
	 * Count a rejection and tell the listeners, without building an exception (the boolean
	 * and {@link Optional} forms answer without one).
	 */
	private void countRejection(AgentState state, RejectionReason reason, long waited) {
		state.rejected.incrementAndGet(reason.ordinal());
		if (waited > 0) {
			state.rejectedWaitNanos.add(waited);
		}
		if (this.listeners.length != 0) {
			fireRejected(state.agentId, reason, waited);
		}
	}

	/**
	 * Count a rejection, tell the listeners, and describe it.
	 */
	private QuotaExceededException rejectionOf(AgentState state, RejectionReason reason, long waited,
			long retryNanos) {
		countRejection(state, reason, waited);
		Duration retryAfter = (reason == RejectionReason.RATE_LIMIT && retryNanos > 0 && retryNanos != Long.MAX_VALUE)
				? Duration.ofNanos(retryNanos) : null;
		return new QuotaExceededException(state.agentId, reason, describe(state, reason, retryNanos), retryAfter);
	}

	/**
	 * Refuse a {@code null} or blank agent id with one message at every entry point that takes,
	 * returns or consumes something.
	 */
	private static String checkAgentId(String agentId) {
		Objects.requireNonNull(agentId, "agentId");
		if (agentId.isBlank()) {
			throw new IllegalArgumentException("agentId must not be null or blank, was '" + agentId + "'");
		}
		return agentId;
	}

	private static @Nullable Duration checkMaxWait(@Nullable Duration maxWait) {
		if (maxWait != null && maxWait.isNegative()) {
			throw new IllegalArgumentException("maxWait must be >= 0, was " + maxWait);
		}
		return maxWait;
	}

	private static long nanos(Duration duration) {
		try {
			return duration.toNanos();
		}
		catch (ArithmeticException ex) {
			return Long.MAX_VALUE;
		}
	}

	/**
	 * {@link #granted}, giving the lease back if making the permit fails, so that nothing is lost.
	 */
	private Permit grantedOrRevoke(AgentState state, long lease, long waited) {
		try {
			return granted(state, lease, waited);
		}
		catch (Throwable ex) {
			state.permits.revoke(lease);
			throw ex;
		}
	}

	private Permit granted(AgentState state, long lease, long waited) {
		if (waited > 0) {
			// Only a caller that waited pays for this; a grant at once adds nothing.
			state.acquiredWaitNanos.add(waited);
		}
		// The hold time is measured for the listeners (and the statistics they expose) only, and
		// one read of the monotonic timer serves it and the permit's age: without a listener and
		// without ages, a grant reads no clock.
		boolean observed = this.listeners.length != 0;
		PermitAges ages = state.ages;
		long nanos = (observed || (ages != null && this.monotonicAges)) ? System.nanoTime() : -1;
		long grantedAt = 0;
		int ageCell = PermitAges.OVERFLOW;
		if (ages != null) {
			grantedAt = this.monotonicAges ? nanos : this.clock.millis();
			ageCell = ages.claim(grantedAt);
		}
		TrackedPermit permit;
		try {
			permit = new TrackedPermit(this, state, lease, observed ? nanos : -1, ageCell);
		}
		catch (Throwable ex) {
			if (ages != null) {
				ages.release(ageCell, null);
			}
			throw ex;
		}
		if (ages != null && ageCell == PermitAges.OVERFLOW) {
			ages.addOverflow(permit, grantedAt);
		}
		if (observed) {
			fireAcquired(state.agentId, waited);
		}
		return permit;
	}

	void fireAcquired(String agentId, long waitNanos) {
		for (QuotaListener listener : this.listeners) {
			try {
				listener.onAcquired(agentId, waitNanos);
			}
			catch (Throwable ex) {
				// Listeners must never disturb accounting.
			}
		}
	}

	void fireRejected(String agentId, RejectionReason reason, long waitNanos) {
		for (QuotaListener listener : this.listeners) {
			try {
				listener.onRejected(agentId, reason, waitNanos);
			}
			catch (Throwable ex) {
				// Listeners must never disturb accounting.
			}
		}
	}

	void fireReleased(String agentId, long heldNanos) {
		for (QuotaListener listener : this.listeners) {
			try {
				listener.onReleased(agentId, heldNanos);
			}
			catch (Throwable ex) {
				// Listeners must never disturb accounting.
			}
		}
	}

	private void fireRateLimitPermitted(String agentId) {
		for (QuotaListener listener : this.listeners) {
			try {
				listener.onRateLimitPermitted(agentId);
			}
			catch (Throwable ex) {
				// Listeners must never disturb accounting.
			}
		}
	}

	private void fireAgentAdded(String agentId) {
		for (QuotaListener listener : this.listeners) {
			try {
				listener.onAgentAdded(agentId);
			}
			catch (Throwable ex) {
				// Listeners must never disturb accounting.
			}
		}
	}

	private void fireAgentRemoved(String agentId) {
		for (QuotaListener listener : this.listeners) {
			try {
				listener.onAgentRemoved(agentId);
			}
			catch (Throwable ex) {
				// Listeners must never disturb accounting.
			}
		}
	}

	boolean hasListeners() {
		return this.listeners.length != 0;
	}

	static String describe(AgentState state, RejectionReason reason, long retryNanos) {
		ResourceQuota quota = state.quota;
		StringBuilder message = new StringBuilder("Agent '").append(state.agentId)
			.append("' refused (")
			.append(reason)
			.append("): ");
		switch (reason) {
			case CONCURRENCY_LIMIT -> message.append("all ")
				.append(state.permits.limit())
				.append(" execution slots are in use (maxConcurrentExecutions=")
				.append(state.permits.limit())
				.append(", maxWait=")
				.append(quota.maxWait())
				.append(')');
			case RATE_LIMIT -> {
				message.append("request budget spent (maxRequestsPerMinute=")
					.append(quota.maxRequestsPerMinute().isPresent() ? quota.maxRequestsPerMinute().getAsInt()
							: "unlimited")
					.append(", maxRequestsPerHour=")
					.append(quota.maxRequestsPerHour().isPresent() ? quota.maxRequestsPerHour().getAsInt()
							: "unlimited")
					.append(')');
				if (retryNanos != Long.MAX_VALUE && retryNanos > 0) {
					message.append("; retry after ").append(Duration.ofNanos(retryNanos));
				}
			}
			default -> message.append(reason);
		}
		return message.toString();
	}

	/**
	 * A permit of an agent with a quota. Closing it returns its lease to the state it came from,
	 * exactly once (a CAS on one field decides), however many threads close it.
	 */
	static final class TrackedPermit implements Permit {

		private static final VarHandle CLOSED;

		static {
			try {
				CLOSED = MethodHandles.lookup().findVarHandle(TrackedPermit.class, "closed", int.class);
			}
			catch (ReflectiveOperationException ex) {
				throw new ExceptionInInitializerError(ex);
			}
		}

		private final PolicyEngine engine;

		private final AgentState state;

		private final long lease;

		private final long acquiredNanos;


		/** The cell of {@link AgentState#ages} this permit claimed, when ages are tracked. */
		private final int ageCell;

		private volatile int closed;

		TrackedPermit(PolicyEngine engine, AgentState state, long lease, long acquiredNanos, int ageCell) {
			this.engine = engine;
			this.state = state;
			this.lease = lease;
			this.acquiredNanos = acquiredNanos;
			this.ageCell = ageCell;
		}

		@Override
		public String agentId() {
			return this.state.agentId;
		}

		@Override
		public void close() {
			if (this.closed != 0 || !CLOSED.compareAndSet(this, 0, 1)) {
				return;
			}
			AgentState state = this.state;
			PermitAges ages = state.ages;
			if (ages != null) {
				ages.release(this.ageCell, this);
			}
			state.permits.release(this.lease);
			long held = -1;
			if (this.acquiredNanos >= 0) {
				held = System.nanoTime() - this.acquiredNanos;
				state.heldNanos.add(held);
				state.timedReleases.increment();
			}
			if (this.engine.hasListeners()) {
				this.engine.fireReleased(state.agentId, held);
			}
		}

		@Override
		public String toString() {
			return "Permit[agentId=" + this.state.agentId + ", closed=" + (this.closed != 0) + "]";
		}

	}

	/**
	 * A permit for an agent without a quota under {@link UnknownAgentPolicy#ALLOW}: nothing is
	 * counted, so closing it does nothing.
	 */
	private record UntrackedPermit(String agentId) implements Permit {

		@Override
		public void close() {
		}

	}

	/**
	 * Builds a {@link PolicyEngine}.
	 */
	public static final class Builder {

		private UnknownAgentPolicy unknownAgentPolicy = UnknownAgentPolicy.ALLOW;

		private @Nullable ResourceQuota defaultQuota;

		private Duration dynamicAgentIdleTimeout = Duration.ofMinutes(10);

		private int maxDynamicAgents = 10_000;

		private Clock clock = Clock.systemUTC();

		private PermitStore permitStore = PermitStore.inMemory();

		private boolean trackPermitAge;

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
		 * longest-idle dynamic agents are evicted first. The bound is soft: eviction runs once
		 * the dynamic agents exceed it by a tenth (so that sweeps are amortised), busy agents are
		 * never evicted, and a caller creating an agent at twice the maximum (or twice the busy
		 * agents, if more) waits for eviction first, however many threads create agents.
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
		 * The time source for rate budgets, permit ages and dynamic-agent idle times (default
		 * the system UTC clock). Waiting uses the JVM's monotonic timer, and so do permit ages
		 * while the clock is the system clock (in any zone): they cannot jump with the wall
		 * clock, and a grant reads one timer for its age and its hold time.
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
		 * Build the engine.
		 * @return the engine
		 */
		public PolicyEngine build() {
			return new PolicyEngine(this);
		}

	}

}
