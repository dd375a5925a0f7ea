package io.agentcontrolplane.benchmarks;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;

import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.ResourceQuota;
import io.agentcontrolplane.quota.UnknownAgentPolicy;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.ThreadParams;

/**
 * Benchmark group 5 of issue 6: how the engine behaves with many agents and many waiters.
 *
 * <p><b>Round robin</b> (average time per call, 1 and 2 threads): each call takes and returns one
 * slot ({@code tryAcquireExecutionSlot} + {@code releaseExecutionSlot}) of the next of
 * {@value #AGENTS} agents, so that every call misses the CPU caches the way a service with many
 * tenants does. On 2 threads each thread walks the agents from its own starting point. Ours:
 * {@code engine10kAgents} (quotas set up front) and {@code engineDynamic10kAgents} (agents made
 * from a template under {@code UnknownAgentPolicy.DEFAULT_QUOTA}, all created before measuring).
 * Baseline: {@code engineOneAgent}, the same call on one agent (cache-hot; on 2 threads both
 * threads share it). Peers: a {@code ConcurrentHashMap} of {@code Semaphore}s
 * ({@code get} + {@code tryAcquire} + {@code release}) and a Resilience4j {@code BulkheadRegistry}
 * ({@code bulkhead(name)} + {@code tryAcquirePermission} + {@code onComplete}).
 *
 * <p><b>Hand-off</b> (single shot, time per hand-off): {@value #WAITERS} threads wait for the one
 * permit of a fair agent (limit 1) that the benchmark thread holds; the measured operation
 * releases it and waits until every waiter has taken and returned it in turn, so the time per
 * operation is the latency of one hand-off from a releasing thread to the next waiter. Peer: a
 * fair {@link Semaphore} of 1 with the same waiters. The waiters are virtual threads on JDK 21+;
 * JDK 17 has none, so there the same benchmark runs with platform threads (a cached pool) and
 * says so on standard error - read its figures as a platform-thread hand-off, and compare
 * virtual-thread figures only from a JDK 21+ run (the JSON records the JDK of each result).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = { "-Xms1g", "-Xmx1g" })
public class ScaleBenchmark {

	static final int AGENTS = 10_000;

	static final int WAITERS = 1_000;

	static final int LIMIT = 5;

	// --- round robin: ours -----------------------------------------------------------------

	@Benchmark
	@Threads(1)
	public boolean engine10kAgents_1t(Agents agents, Cursor cursor) {
		return slot(agents.engine, agents.ids[cursor.next()]);
	}

	@Benchmark
	@Threads(2)
	public boolean engine10kAgents_2t(Agents agents, Cursor cursor) {
		return slot(agents.engine, agents.ids[cursor.next()]);
	}

	@Benchmark
	@Threads(1)
	public boolean engineDynamic10kAgents_1t(DynamicAgents agents, Cursor cursor) {
		return slot(agents.engine, agents.ids[cursor.next()]);
	}

	@Benchmark
	@Threads(2)
	public boolean engineDynamic10kAgents_2t(DynamicAgents agents, Cursor cursor) {
		return slot(agents.engine, agents.ids[cursor.next()]);
	}

	// --- round robin: baseline and peers ---------------------------------------------------

	@Benchmark
	@Threads(1)
	public boolean engineOneAgent_1t(OneAgent agent) {
		return slot(agent.engine, OneAgent.ID);
	}

	@Benchmark
	@Threads(2)
	public boolean engineOneAgent_2t(OneAgent agent) {
		return slot(agent.engine, OneAgent.ID);
	}

	@Benchmark
	@Threads(1)
	public boolean semaphoreMap10k_1t(SemaphoreMap agents, Cursor cursor) {
		return semaphore(agents.semaphores.get(agents.ids[cursor.next()]));
	}

	@Benchmark
	@Threads(2)
	public boolean semaphoreMap10k_2t(SemaphoreMap agents, Cursor cursor) {
		return semaphore(agents.semaphores.get(agents.ids[cursor.next()]));
	}

	@Benchmark
	@Threads(1)
	public boolean bulkheadRegistry10k_1t(Bulkheads agents, Cursor cursor) {
		return bulkhead(agents.registry.bulkhead(agents.ids[cursor.next()]));
	}

	@Benchmark
	@Threads(2)
	public boolean bulkheadRegistry10k_2t(Bulkheads agents, Cursor cursor) {
		return bulkhead(agents.registry.bulkhead(agents.ids[cursor.next()]));
	}

	private static boolean slot(PolicyEngine engine, String agentId) {
		if (!engine.tryAcquireExecutionSlot(agentId)) {
			return false;
		}
		engine.releaseExecutionSlot(agentId);
		return true;
	}

	private static boolean semaphore(Semaphore semaphore) {
		if (!semaphore.tryAcquire()) {
			return false;
		}
		semaphore.release();
		return true;
	}

	private static boolean bulkhead(Bulkhead bulkhead) {
		if (!bulkhead.tryAcquirePermission()) {
			return false;
		}
		bulkhead.onComplete();
		return true;
	}

	static String[] ids() {
		String[] ids = new String[AGENTS];
		for (int i = 0; i < AGENTS; i++) {
			ids[i] = "agent-" + i;
		}
		return ids;
	}

	/** Where one benchmark thread is in its walk over the agents. */
	@State(Scope.Thread)
	public static class Cursor {

		private int next;

		@Setup(Level.Trial)
		public void setUp(ThreadParams thread) {
			this.next = thread.getThreadIndex() * (AGENTS / thread.getThreadCount());
		}

		int next() {
			int index = this.next;
			this.next = (index + 1 == AGENTS) ? 0 : index + 1;
			return index;
		}

	}

	/** An engine with {@value #AGENTS} quotas. */
	@State(Scope.Benchmark)
	public static class Agents {

		final String[] ids = ids();

		PolicyEngine engine;

		@Setup(Level.Trial)
		public void setUp() {
			this.engine = new PolicyEngine();
			for (String id : this.ids) {
				this.engine.setQuota(id, ResourceQuota.of(id, LIMIT));
			}
		}

		@TearDown(Level.Trial)
		public void tearDown() {
			requireIdle(this.engine, this.ids);
		}

	}

	/** An engine that makes its {@value #AGENTS} agents from a template. */
	@State(Scope.Benchmark)
	public static class DynamicAgents {

		final String[] ids = ids();

		PolicyEngine engine;

		@Setup(Level.Trial)
		public void setUp() {
			this.engine = PolicyEngine.builder()
				.unknownAgentPolicy(UnknownAgentPolicy.DEFAULT_QUOTA)
				.defaultQuota(ResourceQuota.of("template", LIMIT))
				.maxDynamicAgents(2 * AGENTS)
				.build();
			for (String id : this.ids) {
				slot(this.engine, id);
			}
			if (this.engine.snapshots().size() != AGENTS) {
				throw new IllegalStateException("expected " + AGENTS + " dynamic agents, found "
						+ this.engine.snapshots().size());
			}
		}

		@TearDown(Level.Trial)
		public void tearDown() {
			requireIdle(this.engine, this.ids);
		}

	}

	/** An engine with one agent. */
	@State(Scope.Benchmark)
	public static class OneAgent {

		static final String ID = "agent-0";

		PolicyEngine engine;

		@Setup(Level.Trial)
		public void setUp() {
			this.engine = new PolicyEngine();
			this.engine.setQuota(ID, ResourceQuota.of(ID, LIMIT));
		}

	}

	/** A map of {@value #AGENTS} semaphores. */
	@State(Scope.Benchmark)
	public static class SemaphoreMap {

		final String[] ids = ids();

		final Map<String, Semaphore> semaphores = new ConcurrentHashMap<>();

		@Setup(Level.Trial)
		public void setUp() {
			for (String id : this.ids) {
				this.semaphores.put(id, new Semaphore(LIMIT));
			}
		}

	}

	/** A Resilience4j registry of {@value #AGENTS} bulkheads. */
	@State(Scope.Benchmark)
	public static class Bulkheads {

		final String[] ids = ids();

		BulkheadRegistry registry;

		@Setup(Level.Trial)
		public void setUp() {
			this.registry = BulkheadRegistry
				.of(BulkheadConfig.custom().maxConcurrentCalls(LIMIT).maxWaitDuration(Duration.ZERO).build());
			for (String id : this.ids) {
				this.registry.bulkhead(id);
			}
		}

	}

	static void requireIdle(PolicyEngine engine, String[] ids) {
		for (String id : ids) {
			int inFlight = engine.snapshot(id).orElseThrow().inFlight();
			if (inFlight != 0) {
				throw new IllegalStateException("agent " + id + " still holds " + inFlight + " slots");
			}
		}
	}

	// --- hand-off --------------------------------------------------------------------------

	@Benchmark
	@BenchmarkMode(Mode.SingleShotTime)
	@OutputTimeUnit(TimeUnit.MICROSECONDS)
	@OperationsPerInvocation(WAITERS)
	@Warmup(iterations = 10)
	@Measurement(iterations = 20)
	@Threads(1)
	public void engineHandOff(EngineHandOff handOff) throws InterruptedException {
		handOff.held.close();
		handOff.passed();
	}

	@Benchmark
	@BenchmarkMode(Mode.SingleShotTime)
	@OutputTimeUnit(TimeUnit.MICROSECONDS)
	@OperationsPerInvocation(WAITERS)
	@Warmup(iterations = 10)
	@Measurement(iterations = 20)
	@Threads(1)
	public void semaphoreHandOff(SemaphoreHandOff handOff) throws InterruptedException {
		handOff.semaphore.release();
		handOff.passed();
	}

	/**
	 * {@value #WAITERS} waiting threads, queued anew before each iteration.
	 */
	public abstract static class Waiters {

		private static final AtomicInteger THREAD_NUMBER = new AtomicInteger();

		private ExecutorService threads;

		private CountDownLatch passed;

		private final AtomicReference<Throwable> failure = new AtomicReference<>();

		void startThreads() {
			this.threads = newWaiterThreads();
		}

		/**
		 * Start the waiters, each running {@code waitOnce}, and return once all of them wait.
		 */
		void queue(Runnable waitOnce, IntSupplier waiting) throws InterruptedException {
			CountDownLatch passed = new CountDownLatch(WAITERS);
			this.passed = passed;
			for (int i = 0; i < WAITERS; i++) {
				this.threads.execute(() -> {
					try {
						waitOnce.run();
					}
					catch (Throwable ex) {
						this.failure.compareAndSet(null, ex);
					}
					finally {
						passed.countDown();
					}
				});
			}
			long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
			while (waiting.getAsInt() < WAITERS) {
				if (System.nanoTime() - deadline > 0) {
					throw new IllegalStateException("only " + waiting.getAsInt() + " of " + WAITERS + " waiters queued");
				}
				Thread.sleep(1);
			}
		}

		/**
		 * Wait until every waiter has had the permit.
		 */
		void passed() throws InterruptedException {
			if (!this.passed.await(60, TimeUnit.SECONDS)) {
				throw new IllegalStateException(this.passed.getCount() + " waiters never got the permit");
			}
			Throwable failure = this.failure.get();
			if (failure != null) {
				throw new IllegalStateException("a waiter failed", failure);
			}
		}

		void stopThreads() {
			this.threads.shutdownNow();
		}

		private static ExecutorService newWaiterThreads() {
			try {
				return (ExecutorService) Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
			}
			catch (ReflectiveOperationException ex) {
				System.err.println("ScaleBenchmark: no virtual threads on Java " + Runtime.version().feature()
						+ "; the hand-off waiters are platform threads");
				return Executors.newCachedThreadPool((task) -> {
					Thread thread = new Thread(task, "waiter-" + THREAD_NUMBER.incrementAndGet());
					thread.setDaemon(true);
					return thread;
				});
			}
		}

	}

	/** Waiters on a fair agent with a limit of 1. */
	@State(Scope.Benchmark)
	public static class EngineHandOff extends Waiters {

		private static final String ID = "hand-off";

		PolicyEngine engine;

		Permit held;

		@Setup(Level.Trial)
		public void setUp() {
			this.engine = new PolicyEngine();
			this.engine.setQuota(ID,
					ResourceQuota.builder(ID).maxConcurrentExecutions(1).maxWait(Duration.ofMinutes(1)).fair(true).build());
			startThreads();
		}

		@Setup(Level.Iteration)
		public void queue() throws InterruptedException {
			this.held = this.engine.acquire(ID);
			queue(() -> this.engine.acquire(ID).close(), () -> this.engine.snapshot(ID).orElseThrow().waiting());
		}

		@TearDown(Level.Trial)
		public void tearDown() {
			stopThreads();
			requireIdle(this.engine, new String[] { ID });
		}

	}

	/** Waiters on a fair semaphore of 1. */
	@State(Scope.Benchmark)
	public static class SemaphoreHandOff extends Waiters {

		final Semaphore semaphore = new Semaphore(1, true);

		@Setup(Level.Trial)
		public void setUp() {
			startThreads();
		}

		@Setup(Level.Iteration)
		public void queue() throws InterruptedException {
			this.semaphore.acquire();
			queue(() -> {
				this.semaphore.acquireUninterruptibly();
				this.semaphore.release();
			}, this.semaphore::getQueueLength);
		}

		@TearDown(Level.Trial)
		public void tearDown() {
			stopThreads();
		}

	}

}
