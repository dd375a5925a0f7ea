package io.agentcontrolplane.benchmarks;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.agentcontrolplane.concurrent.BoundedExecutor;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.ResourceQuota;
import io.github.resilience4j.bulkhead.ThreadPoolBulkhead;
import io.github.resilience4j.bulkhead.ThreadPoolBulkheadConfig;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Benchmark group 3 of issue 6: run {@value #N} tasks with at most {@value #K} at once and
 * collect the results in input order. One operation is one whole fan-out of {@value #N} tasks
 * (throughput: fan-outs per second).
 *
 * <p>Task kinds ({@code task} parameter): {@code cpu}, {@code Blackhole.consumeCPU(}{@value
 * #CPU_TOKENS}{@code )} (a fraction of a microsecond: the helper's own cost dominates), and
 * {@code sleep}, a 1 ms {@code Thread.sleep} (the helper's cost hides behind the waiting; the
 * floor is about {@value #N}/{@value #K} sleeps).
 *
 * <p>Ours, on {@link BoundedExecutor#create()} (virtual threads on JDK 21+, a cached pool of
 * platform threads on 17): {@code gather(K, tasks)}; {@code gatherForAgent} bounded by an agent
 * whose quota allows {@value #K}; {@code gatherAsync(K, suppliers)}, where each supplier starts
 * an asynchronous operation holding no thread: for {@code cpu} it does the work and returns a
 * completed future, for {@code sleep} it returns a future that a timer completes 1 ms later
 * ({@code CompletableFuture.delayedExecutor}) - the non-blocking call {@code gatherAsync} is
 * made for. Peers: {@code CompletableFuture.supplyAsync} of every task on a fixed pool of
 * {@value #K} platform threads, then {@code join} in order; Resilience4j
 * {@code ThreadPoolBulkhead} ({@value #K} threads, a queue of {@value #N} so that nothing is
 * rejected), {@code submit} of every task, then {@code join} in order. Compare runs on JDK 17
 * and JDK 25.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = { "-Xms1g", "-Xmx1g" })
@Threads(1)
@State(Scope.Benchmark)
public class GatherBenchmark {

	static final int N = 1_000;

	static final int K = 16;

	static final long CPU_TOKENS = 100;

	private static final String AGENT = "gather";

	/** {@code cpu}: {@code Blackhole.consumeCPU}; {@code sleep}: a 1 ms sleep. */
	@Param({ "cpu", "sleep" })
	public String task;

	private BoundedExecutor executor;

	private ExecutorService fixedPool;

	private ThreadPoolBulkhead bulkhead;

	private Executor timer;

	private List<Callable<Integer>> tasks;

	private List<Supplier<CompletionStage<Integer>>> asyncTasks;

	@Setup(Level.Trial)
	public void setUp() {
		PolicyEngine engine = new PolicyEngine();
		engine.setQuota(AGENT, ResourceQuota.of(AGENT, K));
		this.executor = BoundedExecutor.create(engine);
		this.fixedPool = Executors.newFixedThreadPool(K);
		this.bulkhead = ThreadPoolBulkhead.of("gather",
				ThreadPoolBulkheadConfig.custom()
					.coreThreadPoolSize(K)
					.maxThreadPoolSize(K)
					.queueCapacity(N)
					.keepAliveDuration(Duration.ofMinutes(1))
					.build());
		// Runs the completion on the JDK's delay-scheduler thread itself: on 2 cores the default
		// async pool would start a new thread per completion.
		this.timer = CompletableFuture.delayedExecutor(1, TimeUnit.MILLISECONDS, Runnable::run);
		boolean sleep = "sleep".equals(this.task);
		this.tasks = new ArrayList<>(N);
		this.asyncTasks = new ArrayList<>(N);
		for (int i = 0; i < N; i++) {
			Integer value = i;
			if (sleep) {
				this.tasks.add(() -> {
					Thread.sleep(1);
					return value;
				});
				this.asyncTasks.add(() -> CompletableFuture.supplyAsync(() -> value, this.timer));
			}
			else {
				this.tasks.add(() -> {
					Blackhole.consumeCPU(CPU_TOKENS);
					return value;
				});
				this.asyncTasks.add(() -> {
					Blackhole.consumeCPU(CPU_TOKENS);
					return CompletableFuture.completedFuture(value);
				});
			}
		}
	}

	@TearDown(Level.Trial)
	public void tearDown() throws Exception {
		this.executor.close();
		this.fixedPool.shutdown();
		this.bulkhead.close();
		this.fixedPool.awaitTermination(10, TimeUnit.SECONDS);
	}

	// --- ours ------------------------------------------------------------------------------

	@Benchmark
	public List<Integer> gather() {
		return checked(this.executor.gather(K, this.tasks));
	}

	@Benchmark
	public List<Integer> gatherForAgent() {
		return checked(this.executor.gatherForAgent(AGENT, this.tasks));
	}

	@Benchmark
	public List<Integer> gatherAsync() {
		return checked(this.executor.gatherAsync(K, this.asyncTasks).join());
	}

	// --- peers -----------------------------------------------------------------------------

	@Benchmark
	public List<Integer> completableFuture() {
		List<CompletableFuture<Integer>> futures = new ArrayList<>(N);
		for (Callable<Integer> task : this.tasks) {
			futures.add(CompletableFuture.supplyAsync(() -> call(task), this.fixedPool));
		}
		List<Integer> results = new ArrayList<>(N);
		for (CompletableFuture<Integer> future : futures) {
			results.add(future.join());
		}
		return checked(results);
	}

	@Benchmark
	public List<Integer> threadPoolBulkhead() {
		List<CompletableFuture<Integer>> futures = new ArrayList<>(N);
		for (Callable<Integer> task : this.tasks) {
			futures.add(this.bulkhead.submit(task).toCompletableFuture());
		}
		List<Integer> results = new ArrayList<>(N);
		for (CompletableFuture<Integer> future : futures) {
			results.add(future.join());
		}
		return checked(results);
	}

	private static Integer call(Callable<Integer> task) {
		try {
			return task.call();
		}
		catch (Exception ex) {
			throw new IllegalStateException(ex);
		}
	}

	/** A helper that lost or reordered a result must not get a score. */
	private static List<Integer> checked(List<Integer> results) {
		if (results.size() != N || results.get(0) != 0 || results.get(N - 1) != N - 1) {
			throw new IllegalStateException("wrong results: size " + results.size());
		}
		return results;
	}

}
