package io.agentcontrolplane.quota;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Randomized, time-bounded soak of {@link PolicyEngine}: platform threads (and, on Java 21+,
 * virtual threads) mix {@code tryAcquire}, {@code acquire}, {@code acquireAsync},
 * {@code admit}/{@code admitAsync}, slot acquire/release, exceptions inside the held section,
 * double closes, self- and cross-thread interrupts, cancellations and wait time-outs, while an
 * admin thread resizes quotas live and removes and re-adds them, and one listener throws.
 *
 * <p>Invariants checked after every step: an admission never makes the number of permits held
 * exceed the largest limit that could have been in force since the caller asked (so permits
 * granted before a shrink may keep counting, but nothing new is admitted while in-flight is at or
 * over the new limit); snapshots never show negative or inconsistent counts; a future never hangs.
 * At the end: every agent has nothing in flight and nobody waiting, the listener saw as many
 * releases as grants, and every agent's full capacity, and not one permit more, can be taken.
 *
 * <p>Budget: {@code -Dacp.soak.duration=10s} per scenario (default 5s; {@code PT1M}, {@code 90s},
 * {@code 500ms} are accepted). Seed: printed at the start and in every failure;
 * {@code -Dacp.soak.seed=N} replays the same sequence of operations (thread interleavings differ
 * from run to run, so a replay is likely rather than certain to fail the same way).
 */
@Tag("soak")
class PolicyEngineSoakTests {

	private static final Duration BUDGET = budget();

	private static final long SEED = Long.getLong("acp.soak.seed", System.nanoTime());

	/** Longest any single future or join may take before it counts as a hang. */
	private static final Duration HANG = Duration.ofSeconds(30);

	@Test
	void staticAgentsSurviveResizesRemovalsInterruptsAndCancellations() throws Exception {
		PolicyEngine engine = PolicyEngine.builder().unknownAgentPolicy(UnknownAgentPolicy.REJECT).build();
		List<AgentModel> agents = List.of(
				new AgentModel("soak-removable", true, false,
						(limit) -> ResourceQuota.builder("soak-removable").maxConcurrentExecutions(limit)),
				new AgentModel("soak-unfair-rated", false, false,
						(limit) -> ResourceQuota.builder("soak-unfair-rated")
							.maxConcurrentExecutions(limit)
							.fair(false)
							.maxRequestsPerMinute(600)
							.allowedActionTypes(ActionType.API_CALL, ActionType.FILE_READ)),
				new AgentModel("soak-slots", false, true,
						(limit) -> ResourceQuota.builder("soak-slots").maxConcurrentExecutions(limit)));
		Soak soak = new Soak("static", engine, agents, SEED);
		soak.run();
		soak.assertAccounted();
	}

	@Test
	void dynamicAgentsAreNeverEvictedWhileInUse() throws Exception {
		PolicyEngine engine = PolicyEngine.builder()
			.unknownAgentPolicy(UnknownAgentPolicy.DEFAULT_QUOTA)
			.defaultQuota(ResourceQuota.builder("template")
				.maxConcurrentExecutions(2)
				.maxWait(Duration.ofMillis(2))
				.build())
			.maxDynamicAgents(3)
			// Short enough that idle tenants are evicted all the time (below 2 ms it also sweeps on
			// every creation, which once made new tenants spin beside busy ones: D1).
			.dynamicAgentIdleTimeout(Duration.ofMillis(1))
			.build();
		List<AgentModel> tenants = new ArrayList<>();
		for (int i = 0; i < 8; i++) {
			tenants.add(AgentModel.dynamic("tenant-" + i, 2));
		}
		Soak soak = new Soak("dynamic", engine, tenants, SEED + 1);
		soak.run();
		soak.assertAccounted();
		assertThat(soak.listener.agentsRemoved.sum()).as("evictions, so that evict-vs-acquire was raced %s",
				soak.context()).isPositive();
	}

	private static Duration budget() {
		String value = System.getProperty("acp.soak.duration", "5s").trim().toLowerCase(Locale.ROOT);
		try {
			if (value.startsWith("pt")) {
				return Duration.parse(value);
			}
			if (value.endsWith("ms")) {
				return Duration.ofMillis(Long.parseLong(value.substring(0, value.length() - 2)));
			}
			if (value.endsWith("s")) {
				return Duration.ofSeconds(Long.parseLong(value.substring(0, value.length() - 1)));
			}
			if (value.endsWith("m")) {
				return Duration.ofMinutes(Long.parseLong(value.substring(0, value.length() - 1)));
			}
			return Duration.ofSeconds(Long.parseLong(value));
		}
		catch (NumberFormatException | DateTimeParseException ex) {
			throw new IllegalArgumentException("acp.soak.duration must look like 10s, 500ms, 2m or PT10S, was '"
					+ value + "'", ex);
		}
	}

	/** What the test knows about one agent: its quota factory and the permits it holds. */
	static final class AgentModel {

		final String id;

		final boolean removable;

		final boolean slots;

		final java.util.function.IntFunction<ResourceQuota.Builder> quota;

		/**
		 * The incarnation in force; {@code null} from just before its removal until just after the
		 * next {@code setQuota} returned. Written by the admin only.
		 */
		volatile @Nullable Incarnation current;

		/**
		 * Set while the agent certainly has no quota: after {@code removeQuota} returned and before
		 * the next {@code setQuota} is called. A call that starts and ends under the same token must
		 * be refused (policy {@code REJECT}).
		 */
		volatile @Nullable Object gap;

		final AtomicInteger incarnations = new AtomicInteger();

		/** Slots taken with {@code tryAcquireExecutionSlot} and not yet released. */
		final AtomicInteger slotsHeld = new AtomicInteger();

		AgentModel(String id, boolean removable, boolean slots,
				java.util.function.IntFunction<ResourceQuota.Builder> quota) {
			this.id = id;
			this.removable = removable;
			this.slots = slots;
			this.quota = quota;
		}

		static AgentModel dynamic(String id, int limit) {
			AgentModel model = new AgentModel(id, false, false, null);
			model.current = new Incarnation(0, limit);
			return model;
		}

		boolean isDynamic() {
			return this.quota == null;
		}

		ResourceQuota build(int limit, Duration maxWait) {
			return this.quota.apply(limit).maxWait(maxWait).build();
		}

	}

	/**
	 * One life of an agent between a {@code setQuota} and its removal: the permits attributed to
	 * it and the history of its limits, so an admission can be checked against every limit that
	 * could have been in force while it waited.
	 */
	static final class Incarnation {

		final int number;

		final AtomicInteger inside = new AtomicInteger();

		final AtomicInteger maxInside = new AtomicInteger();

		/** Limits in the order they were set; during a resize an entry holds max(old, new). */
		final List<Integer> limits = new CopyOnWriteArrayList<>();

		Incarnation(int number, int limit) {
			this.number = number;
			this.limits.add(limit);
		}

		int mark() {
			return this.limits.size() - 1;
		}

		int maxLimitSince(int mark) {
			int max = 0;
			List<Integer> snapshot = this.limits;
			for (int i = mark; i < snapshot.size(); i++) {
				max = Math.max(max, snapshot.get(i));
			}
			return max;
		}

		int limit() {
			return this.limits.get(this.limits.size() - 1);
		}

	}

	/** Counts what the engine reports, and throws now and then to prove it is ignored. */
	static final class CountingListener implements QuotaListener {

		final LongAdder acquired = new LongAdder();

		final LongAdder released = new LongAdder();

		final LongAdder rejected = new LongAdder();

		final LongAdder agentsRemoved = new LongAdder();

		final Map<RejectionReason, LongAdder> rejectedByReason = new ConcurrentHashMap<>();

		@Override
		public void onAcquired(String agentId, long waitNanos) {
			this.acquired.increment();
		}

		@Override
		public void onReleased(String agentId, long heldNanos) {
			this.released.increment();
		}

		@Override
		public void onRejected(String agentId, RejectionReason reason, long waitNanos) {
			this.rejected.increment();
			this.rejectedByReason.computeIfAbsent(reason, (r) -> new LongAdder()).increment();
		}

		@Override
		public void onAgentRemoved(String agentId) {
			this.agentsRemoved.increment();
		}

	}

	/** A listener that throws on every call: the engine must ignore it. */
	static final class ThrowingListener implements QuotaListener {

		@Override
		public void onAcquired(String agentId, long waitNanos) {
			throw new IllegalStateException("listener failure (expected, ignored by the engine)");
		}

		@Override
		public void onReleased(String agentId, long heldNanos) {
			throw new IllegalStateException("listener failure (expected, ignored by the engine)");
		}

		@Override
		public void onRejected(String agentId, RejectionReason reason, long waitNanos) {
			throw new IllegalStateException("listener failure (expected, ignored by the engine)");
		}

	}

	enum Op {

		TRY_ACQUIRE, ACQUIRE, ACQUIRE_SELF_INTERRUPTED, ACQUIRE_ASYNC_WAIT, ACQUIRE_ASYNC_CANCEL, ADMIT, ADMIT_ASYNC,
		SLOT, THROW_INSIDE

	}

	/** One soak run: workers, an admin thread, an interrupter, and the bookkeeping. */
	static final class Soak {

		final String name;

		final PolicyEngine engine;

		final List<AgentModel> agents;

		final long seed;

		final CountingListener listener = new CountingListener();

		final Queue violations = new Queue();

		final Map<Op, LongAdder> ops = new ConcurrentHashMap<>();

		final LongAdder steps = new LongAdder();

		final LongAdder obtained = new LongAdder();

		final LongAdder closed = new LongAdder();

		final LongAdder refused = new LongAdder();

		final LongAdder interruptedOutcomes = new LongAdder();

		final LongAdder cancelled = new LongAdder();

		final LongAdder resizes = new LongAdder();

		final LongAdder removals = new LongAdder();

		final LongAdder interruptsSent = new LongAdder();

		final List<Worker> workers = new ArrayList<>();

		volatile long deadline;

		Soak(String name, PolicyEngine engine, List<AgentModel> agents, long seed) {
			this.name = name;
			this.engine = engine;
			this.agents = agents;
			this.seed = seed;
			engine.addListener(new ThrowingListener());
			engine.addListener(this.listener);
			Random random = new Random(seed);
			for (AgentModel agent : agents) {
				if (!agent.isDynamic()) {
					int limit = 1 + random.nextInt(4);
					agent.current = new Incarnation(agent.incarnations.getAndIncrement(), limit);
					engine.setQuota(agent.id, agent.build(limit, Duration.ofMillis(random.nextInt(10))));
				}
			}
		}

		String context() {
			return "[soak " + this.name + ", seed " + this.seed + " (-Dacp.soak.seed=" + this.seed
					+ " replays it), budget " + BUDGET + "]";
		}

		void run() throws Exception {
			System.out.println("Soak " + this.name + ": seed " + this.seed + ", budget " + BUDGET + ", "
					+ Runtime.getRuntime().availableProcessors() + " CPUs, Java " + Runtime.version()
					+ (VirtualThreads.AVAILABLE ? ", platform and virtual threads" : ", platform threads only"));
			int platform = 6;
			int virtual = VirtualThreads.AVAILABLE ? 6 : 0;
			CountDownLatch start = new CountDownLatch(1);
			List<Thread> threads = new ArrayList<>();
			for (int i = 0; i < platform + virtual; i++) {
				Worker worker = new Worker(this, i, new Random(this.seed * 31 + i), start);
				this.workers.add(worker);
				Thread thread = (i < platform) ? new Thread(worker, "soak-" + this.name + "-platform-" + i)
						: VirtualThreads.unstarted(worker, "soak-" + this.name + "-virtual-" + i);
				worker.thread = thread;
				threads.add(thread);
			}
			Thread admin = new Thread(() -> admin(start, new Random(this.seed * 17)), "soak-" + this.name + "-admin");
			Thread interrupter = new Thread(() -> interrupter(start, new Random(this.seed * 13)),
					"soak-" + this.name + "-interrupter");
			threads.add(admin);
			threads.add(interrupter);
			threads.forEach(Thread::start);
			this.deadline = System.nanoTime() + BUDGET.toNanos();
			start.countDown();
			long joinDeadline = this.deadline + HANG.toNanos();
			for (Thread thread : threads) {
				long left = joinDeadline - System.nanoTime();
				thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
				if (thread.isAlive()) {
					this.violations.add("hang: " + thread.getName() + " still running " + HANG
							+ " after the budget ended\n" + dump());
					threads.forEach(Thread::interrupt);
					break;
				}
			}
			System.out.println("Soak " + this.name + ": " + this.steps.sum() + " steps " + this.ops + "; permits "
					+ this.obtained.sum() + " obtained / " + this.closed.sum() + " closed, " + this.refused.sum()
					+ " refused, " + this.cancelled.sum() + " cancelled, " + this.interruptedOutcomes.sum()
					+ " interrupted; " + this.resizes.sum() + " resizes, " + this.removals.sum() + " removals, "
					+ this.interruptsSent.sum() + " interrupts sent; listener acquired "
					+ this.listener.acquired.sum() + ", released " + this.listener.released.sum() + ", rejected "
					+ this.listener.rejectedByReason + ", agents removed or evicted " + this.listener.agentsRemoved.sum()
					+ "; max held per agent "
					+ this.agents.stream().map((a) -> a.id + "=" + maxInside(a)).toList());
		}

		private static String maxInside(AgentModel agent) {
			Incarnation current = agent.current;
			return (current != null) ? String.valueOf(current.maxInside.get()) : "-";
		}

		boolean running() {
			return System.nanoTime() < this.deadline && this.violations.isEmpty();
		}

		/** Resizes (and removes and re-adds) quotas while the workers run. */
		void admin(CountDownLatch start, Random random) {
			await(start);
			while (running()) {
				AgentModel agent = this.agents.get(random.nextInt(this.agents.size()));
				if (agent.isDynamic()) {
					// Dynamic agents are never removed by hand here: only the engine evicts them, and
					// nudging it with unknown ids makes evictions frequent.
					this.engine.tryAcquire("churn-" + random.nextInt(1000)).ifPresent(Permit::close);
				}
				else if (agent.removable && random.nextInt(5) == 0) {
					removeAndReadd(agent, random);
				}
				else {
					resize(agent, random);
				}
				// Paces the adversary so that workers get time between changes; nothing waits on it.
				LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(200 + random.nextInt(1500)));
			}
		}

		private void resize(AgentModel agent, Random random) {
			Incarnation incarnation = agent.current;
			if (incarnation == null) {
				return;
			}
			int old = incarnation.limit();
			int limit = random.nextInt(6);
			incarnation.limits.add(Math.max(old, limit));
			this.engine.setQuota(agent.id, agent.build(limit, Duration.ofMillis(random.nextInt(20))));
			incarnation.limits.add(limit);
			this.resizes.increment();
		}

		private void removeAndReadd(AgentModel agent, Random random) {
			agent.current = null;
			this.engine.removeQuota(agent.id);
			this.removals.increment();
			agent.gap = new Object();
			// Give the workers a moment with the agent unknown (REJECT policy): every call is refused.
			LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(random.nextInt(500)));
			agent.gap = null;
			int limit = 1 + random.nextInt(4);
			Incarnation next = new Incarnation(agent.incarnations.getAndIncrement(), limit);
			this.engine.setQuota(agent.id, agent.build(limit, Duration.ofMillis(random.nextInt(20))));
			agent.current = next;
		}

		/** Interrupts workers while they are blocked in {@code acquire} or waiting for a future. */
		void interrupter(CountDownLatch start, Random random) {
			await(start);
			while (running()) {
				Worker worker = this.workers.get(random.nextInt(this.workers.size()));
				if (worker.blocking) {
					worker.thread.interrupt();
					this.interruptsSent.increment();
				}
				// Paces the adversary; nothing waits on it.
				LockSupport.parkNanos(TimeUnit.MICROSECONDS.toNanos(100 + random.nextInt(1000)));
			}
		}

		void assertAccounted() {
			assertThat(this.violations.all()).as("invariant violations %s", context()).isEmpty();
			assertThat(this.steps.sum()).as("steps run %s", context()).isPositive();
			assertThat(this.closed.sum()).as("permits closed by the test %s", context())
				.isEqualTo(this.obtained.sum());
			for (AgentModel agent : this.agents) {
				if (agent.slots) {
					assertThat(agent.slotsHeld.get()).as("slots still held by the test %s", context()).isZero();
				}
				Optional<QuotaSnapshot> snapshot = this.engine.snapshot(agent.id);
				if (snapshot.isPresent()) {
					assertThat(snapshot.get().inFlight()).as("in-flight of %s at the end %s", agent.id, context())
						.isZero();
					assertThat(snapshot.get().waiting()).as("waiting of %s at the end %s", agent.id, context())
						.isZero();
				}
			}
			for (QuotaSnapshot snapshot : this.engine.snapshots().values()) {
				assertThat(snapshot.inFlight()).as("in-flight of %s at the end %s", snapshot.agentId(), context())
					.isZero();
				assertThat(snapshot.waiting()).as("waiting of %s at the end %s", snapshot.agentId(), context())
					.isZero();
			}
			assertThat(this.listener.released.sum()).as("releases seen by the listener %s", context())
				.isEqualTo(this.listener.acquired.sum());
			assertThat(this.listener.acquired.sum()).as("grants seen by the listener %s", context())
				.isGreaterThanOrEqualTo(this.obtained.sum());
			for (AgentModel agent : this.agents) {
				Incarnation incarnation = agent.current;
				if (incarnation == null) {
					continue;
				}
				int limit = incarnation.limit();
				List<Permit> taken = new ArrayList<>();
				try {
					for (int i = 0; i <= limit; i++) {
						this.engine.tryAcquire(agent.id).ifPresent(taken::add);
					}
					assertThat(taken).as("permits of %s (limit %d) free at the end %s", agent.id, limit, context())
						.hasSize(limit);
				}
				finally {
					taken.forEach(Permit::close);
				}
			}
		}

		String dump() {
			StringBuilder dump = new StringBuilder();
			for (ThreadInfo info : ManagementFactory.getThreadMXBean().dumpAllThreads(false, false)) {
				dump.append(info);
			}
			return dump.toString();
		}

	}

	/** One worker thread: a seeded random sequence of operations. */
	static final class Worker implements Runnable {

		final Soak soak;

		final int index;

		final Random random;

		final CountDownLatch start;

		volatile Thread thread;

		/** Whether the worker is in a call that may block, so that interrupting it is interesting. */
		volatile boolean blocking;

		Worker(Soak soak, int index, Random random, CountDownLatch start) {
			this.soak = soak;
			this.index = index;
			this.random = random;
			this.start = start;
		}

		@Override
		public void run() {
			await(this.start);
			Op[] ops = Op.values();
			while (this.soak.running()) {
				// An interrupt aimed at the previous step may land late; it must not leak into this one.
				Thread.interrupted();
				AgentModel agent = this.soak.agents.get(this.random.nextInt(this.soak.agents.size()));
				Op op = ops[this.random.nextInt(ops.length)];
				if (op == Op.SLOT && !agent.slots) {
					op = Op.TRY_ACQUIRE;
				}
				this.soak.ops.computeIfAbsent(op, (o) -> new LongAdder()).increment();
				try {
					step(agent, op);
				}
				catch (Throwable ex) {
					this.soak.violations.add(op + " on " + agent.id + " threw " + ex + "\n" + stack(ex));
				}
				checkSnapshot(agent);
				this.soak.steps.increment();
			}
			Thread.interrupted();
		}

		private void step(AgentModel agent, Op op) throws Exception {
			switch (op) {
				case TRY_ACQUIRE -> {
					Admission admission = admission(agent);
					Optional<Permit> permit;
					try {
						permit = this.soak.engine.tryAcquire(agent.id);
					}
					catch (QuotaExceededException ex) {
						// An engine may refuse an unknown agent (REJECT) by throwing rather than by empty.
						permit = Optional.empty();
					}
					if (permit.isPresent()) {
						hold(agent, admission, permit.get(), false);
					}
					else {
						this.soak.refused.increment();
					}
				}
				case ACQUIRE -> blocking(agent, () -> this.soak.engine.acquire(agent.id), false);
				case ACQUIRE_SELF_INTERRUPTED -> {
					Admission admission = admission(agent);
					Thread.currentThread().interrupt();
					Permit permit = null;
					try {
						permit = this.soak.engine.acquire(agent.id);
					}
					catch (RuntimeException ex) {
						if (!(ex instanceof QuotaExceededException)) {
							this.soak.interruptedOutcomes.increment();
						}
						else {
							this.soak.refused.increment();
						}
					}
					if (!Thread.currentThread().isInterrupted()) {
						this.soak.violations.add("acquire() on " + agent.id
								+ " cleared the caller's interrupt flag (outcome " + permit + ")");
					}
					Thread.interrupted();
					if (permit != null) {
						hold(agent, admission, permit, false);
					}
				}
				case ACQUIRE_ASYNC_WAIT -> async(agent, () -> this.soak.engine.acquireAsync(agent.id), false);
				case ACQUIRE_ASYNC_CANCEL -> async(agent, () -> this.soak.engine.acquireAsync(agent.id), true);
				case ADMIT -> {
					ActionType action = randomAction();
					Duration maxWait = randomMaxWait();
					blocking(agent, () -> this.soak.engine.admit(agent.id, action, maxWait), false);
				}
				case ADMIT_ASYNC -> {
					ActionType action = randomAction();
					Duration maxWait = randomMaxWait();
					async(agent, () -> this.soak.engine.admitAsync(agent.id, action, maxWait),
							this.random.nextBoolean());
				}
				case SLOT -> slot(agent);
				case THROW_INSIDE -> blocking(agent, () -> this.soak.engine.acquire(agent.id), true);
			}
		}

		private @Nullable ActionType randomAction() {
			int pick = this.random.nextInt(ActionType.values().length + 2);
			return (pick < ActionType.values().length) ? ActionType.values()[pick] : null;
		}

		private @Nullable Duration randomMaxWait() {
			int pick = this.random.nextInt(4);
			return (pick == 0) ? null : Duration.ofMillis(this.random.nextInt(15));
		}

		private void blocking(AgentModel agent, Supplier<Permit> call, boolean throwInside) {
			Admission admission = admission(agent);
			Permit permit;
			this.blocking = true;
			try {
				permit = call.get();
			}
			catch (QuotaExceededException ex) {
				this.soak.refused.increment();
				return;
			}
			catch (RuntimeException ex) {
				if (Thread.currentThread().isInterrupted()) {
					// Interrupted while waiting: no permit, flag kept (checked by accounting at the end).
					this.soak.interruptedOutcomes.increment();
					return;
				}
				throw ex;
			}
			finally {
				this.blocking = false;
			}
			Thread.interrupted();
			hold(agent, admission, permit, throwInside);
		}

		private void async(AgentModel agent, Supplier<CompletableFuture<Permit>> call, boolean cancel)
				throws Exception {
			Admission admission = admission(agent);
			CompletableFuture<Permit> future = call.get();
			if (cancel) {
				if (this.random.nextBoolean()) {
					// Let the race with a grant happen a little later sometimes; simulates work.
					LockSupport.parkNanos(this.random.nextInt(200_000));
				}
				if (future.cancel(this.random.nextBoolean())) {
					this.soak.cancelled.increment();
					return;
				}
			}
			Permit permit;
			try {
				permit = awaitBounded(future);
			}
			catch (ExecutionException ex) {
				if (ex.getCause() instanceof QuotaExceededException) {
					this.soak.refused.increment();
					return;
				}
				throw ex;
			}
			catch (CancellationException ex) {
				this.soak.cancelled.increment();
				return;
			}
			hold(agent, admission, permit, false);
		}

		private Permit awaitBounded(CompletableFuture<Permit> future) throws ExecutionException {
			long deadline = System.nanoTime() + HANG.toNanos();
			this.blocking = true;
			try {
				while (true) {
					try {
						return future.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
					}
					catch (InterruptedException ex) {
						// The interrupter aims at blocked workers; waiting for a future must shrug it off.
					}
					catch (TimeoutException ex) {
						throw new IllegalStateException("hang: a permit future did not complete within " + HANG
								+ " although every wait is at most 20 ms: " + future, ex);
					}
				}
			}
			finally {
				this.blocking = false;
				Thread.interrupted();
			}
		}

		private void slot(AgentModel agent) {
			Admission admission = admission(agent);
			boolean taken;
			try {
				taken = this.soak.engine.tryAcquireExecutionSlot(agent.id);
			}
			catch (QuotaExceededException ex) {
				taken = false;
			}
			if (!taken) {
				this.soak.refused.increment();
				return;
			}
			agent.slotsHeld.incrementAndGet();
			this.soak.obtained.increment();
			Incarnation incarnation = admission.attribute(agent, this.soak.violations);
			enter(agent, admission, incarnation);
			simulateWork();
			leave(incarnation);
			agent.slotsHeld.decrementAndGet();
			this.soak.engine.releaseExecutionSlot(agent.id);
			this.soak.closed.increment();
		}

		private void hold(AgentModel agent, Admission admission, Permit permit, boolean throwInside) {
			this.soak.obtained.increment();
			if (!permit.agentId().equals(agent.id)) {
				this.soak.violations.add("permit for " + permit.agentId() + " returned for " + agent.id);
			}
			Incarnation incarnation = admission.attribute(agent, this.soak.violations);
			try (permit) {
				enter(agent, admission, incarnation);
				try {
					simulateWork();
					if (throwInside) {
						throw new IllegalStateException("task failure (expected)");
					}
				}
				finally {
					leave(incarnation);
				}
			}
			catch (IllegalStateException ex) {
				if (!throwInside) {
					throw ex;
				}
			}
			this.soak.closed.increment();
			if (this.random.nextInt(4) == 0) {
				// A second close must change nothing: the accounting and the limit check would see it.
				permit.close();
			}
		}

		private void enter(AgentModel agent, Admission admission, @Nullable Incarnation incarnation) {
			if (incarnation == null) {
				return;
			}
			int now = incarnation.inside.incrementAndGet();
			incarnation.maxInside.accumulateAndGet(now, Math::max);
			int bound = incarnation.maxLimitSince(admission.mark);
			if (now > bound) {
				this.soak.violations.add("over the limit: " + agent.id + " (incarnation " + incarnation.number
						+ ") had " + now + " permits held after an admission; the largest limit in force since"
						+ " the caller asked was " + bound + " (limits " + incarnation.limits + ")");
			}
		}

		private void leave(@Nullable Incarnation incarnation) {
			if (incarnation != null) {
				incarnation.inside.decrementAndGet();
			}
		}

		private void simulateWork() {
			int pick = this.random.nextInt(10);
			if (pick < 6) {
				LockSupport.parkNanos(this.random.nextInt(300_000));
			}
			else if (pick < 9) {
				Thread.yield();
			}
		}

		private Admission admission(AgentModel agent) {
			Object gap = agent.gap;
			Incarnation incarnation = agent.current;
			return new Admission(incarnation, (incarnation != null) ? incarnation.mark() : 0, gap);
		}

		private void checkSnapshot(AgentModel agent) {
			Optional<QuotaSnapshot> found = this.soak.engine.snapshot(agent.id);
			if (found.isEmpty()) {
				return;
			}
			QuotaSnapshot snapshot = found.get();
			if (snapshot.inFlight() < 0 || snapshot.waiting() < 0 || snapshot.available() < 0
					|| snapshot.available() > snapshot.maxConcurrentExecutions()
					|| snapshot.available() != Math.max(0, snapshot.maxConcurrentExecutions() - snapshot.inFlight())
					|| snapshot.acquired() < 0 || snapshot.rejected() < 0) {
				this.soak.violations.add("inconsistent snapshot: " + snapshot);
			}
		}

		private static String stack(Throwable ex) {
			java.io.StringWriter out = new java.io.StringWriter();
			ex.printStackTrace(new java.io.PrintWriter(out));
			return out.toString();
		}

	}

	/**
	 * What a caller saw before asking for a permit: the incarnation in force and the position in
	 * its limit history. A permit is attributed to that incarnation only when it is still the one
	 * in force after the grant; otherwise (removed or replaced meanwhile) it is not counted.
	 */
	record Admission(@Nullable Incarnation incarnation, int mark, @Nullable Object gap) {

		@Nullable Incarnation attribute(AgentModel agent, Queue violations) {
			if (this.gap != null && agent.gap == this.gap) {
				// The whole call ran while the agent had no quota: under REJECT nothing may be admitted.
				violations.add("admitted " + agent.id + " while it had no quota under UnknownAgentPolicy.REJECT");
			}
			Incarnation now = agent.current;
			return (this.incarnation != null && now == this.incarnation) ? now : null;
		}

	}

	/** Violations, bounded so that a broken engine cannot fill the heap with messages. */
	static final class Queue {

		private final ConcurrentLinkedQueue<String> messages = new ConcurrentLinkedQueue<>();

		private final AtomicLong count = new AtomicLong();

		void add(String message) {
			if (this.count.incrementAndGet() <= 20) {
				this.messages.add(message);
			}
		}

		boolean isEmpty() {
			return this.count.get() == 0;
		}

		List<String> all() {
			return Collections.unmodifiableList(new ArrayList<>(this.messages));
		}

	}

	private static void await(CountDownLatch latch) {
		try {
			if (!latch.await(HANG.toMillis(), TimeUnit.MILLISECONDS)) {
				throw new IllegalStateException("start latch not released within " + HANG);
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/** Virtual threads through reflection, so that this compiles on Java 17 and uses them on 21+. */
	static final class VirtualThreads {

		static final boolean AVAILABLE = Runtime.version().feature() >= 21;

		static Thread unstarted(Runnable task, String name) {
			try {
				Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
				Class<?> builderType = Class.forName("java.lang.Thread$Builder");
				builder = builderType.getMethod("name", String.class).invoke(builder, name);
				return (Thread) builderType.getMethod("unstarted", Runnable.class).invoke(builder, task);
			}
			catch (ReflectiveOperationException ex) {
				throw new IllegalStateException("virtual threads not available on Java " + Runtime.version(), ex);
			}
		}

	}

}
