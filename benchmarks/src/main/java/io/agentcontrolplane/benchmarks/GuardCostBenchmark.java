package io.agentcontrolplane.benchmarks;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

import io.agentcontrolplane.autoconfigure.metrics.QuotaMetrics;
import io.agentcontrolplane.quota.Budget;
import io.agentcontrolplane.quota.BudgetUnit;
import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.ResourceQuota;
import io.agentcontrolplane.quota.Usage;
import io.github.resilience4j.bulkhead.Bulkhead;
import io.github.resilience4j.bulkhead.BulkheadConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Benchmark group 1 of issue 6: the cost of one guard around an empty body, uncontended for
 * capacity (the limit, {@value #LIMIT}, is far above the thread count, so no call is ever
 * refused or waits) but contended for the guard's memory on 2 threads.
 *
 * <p>Ours: {@link PolicyEngine#tryAcquire} + {@link Permit#close()} (the token form that
 * {@code @BoundedExecution} uses) and {@link PolicyEngine#tryAcquireExecutionSlot} +
 * {@link PolicyEngine#releaseExecutionSlot} (the original's boolean form), each with no
 * listener and with the Micrometer {@link QuotaMetrics} binder of the autoconfigure module
 * bound to a {@link SimpleMeterRegistry} (how the auto-configuration wires it: the binder is a
 * {@code QuotaListener} added to the engine by {@code bindTo}). Peers: a bare
 * {@link Semaphore} ({@code tryAcquire} + {@code release}) and Resilience4j's
 * {@code SemaphoreBulkhead} ({@code tryAcquirePermission} + {@code onComplete}), and
 * {@code semaphoreById}: a {@link Semaphore} found by agent id in a {@link ConcurrentHashMap}
 * before {@code tryAcquire} and again before {@code release}, the floor of any guard that, like
 * the engine's slot form, is called with an agent id rather than holding a guard object, and
 * {@code countedSemaphoreById}, the same with a {@link LongAdder} grant total: the floor of an
 * agent-keyed guard that reports how many calls it admitted, as the engine's
 * {@code QuotaSnapshot.acquired()} does.
 * {@code twoClockReads} is not a guard but the floor of the hold timer that metrics switch on:
 * the two {@link System#nanoTime()} reads a timed permit needs, one at the grant and one at the
 * close.
 *
 * <p>Admission: {@code engineAdmitRequestBudget} is {@link PolicyEngine#admit} + close on a
 * quota with a per-minute request budget (the request-only path), and
 * {@code engineAdmitThreeBudgets} the same quota with three budgets (tokens and output tokens per
 * minute, requests per day) reserving an estimate and settling the real usage before close:
 * the cost of the budgets beside the request-only path. Their limits are far above what a run
 * spends, so no call is refused.
 *
 * <p>Every variant has a 1-thread ({@code _1t}) and a 2-thread ({@code _2t}) method; on 2
 * threads both threads share one guard. Run with {@code -prof gc} for the bytes allocated per
 * operation ({@code gc.alloc.rate.norm}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 2, jvmArgsAppend = { "-Xms1g", "-Xmx1g" })
@State(Scope.Benchmark)
public class GuardCostBenchmark {

	static final String AGENT = "bench";

	static final int LIMIT = 64;

	private PolicyEngine engine;

	private PolicyEngine observedEngine;

	private QuotaMetrics metrics;

	private SimpleMeterRegistry registry;

	private Semaphore semaphore;

	private Map<String, Semaphore> semaphoresById;

	private Map<String, CountedSemaphore> countedSemaphoresById;

	private Bulkhead bulkhead;

	private PolicyEngine requestBudgetEngine;

	private PolicyEngine threeBudgetsEngine;

	private static final Usage ESTIMATE = Usage.estimate(100, 50);

	private static final Usage ACTUAL = Usage.estimate(100, 20);

	@Setup(Level.Trial)
	public void setUp() {
		this.engine = new PolicyEngine();
		this.engine.setQuota(AGENT, ResourceQuota.of(AGENT, LIMIT));
		this.observedEngine = new PolicyEngine();
		this.observedEngine.setQuota(AGENT, ResourceQuota.of(AGENT, LIMIT));
		this.registry = new SimpleMeterRegistry();
		this.metrics = new QuotaMetrics(this.observedEngine);
		this.metrics.bindTo(this.registry);
		if (this.registry.find("agent.quota.calls").tag(QuotaMetrics.AGENT_TAG, AGENT).functionCounters().isEmpty()) {
			throw new IllegalStateException("QuotaMetrics registered no meters for agent '" + AGENT + "'");
		}
		this.requestBudgetEngine = new PolicyEngine();
		this.requestBudgetEngine.setQuota(AGENT, ResourceQuota.builder(AGENT)
			.maxConcurrentExecutions(LIMIT)
			.maxRequestsPerMinute(Integer.MAX_VALUE)
			.build());
		this.threeBudgetsEngine = new PolicyEngine();
		this.threeBudgetsEngine.setQuota(AGENT, ResourceQuota.builder(AGENT)
			.maxConcurrentExecutions(LIMIT)
			.maxRequestsPerMinute(Integer.MAX_VALUE)
			.budgets(Budget.builder(BudgetUnit.TOKENS).limit(50_000_000_000L).per("1m").build(),
					Budget.builder(BudgetUnit.OUTPUT_TOKENS).limit(50_000_000_000L).per("1m").build(),
					Budget.builder(BudgetUnit.REQUESTS).limit(1_000_000_000_000L).per("day").build())
			.build());
		this.semaphore = new Semaphore(LIMIT);
		this.semaphoresById = new ConcurrentHashMap<>();
		this.semaphoresById.put(AGENT, new Semaphore(LIMIT));
		this.countedSemaphoresById = new ConcurrentHashMap<>();
		this.countedSemaphoresById.put(AGENT, new CountedSemaphore(LIMIT));
		this.bulkhead = Bulkhead.of(AGENT,
				BulkheadConfig.custom().maxConcurrentCalls(LIMIT).maxWaitDuration(Duration.ZERO).build());
	}

	@TearDown(Level.Trial)
	public void tearDown() {
		// Every variant must have given back what it took: a leak would make the figures lie.
		check("engine", this.engine.snapshot(AGENT).orElseThrow().inFlight());
		check("engine with metrics", this.observedEngine.snapshot(AGENT).orElseThrow().inFlight());
		check("engine admit, request budget", this.requestBudgetEngine.snapshot(AGENT).orElseThrow().inFlight());
		check("engine admit, three budgets", this.threeBudgetsEngine.snapshot(AGENT).orElseThrow().inFlight());
		check("semaphore", LIMIT - this.semaphore.availablePermits());
		check("semaphore by id", LIMIT - this.semaphoresById.get(AGENT).availablePermits());
		CountedSemaphore counted = this.countedSemaphoresById.get(AGENT);
		check("counted semaphore by id", LIMIT - counted.semaphore.availablePermits());
		check("bulkhead", LIMIT - this.bulkhead.getMetrics().getAvailableConcurrentCalls());
		double permitted = this.registry.find("agent.quota.calls")
			.tag(QuotaMetrics.OUTCOME_TAG, "permitted")
			.functionCounter()
			.count();
		if (this.observedEngine.snapshot(AGENT).orElseThrow().acquired() > 0 && permitted == 0) {
			throw new IllegalStateException("the metrics listener recorded no call");
		}
		this.metrics.close();
		this.registry.close();
	}

	private static void check(String guard, int held) {
		if (held != 0) {
			throw new IllegalStateException(guard + " still holds " + held + " permits after the run");
		}
	}

	// --- ours: token form ------------------------------------------------------------------

	@Benchmark
	@Threads(1)
	public boolean engineTryAcquire_1t() {
		return tryAcquire(this.engine);
	}

	@Benchmark
	@Threads(2)
	public boolean engineTryAcquire_2t() {
		return tryAcquire(this.engine);
	}

	@Benchmark
	@Threads(1)
	public boolean engineTryAcquireMetrics_1t() {
		return tryAcquire(this.observedEngine);
	}

	@Benchmark
	@Threads(2)
	public boolean engineTryAcquireMetrics_2t() {
		return tryAcquire(this.observedEngine);
	}

	private static boolean tryAcquire(PolicyEngine engine) {
		Optional<Permit> permit = engine.tryAcquire(AGENT);
		if (permit.isEmpty()) {
			return false;
		}
		permit.get().close();
		return true;
	}

	// --- ours: admission through budgets ----------------------------------------------------

	@Benchmark
	@Threads(1)
	public Permit engineAdmitRequestBudget_1t() {
		return admitRequestBudget();
	}

	@Benchmark
	@Threads(2)
	public Permit engineAdmitRequestBudget_2t() {
		return admitRequestBudget();
	}

	@Benchmark
	@Threads(1)
	public Permit engineAdmitThreeBudgets_1t() {
		return admitThreeBudgets();
	}

	@Benchmark
	@Threads(2)
	public Permit engineAdmitThreeBudgets_2t() {
		return admitThreeBudgets();
	}

	private Permit admitRequestBudget() {
		Permit permit = this.requestBudgetEngine.admit(AGENT, null, Duration.ZERO);
		permit.close();
		return permit;
	}

	private Permit admitThreeBudgets() {
		Permit permit = this.threeBudgetsEngine.admit(AGENT, null, ESTIMATE, Duration.ZERO);
		permit.settle(ACTUAL);
		permit.close();
		return permit;
	}

	// --- ours: boolean slot form -----------------------------------------------------------

	@Benchmark
	@Threads(1)
	public boolean engineSlot_1t() {
		return slot(this.engine);
	}

	@Benchmark
	@Threads(2)
	public boolean engineSlot_2t() {
		return slot(this.engine);
	}

	@Benchmark
	@Threads(1)
	public boolean engineSlotMetrics_1t() {
		return slot(this.observedEngine);
	}

	@Benchmark
	@Threads(2)
	public boolean engineSlotMetrics_2t() {
		return slot(this.observedEngine);
	}

	private static boolean slot(PolicyEngine engine) {
		if (!engine.tryAcquireExecutionSlot(AGENT)) {
			return false;
		}
		engine.releaseExecutionSlot(AGENT);
		return true;
	}

	// --- peers -----------------------------------------------------------------------------

	@Benchmark
	@Threads(1)
	public boolean semaphore_1t() {
		return semaphore(this.semaphore);
	}

	@Benchmark
	@Threads(2)
	public boolean semaphore_2t() {
		return semaphore(this.semaphore);
	}

	private static boolean semaphore(Semaphore semaphore) {
		if (!semaphore.tryAcquire()) {
			return false;
		}
		semaphore.release();
		return true;
	}

	@Benchmark
	@Threads(1)
	public boolean semaphoreById_1t() {
		return semaphoreById(this.semaphoresById);
	}

	@Benchmark
	@Threads(2)
	public boolean semaphoreById_2t() {
		return semaphoreById(this.semaphoresById);
	}

	@Benchmark
	@Threads(1)
	public boolean countedSemaphoreById_1t() {
		return countedSemaphoreById(this.countedSemaphoresById);
	}

	@Benchmark
	@Threads(2)
	public boolean countedSemaphoreById_2t() {
		return countedSemaphoreById(this.countedSemaphoresById);
	}

	private static boolean countedSemaphoreById(Map<String, CountedSemaphore> semaphores) {
		// semaphoreById that also counts its grants, as the engine must for QuotaSnapshot.acquired.
		CountedSemaphore counted = semaphores.get(AGENT);
		if (!counted.semaphore.tryAcquire()) {
			return false;
		}
		counted.granted.increment();
		semaphores.get(AGENT).semaphore.release();
		return true;
	}

	/** A {@link Semaphore} with a grant total, the floor of a guard that reports its grants. */
	static final class CountedSemaphore {

		final Semaphore semaphore;

		final LongAdder granted = new LongAdder();

		CountedSemaphore(int permits) {
			this.semaphore = new Semaphore(permits);
		}

	}

	@Benchmark
	@Threads(1)
	public long twoClockReads_1t() {
		return twoClockReads();
	}

	@Benchmark
	@Threads(2)
	public long twoClockReads_2t() {
		return twoClockReads();
	}

	private static long twoClockReads() {
		// What the engine reads to time a hold: at the grant, then at the close.
		long grantedAt = System.nanoTime();
		return System.nanoTime() - grantedAt;
	}

	private static boolean semaphoreById(Map<String, Semaphore> semaphores) {
		// Looked up on both sides, as releaseExecutionSlot(agentId) must.
		if (!semaphores.get(AGENT).tryAcquire()) {
			return false;
		}
		semaphores.get(AGENT).release();
		return true;
	}

	@Benchmark
	@Threads(1)
	public boolean semaphoreBulkhead_1t() {
		return bulkhead(this.bulkhead);
	}

	@Benchmark
	@Threads(2)
	public boolean semaphoreBulkhead_2t() {
		return bulkhead(this.bulkhead);
	}

	private static boolean bulkhead(Bulkhead bulkhead) {
		if (!bulkhead.tryAcquirePermission()) {
			return false;
		}
		bulkhead.onComplete();
		return true;
	}

}
