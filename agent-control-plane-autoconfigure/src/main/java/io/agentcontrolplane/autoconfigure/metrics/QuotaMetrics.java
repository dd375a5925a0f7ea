package io.agentcontrolplane.autoconfigure.metrics;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.ToDoubleFunction;

import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaListener;
import io.agentcontrolplane.quota.QuotaSnapshot;
import io.agentcontrolplane.quota.RejectionReason;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.jspecify.annotations.Nullable;

/**
 * A {@link MeterBinder} for the agents of a {@link PolicyEngine}: gauges reading each agent's
 * live limit, in-flight, available and waiting counts, a counter of permitted and rejected calls,
 * and timers for the time spent waiting for a permit and the time a permit was held. Every meter
 * carries the {@code agent} tag (plus the {@link Tags tags} given at construction).
 *
 * <p>The binder is also a {@link QuotaListener}: an agent's meters are registered once, when the
 * agent becomes known, and are removed with it, so dynamic agents that the engine evicts when
 * idle take their meters with them. The engine tells its listeners after the change, outside its
 * locks, so for one agent id an eviction's "removed" can arrive after a re-creation's "added"
 * (or the reverse): each of these events therefore makes the agent's meters follow what the
 * engine knows of the agent at that moment, rather than trusting the event's order. Calls are
 * recorded on instances kept per agent, without any
 * registry look-up. Events for agents the engine does not know (unknown agents under the
 * {@code allow} policy) are not recorded, so that request-supplied ids cannot grow the meters
 * without bound.
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
	public void onAgentAdded(String agentId) {
		reconcile(agentId);
	}

	@Override
	public void onAgentRemoved(String agentId) {
		reconcile(agentId);
	}

	/**
	 * Make the agent's meters follow whether the engine knows the agent now. Serialised by the
	 * lifecycle lock, so the last event for an id to run here, which runs after the engine's
	 * last change of that id, leaves the meters matching the engine: a late "removed" of an
	 * evicted agent keeps the meters of the agent re-created under the same id, and a late
	 * "added" of an agent evicted meanwhile registers nothing.
	 */
	private void reconcile(String agentId) {
		if (this.registry == null) {
			return;
		}
		this.lifecycleLock.lock();
		try {
			if (this.engine.getQuota(agentId).isPresent()) {
				register(agentId);
			}
			else {
				unregister(agentId);
			}
		}
		finally {
			this.lifecycleLock.unlock();
		}
	}

	@Override
	public void onAcquired(String agentId, long waitNanos) {
		AgentMeters meters = this.agents.get(agentId);
		if (meters != null) {
			meters.permitted.increment();
			meters.permittedWait.record(Math.max(0, waitNanos), TimeUnit.NANOSECONDS);
		}
	}

	@Override
	public void onRejected(String agentId, RejectionReason reason, long waitNanos) {
		AgentMeters meters = this.agents.get(agentId);
		if (meters != null) {
			meters.rejected.get(reason).increment();
			meters.rejectedWait.record(Math.max(0, waitNanos), TimeUnit.NANOSECONDS);
		}
	}

	@Override
	public void onReleased(String agentId, long heldNanos) {
		AgentMeters meters = this.agents.get(agentId);
		if (meters != null && heldNanos >= 0) {
			meters.hold.record(heldNanos, TimeUnit.NANOSECONDS);
		}
	}

	private void register(String agentId) {
		MeterRegistry registry = this.registry;
		if (registry == null) {
			return;
		}
		this.lifecycleLock.lock();
		try {
			if (!this.closed && !this.agents.containsKey(agentId)) {
				this.agents.put(agentId, new AgentMeters(registry, Tags.of(this.tags).and(AGENT_TAG, agentId), agentId));
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

	private double read(String agentId, ToDoubleFunction<QuotaSnapshot> value) {
		QuotaSnapshot snapshot = this.engine.snapshot(agentId).orElse(null);
		return (snapshot != null) ? value.applyAsDouble(snapshot) : Double.NaN;
	}

	/**
	 * The meters of one agent, registered once and kept for the per-call paths.
	 */
	private final class AgentMeters {

		private final List<Meter> all = new ArrayList<>();

		private final Counter permitted;

		private final Map<RejectionReason, Counter> rejected = new EnumMap<>(RejectionReason.class);

		private final Timer permittedWait;

		private final Timer rejectedWait;

		private final Timer hold;

		AgentMeters(MeterRegistry registry, Tags tags, String agentId) {
			gauge(registry, tags, "limit", "The maximum number of concurrent executions of the agent", "permits",
					agentId, QuotaSnapshot::maxConcurrentExecutions);
			gauge(registry, tags, "in.flight", "The executions of the agent holding a permit now", "permits", agentId,
					QuotaSnapshot::inFlight);
			gauge(registry, tags, "available", "The permits of the agent free now", "permits", agentId,
					QuotaSnapshot::available);
			gauge(registry, tags, "waiting", "The callers waiting for a permit of the agent now", "callers", agentId,
					QuotaSnapshot::waiting);
			this.permitted = counter(registry, tags, "permitted", "none");
			for (RejectionReason reason : RejectionReason.values()) {
				this.rejected.put(reason, counter(registry, tags, "rejected", reason.name().toLowerCase(Locale.ROOT)));
			}
			this.permittedWait = waitTimer(registry, tags, "permitted");
			this.rejectedWait = waitTimer(registry, tags, "rejected");
			this.hold = add(Timer.builder(PREFIX + "hold")
				.description("The time a permit of the agent was held, from grant to release")
				.tags(tags)
				.register(registry));
		}

		private void gauge(MeterRegistry registry, Tags tags, String name, String description, String baseUnit,
				String agentId, ToDoubleFunction<QuotaSnapshot> value) {
			add(Gauge.builder(PREFIX + name, QuotaMetrics.this, (metrics) -> metrics.read(agentId, value))
				.description(description)
				.baseUnit(baseUnit)
				.tags(tags)
				.register(registry));
		}

		private Counter counter(MeterRegistry registry, Tags tags, String outcome, String reason) {
			return add(Counter.builder(PREFIX + "calls")
				.description("The calls that asked the agent's quota for a permit, by outcome and rejection reason")
				.baseUnit("calls")
				.tags(tags)
				.tag(OUTCOME_TAG, outcome)
				.tag(REASON_TAG, reason)
				.register(registry));
		}

		private Timer waitTimer(MeterRegistry registry, Tags tags, String outcome) {
			return add(Timer.builder(PREFIX + "wait")
				.description("The time a caller waited for a permit of the agent before it was granted or refused")
				.tags(tags)
				.tag(OUTCOME_TAG, outcome)
				.register(registry));
		}

		private <M extends Meter> M add(M meter) {
			this.all.add(meter);
			return meter;
		}

	}

}
