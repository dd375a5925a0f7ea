package io.agentcontrolplane.autoconfigure.metrics;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;
import java.util.function.ToLongFunction;

import io.agentcontrolplane.quota.Budget;
import io.agentcontrolplane.quota.BudgetStatus;
import io.agentcontrolplane.quota.BudgetUnit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaListener;
import io.agentcontrolplane.quota.QuotaSnapshot;
import io.agentcontrolplane.quota.QuotaStatistics;
import io.agentcontrolplane.quota.ResourceQuota;
import io.agentcontrolplane.quota.RejectionReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.distribution.HistogramSnapshot;
import org.jspecify.annotations.Nullable;

/**
 * A {@link MeterBinder} for the agents of a {@link PolicyEngine}: gauges reading each agent's
 * live limit, in-flight, available and waiting counts, a counter of permitted and rejected calls,
 * and timers for the time spent waiting for a permit and the time a permit was held. Every meter
 * carries the {@code agent} tag (plus the {@link Tags tags} given at construction).
 *
 * <p>Almost nothing is recorded per call: the gauges, counters and the hold timer are
 * {@link Gauge}, {@link FunctionCounter} and {@link FunctionTimer} meters that read the agent's
 * live {@link QuotaStatistics} when the registry publishes (the way Micrometer's
 * {@code ExecutorServiceMetrics} reads a thread pool). They count from when the agent became
 * known to the engine, including calls made before binding. The wait timer
 * ({@code agent.quota.wait}) is one too, unless the registry's meter filters give it a
 * distribution (Boot's {@code management.metrics.distribution.percentiles},
 * {@code percentiles-histogram} or {@code slo} for {@code agent.quota.wait}): then it is a
 * {@link Timer} recorded from the engine's {@link QuotaListener#onAcquired} and
 * {@link QuotaListener#onRejected} events, with a maximum, the percentiles and the buckets asked
 * for, counting the calls made since binding. So the per-call cost of recording is paid only by
 * those who opt in.
 *
 * <p>Rate budgets: {@code agent.quota.rate.remaining}, tagged {@code window} ({@code minute} or
 * {@code hour}), is the number of requests the agent may still make in the window, and
 * {@code agent.quota.budget.remaining}, tagged {@code unit} and {@code window}, what the agent
 * may still spend of each token, cost or request budget. Both follow the quota: registered for
 * each budget when the agent becomes known and when its quota changes (the endpoint's POST,
 * {@link PolicyEngine#setQuota}), and removed with a budget the new quota no longer has.
 *
 * <p>The hold timer reads what the engine measured, which it does only when built with
 * {@link PolicyEngine.Builder#measureHoldTimes(boolean)} (the metrics auto-configuration sets
 * it). The binder is a {@link QuotaListener} for the agents' life cycle: an agent's meters are registered once, when the agent becomes
 * known, and are removed with it, so dynamic agents that the engine evicts when idle take their
 * meters with them. The engine tells its listeners after the change, outside its locks, so for
 * one agent id an eviction's "removed" can arrive after a re-creation's "added" (or the reverse):
 * each of these events therefore makes the agent's meters follow what the engine knows of the
 * agent at that moment, rather than trusting the event's order; an agent re-created under the
 * same id gets fresh meters reading its own counters. Agents the engine does not know (unknown
 * agents under the {@code allow} policy) get no meters, so that request-supplied ids cannot grow
 * the meters without bound.
 *
 * <p>Binds to one registry (Spring Boot binds to the composite registry when there are several).
 */
public class QuotaMetrics implements MeterBinder, QuotaListener, AutoCloseable {

	/** Tag naming the agent. */
	public static final String AGENT_TAG = "agent";

	/** Tag with the outcome of a call: {@code permitted} or {@code rejected}. */
	public static final String OUTCOME_TAG = "outcome";

	/** Tag with the reason of a rejection, {@code none} for permitted calls. */
	public static final String REASON_TAG = "reason";

	/** Tag with the unit of a budget or of usage: {@code requests}, {@code tokens}, ... */
	public static final String UNIT_TAG = "unit";

	/** Tag with the window of a budget: a duration such as {@code 1m}, or {@code day}. */
	public static final String WINDOW_TAG = "window";

	private static final String PREFIX = "agent.quota.";

	private final PolicyEngine engine;

	private final Iterable<Tag> tags;

	private final Map<String, AgentMeters> agents = new ConcurrentHashMap<>();

	// Serialises adding and removing one agent's meters; the per-call paths never take it.
	private final ReentrantLock lifecycleLock = new ReentrantLock();

	private volatile @Nullable MeterRegistry registry;

	/** Set by {@link #close()}, under the lifecycle lock: no meter is registered afterwards. */
	private boolean closed;

	/**
	 * Create a binder for the agents of the given engine.
	 * @param engine the quota engine
	 */
	public QuotaMetrics(PolicyEngine engine) {
		this(engine, Collections.emptyList());
	}

	/**
	 * Create a binder for the agents of the given engine, adding tags to every meter.
	 * @param engine the quota engine
	 * @param tags tags added to every meter
	 */
	public QuotaMetrics(PolicyEngine engine, Iterable<Tag> tags) {
		this.engine = engine;
		this.tags = tags;
	}

	@Override
	public void bindTo(MeterRegistry registry) {
		this.lifecycleLock.lock();
		try {
			if (this.registry != null) {
				if (this.registry == registry) {
					return;
				}
				throw new IllegalStateException("QuotaMetrics is already bound to " + this.registry);
			}
			this.registry = registry;
		}
		finally {
			this.lifecycleLock.unlock();
		}
		// Listen first, then register the agents known now: an agent added or removed in between
		// is reconciled by whichever comes second, and reconciling is idempotent.
		this.engine.addListener(this);
		for (String agentId : this.engine.snapshots().keySet()) {
			reconcile(agentId);
		}
	}

	/**
	 * Stop listening to the engine and remove every meter this binder registered.
	 */
	@Override
	public void close() {
		this.engine.removeListener(this);
		this.lifecycleLock.lock();
		try {
			// An event already on its way must not register meters after they were removed.
			this.closed = true;
		}
		finally {
			this.lifecycleLock.unlock();
		}
		for (String agentId : List.copyOf(this.agents.keySet())) {
			unregister(agentId);
		}
	}

	@Override
	public void onAcquired(String agentId, long waitNanos) {
		AgentMeters meters = this.agents.get(agentId);
		Timer wait = (meters != null) ? meters.waitPermitted : null;
		if (wait != null) {
			wait.record(waitNanos, TimeUnit.NANOSECONDS);
		}
	}

	@Override
	public void onRejected(String agentId, RejectionReason reason, long waitNanos) {
		AgentMeters meters = this.agents.get(agentId);
		Timer wait = (meters != null) ? meters.waitRejected : null;
		if (wait != null) {
			wait.record(waitNanos, TimeUnit.NANOSECONDS);
		}
	}

	/**
	 * Count what a settled call spent, on {@code agent.quota.usage} tagged with the agent and
	 * the unit (cost in the pricing currency).
	 */
	@Override
	public void onUsage(String agentId, BudgetUnit unit, long amount) {
		AgentMeters meters = this.agents.get(agentId);
		if (meters == null) {
			return;
		}
		Counter counter = meters.usage.get(unit.ordinal());
		if (counter == null) {
			counter = meterOnce(agentId, meters, () -> Counter.builder(PREFIX + "usage")
				.description("What the agent's calls really spent, as settled on their permits")
				.baseUnit(unit.configName())
				.tags(Tags.of(this.tags).and(AGENT_TAG, agentId).and(UNIT_TAG, unit.configName())), (created) -> {
					meters.usage.compareAndSet(unit.ordinal(), null, created);
					return meters.usage.get(unit.ordinal());
				});
		}
		if (counter != null) {
			counter.increment(unit.fromBaseUnits(amount).doubleValue());
		}
	}

	/**
	 * Count a budget reaching its warning threshold, on {@code agent.quota.budget.warnings}
	 * tagged with the agent, the unit and the window.
	 */
	@Override
	public void onBudgetWarning(String agentId, Budget budget, long spent, Instant resetsAt) {
		AgentMeters meters = this.agents.get(agentId);
		if (meters == null) {
			return;
		}
		String key = budget.unit().configName() + " " + budget.window();
		Counter counter = meters.warnings.get(key);
		if (counter == null) {
			counter = meterOnce(agentId, meters, () -> Counter.builder(PREFIX + "budget.warnings")
				.description("The times a budget of the agent reached its warn-at threshold, once per window")
				.baseUnit("warnings")
				.tags(Tags.of(this.tags)
					.and(AGENT_TAG, agentId)
					.and(UNIT_TAG, budget.unit().configName())
					.and(WINDOW_TAG, budget.window().toString())), (created) -> {
						Counter existing = meters.warnings.putIfAbsent(key, created);
						return (existing != null) ? existing : created;
					});
		}
		if (counter != null) {
			counter.increment();
		}
	}

	/**
	 * Register a counter made on first use, unless the agent's meters were removed meanwhile.
	 */
	private @Nullable Counter meterOnce(String agentId, AgentMeters meters, Supplier<Counter.Builder> builder,
			java.util.function.UnaryOperator<Counter> keep) {
		MeterRegistry registry = this.registry;
		if (registry == null) {
			return null;
		}
		this.lifecycleLock.lock();
		try {
			if (this.closed || this.agents.get(agentId) != meters) {
				return null;
			}
			Counter created = builder.get().register(registry);
			Counter kept = keep.apply(created);
			if (kept == created) {
				meters.all.add(created);
			}
			return kept;
		}
		finally {
			this.lifecycleLock.unlock();
		}
	}

	@Override
	public void onAgentAdded(String agentId) {
		reconcile(agentId);
	}

	@Override
	public void onAgentRemoved(String agentId) {
		reconcile(agentId);
	}

	/**
	 * Make the agent's budget gauges follow its new quota: a budget added (by the endpoint's
	 * POST, or {@link PolicyEngine#setQuota}) gets its {@code agent.quota.budget.remaining} (or
	 * {@code agent.quota.rate.remaining}) gauge at once, and the gauge of a budget removed goes.
	 */
	@Override
	public void onQuotaChanged(String agentId) {
		MeterRegistry registry = this.registry;
		if (registry == null) {
			return;
		}
		this.lifecycleLock.lock();
		try {
			AgentMeters meters = this.agents.get(agentId);
			if (this.closed || meters == null) {
				return;
			}
			QuotaStatistics statistics = this.engine.statistics(agentId).orElse(null);
			if (meters.statistics != statistics) {
				// Removed or re-created meanwhile: the agent's own events reconcile its meters.
				reconcile(agentId);
				return;
			}
			meters.followQuota(registry, meters.tags, this.engine.getQuota(agentId).orElse(null), this.engine,
					agentId);
		}
		finally {
			this.lifecycleLock.unlock();
		}
	}

	/**
	 * Make the agent's meters follow what the engine knows of the agent now. Serialised by the
	 * lifecycle lock, so the last event for an id to run here, which runs after the engine's
	 * last change of that id, leaves the meters matching the engine: a late "removed" of an
	 * evicted agent keeps the meters of the agent re-created under the same id, and a late
	 * "added" of an agent evicted meanwhile registers nothing. Meters that read the counters of
	 * an earlier incarnation of the id are replaced.
	 */
	private void reconcile(String agentId) {
		if (this.registry == null) {
			return;
		}
		this.lifecycleLock.lock();
		try {
			QuotaStatistics statistics = this.engine.statistics(agentId).orElse(null);
			AgentMeters meters = this.agents.get(agentId);
			if (meters != null && meters.statistics != statistics) {
				unregister(agentId);
			}
			if (statistics != null) {
				register(agentId, statistics);
			}
		}
		finally {
			this.lifecycleLock.unlock();
		}
	}

	private void register(String agentId, QuotaStatistics statistics) {
		MeterRegistry registry = this.registry;
		if (registry == null) {
			return;
		}
		this.lifecycleLock.lock();
		try {
			if (!this.closed && !this.agents.containsKey(agentId)) {
				this.agents.put(agentId,
						new AgentMeters(registry, Tags.of(this.tags).and(AGENT_TAG, agentId), statistics, this.engine,
								agentId));
			}
		}
		finally {
			this.lifecycleLock.unlock();
		}
	}

	private void unregister(String agentId) {
		MeterRegistry registry = this.registry;
		this.lifecycleLock.lock();
		try {
			AgentMeters meters = this.agents.remove(agentId);
			if (meters != null && registry != null) {
				meters.all.forEach(registry::remove);
			}
		}
		finally {
			this.lifecycleLock.unlock();
		}
	}

	/**
	 * The meters of one agent, registered once; they read {@link #statistics} when published.
	 */
	private static final class AgentMeters {

		private final List<Meter> all = new ArrayList<>();

		/** Held strongly: Micrometer's function meters keep only a weak reference to it. */
		private final QuotaStatistics statistics;

		/** Set only when the wait timer has a distribution to record; else a function timer. */
		private final @Nullable Timer waitPermitted;

		private final @Nullable Timer waitRejected;

		/** The usage counters by unit, registered on first use. */
		final AtomicReferenceArray<Counter> usage = new AtomicReferenceArray<>(BudgetUnit.values().length);

		/** The warning counters by unit and window, registered on first use. */
		final Map<String, Counter> warnings = new ConcurrentHashMap<>();

		/**
		 * The remaining-gauges of the quota's budgets, by kind, unit and window; changed only
		 * under the lifecycle lock, as the quota changes.
		 */
		private final Map<String, Meter> quotaGauges = new HashMap<>();

		private final Tags tags;

		AgentMeters(MeterRegistry registry, Tags tags, QuotaStatistics statistics, PolicyEngine engine,
				String agentId) {
			this.statistics = statistics;
			this.tags = tags;
			gauge(registry, tags, "limit", "The maximum number of concurrent executions of the agent", "permits",
					QuotaStatistics::maxConcurrentExecutions);
			gauge(registry, tags, "in.flight", "The executions of the agent holding a permit now", "permits",
					QuotaStatistics::inFlight);
			gauge(registry, tags, "available", "The permits of the agent free now", "permits",
					QuotaStatistics::available);
			gauge(registry, tags, "waiting", "The callers waiting for a permit of the agent now", "callers",
					QuotaStatistics::waiting);
			Monotonic acquired = new Monotonic(QuotaStatistics::acquired);
			counter(registry, tags, "permitted", "none", acquired);
			for (RejectionReason reason : RejectionReason.values()) {
				counter(registry, tags, "rejected", reason.name().toLowerCase(Locale.ROOT),
						(agent) -> agent.rejected(reason));
			}
			this.waitPermitted = waitTimer(registry, tags.and(OUTCOME_TAG, "permitted"), acquired,
					QuotaStatistics::acquiredWaitNanos);
			this.waitRejected = waitTimer(registry, tags.and(OUTCOME_TAG, "rejected"), QuotaStatistics::rejected,
					QuotaStatistics::rejectedWaitNanos);
			followQuota(registry, tags, engine.getQuota(agentId).orElse(null), engine, agentId);
			timer(registry, tags, "hold", "The time a permit of the agent was held, from grant to release",
					QuotaStatistics::timedReleases, QuotaStatistics::heldNanos);
		}

		/**
		 * The wait timer: a {@link Timer} recorded per call when the registry's filters give it
		 * percentiles, a histogram or SLO buckets, else a function timer reading the engine's
		 * totals, which costs nothing per call.
		 */
		private @Nullable Timer waitTimer(MeterRegistry registry, Tags tags, ToLongFunction<QuotaStatistics> count,
				ToLongFunction<QuotaStatistics> totalNanos) {
			String description = "The time a caller waited for a permit of the agent before it was granted or refused";
			Timer timer = Timer.builder(PREFIX + "wait").description(description).tags(tags).register(registry);
			HistogramSnapshot distribution = timer.takeSnapshot();
			if (distribution.percentileValues().length > 0 || distribution.histogramCounts().length > 0) {
				add(timer);
				return timer;
			}
			registry.remove(timer);
			timer(registry, tags, "wait", description, count, totalNanos);
			return null;
		}

		/**
		 * Make the gauges of the quota's request budgets and token, cost and request budgets
		 * match the quota: register one for each budget that has none, remove those of budgets
		 * the quota no longer has. A budget that keeps its unit and window keeps its gauge, which
		 * reads the new limit. Called under the lifecycle lock.
		 */
		void followQuota(MeterRegistry registry, Tags tags, @Nullable ResourceQuota quota, PolicyEngine engine,
				String agentId) {
			Map<String, Supplier<Meter>> wanted = new LinkedHashMap<>();
			if (quota != null) {
				if (quota.maxRequestsPerMinute().isPresent()) {
					wanted.put("rate minute", () -> rateRemaining(registry, tags, "minute",
							() -> engine.snapshot(agentId).map(QuotaSnapshot::availableRequestsPerMinute).orElse(null)));
				}
				if (quota.maxRequestsPerHour().isPresent()) {
					wanted.put("rate hour", () -> rateRemaining(registry, tags, "hour",
							() -> engine.snapshot(agentId).map(QuotaSnapshot::availableRequestsPerHour).orElse(null)));
				}
				for (Budget budget : quota.budgets()) {
					wanted.put("budget " + budget.unit().configName() + " " + budget.window(),
							() -> budgetRemaining(registry, tags, budget, engine, agentId));
				}
			}
			this.quotaGauges.entrySet().removeIf((gauge) -> {
				if (wanted.containsKey(gauge.getKey())) {
					return false;
				}
				registry.remove(gauge.getValue());
				this.all.remove(gauge.getValue());
				return true;
			});
			wanted.forEach((key, register) -> {
				if (!this.quotaGauges.containsKey(key)) {
					this.quotaGauges.put(key, register.get());
				}
			});
		}

		/**
		 * What is left of one window's request budget; read from a snapshot when published, NaN
		 * while the agent is gone.
		 */
		private Meter rateRemaining(MeterRegistry registry, Tags tags, String window,
				Supplier<@Nullable Long> remaining) {
			return add(Gauge.builder(PREFIX + "rate.remaining", this.statistics, (agent) -> {
				Long value = remaining.get();
				return (value != null) ? value : Double.NaN;
			})
				.description("The requests the agent may still make in the window before its rate budget refuses")
				.baseUnit("requests")
				.tags(tags)
				.tag("window", window)
				.register(registry));
		}

		/**
		 * What is left of one budget, in its unit (cost in the pricing currency; negative while
		 * overdrawn); NaN while the agent is gone.
		 */
		private Meter budgetRemaining(MeterRegistry registry, Tags tags, Budget budget, PolicyEngine engine,
				String agentId) {
			BudgetUnit unit = budget.unit();
			String window = budget.window().toString();
			return add(Gauge.builder(PREFIX + "budget.remaining", this.statistics, (agent) -> engine.snapshot(agentId)
				.flatMap((snapshot) -> snapshot.budgets()
					.stream()
					.filter((status) -> status.budget().unit() == unit
							&& status.budget().window().toString().equals(window))
					.findFirst())
				.map(BudgetStatus::remainingAmount)
				.map(Number::doubleValue)
				.orElse(Double.NaN))
				.description("What the agent may still spend of the budget in its window")
				.baseUnit(unit.configName())
				.tags(tags)
				.tag(UNIT_TAG, unit.configName())
				.tag(WINDOW_TAG, window)
				.register(registry));
		}

		private void gauge(MeterRegistry registry, Tags tags, String name, String description, String baseUnit,
				ToDoubleFunction<QuotaStatistics> value) {
			add(Gauge.builder(PREFIX + name, this.statistics, value)
				.description(description)
				.baseUnit(baseUnit)
				.tags(tags)
				.register(registry));
		}

		private void counter(MeterRegistry registry, Tags tags, String outcome, String reason,
				ToLongFunction<QuotaStatistics> count) {
			add(FunctionCounter.builder(PREFIX + "calls", this.statistics, (agent) -> count.applyAsLong(agent))
				.description("The calls that asked the agent's quota for a permit, by outcome and rejection reason")
				.baseUnit("calls")
				.tags(tags)
				.tag(OUTCOME_TAG, outcome)
				.tag(REASON_TAG, reason)
				.register(registry));
		}

		private void timer(MeterRegistry registry, Tags tags, String name, String description,
				ToLongFunction<QuotaStatistics> count, ToLongFunction<QuotaStatistics> totalNanos) {
			add(FunctionTimer
				.builder(PREFIX + name, this.statistics, count, (agent) -> totalNanos.applyAsLong(agent),
						TimeUnit.NANOSECONDS)
				.description(description)
				.tags(tags)
				.register(registry));
		}

		private Meter add(Meter meter) {
			this.all.add(meter);
			return meter;
		}

	}

	/**
	 * A count that never steps back when read: the engine's grant total may dip by one while a
	 * grant is being revoked, and a published counter that decreases reads as a reset.
	 */
	private static final class Monotonic implements ToLongFunction<QuotaStatistics> {

		private final ToLongFunction<QuotaStatistics> count;

		private final AtomicLong highest = new AtomicLong();

		Monotonic(ToLongFunction<QuotaStatistics> count) {
			this.count = count;
		}

		@Override
		public long applyAsLong(QuotaStatistics statistics) {
			return this.highest.accumulateAndGet(this.count.applyAsLong(statistics), Math::max);
		}

	}

}
