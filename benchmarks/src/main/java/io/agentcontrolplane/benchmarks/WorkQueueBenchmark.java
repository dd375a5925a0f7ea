package io.agentcontrolplane.benchmarks;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import io.agentcontrolplane.concurrent.BoundedExecutor;
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
 * Benchmark group 4 of issue 6: push {@value #ITEMS} tiny items ({@code Blackhole.consumeCPU(}
 * {@value #CPU_TOKENS}{@code )} each) through {@code K} workers behind a queue of
 * {@value #QUEUE} items. One operation is the whole batch (throughput: batches per second).
 *
 * <p>Ours, on {@link BoundedExecutor#create()}: {@code process(items, processor, K, 50)} (results
 * in input order) and {@code processEach(items, processor, K, 50, onResult)} (streaming, results
 * summed as they come). Peers: a {@code ThreadPoolExecutor(K, K, ArrayBlockingQueue(50),
 * CallerRunsPolicy)} given one task per item, each writing its result into an array slot, then
 * a latch for the batch; and the classic producer + K consumers: the caller puts item indices on
 * an {@code ArrayBlockingQueue(50)}, K consumer threads (a fixed pool) take and process them
 * until a poison pill, and the caller waits for the consumers. Both peers keep their threads
 * between operations, as ours keeps its executor.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(value = 1, jvmArgsAppend = { "-Xms1g", "-Xmx1g" })
@Threads(1)
@State(Scope.Benchmark)
public class WorkQueueBenchmark {

	static final int ITEMS = 10_000;

	static final int QUEUE = 50;

	static final long CPU_TOKENS = 20;

	/** Tells a consumer to stop; item indices are never negative. */
	private static final Integer POISON = -1;

	/** The number of workers. */
	@Param({ "2", "16" })
	public int k;

	private BoundedExecutor executor;

	private ThreadPoolExecutor callerRuns;

	private ExecutorService consumers;

	private List<Integer> items;

	private final Function<Integer, Integer> processor = (item) -> {
		Blackhole.consumeCPU(CPU_TOKENS);
		return item + 1;
	};

	@Setup(Level.Trial)
	public void setUp() {
		this.executor = BoundedExecutor.create();
		this.callerRuns = new ThreadPoolExecutor(this.k, this.k, 60, TimeUnit.SECONDS,
				new ArrayBlockingQueue<>(QUEUE), new ThreadPoolExecutor.CallerRunsPolicy());
		this.callerRuns.prestartAllCoreThreads();
		this.consumers = Executors.newFixedThreadPool(this.k);
		this.items = new ArrayList<>(ITEMS);
		for (int i = 0; i < ITEMS; i++) {
			this.items.add(i);
		}
	}

	@TearDown(Level.Trial)
	public void tearDown() throws InterruptedException {
		this.executor.close();
		this.callerRuns.shutdown();
		this.consumers.shutdown();
		this.callerRuns.awaitTermination(10, TimeUnit.SECONDS);
		this.consumers.awaitTermination(10, TimeUnit.SECONDS);
	}

	// --- ours ------------------------------------------------------------------------------

	@Benchmark
	public List<Integer> process() {
		List<Integer> results = this.executor.process(this.items, this.processor, this.k, QUEUE);
		if (results.size() != ITEMS || results.get(ITEMS - 1) != ITEMS) {
			throw new IllegalStateException("wrong results");
		}
		return results;
	}

	@Benchmark
	public long processEach() {
		long[] sum = new long[1];
		long count = this.executor.processEach(this.items, this.processor, this.k, QUEUE,
				(item, result) -> sum[0] += result);
		return check(count, sum[0]);
	}

	// --- peers -----------------------------------------------------------------------------

	@Benchmark
	public Integer[] threadPoolCallerRuns() throws InterruptedException {
		Integer[] results = new Integer[ITEMS];
		CountDownLatch done = new CountDownLatch(ITEMS);
		for (int i = 0; i < ITEMS; i++) {
			int index = i;
			this.callerRuns.execute(() -> {
				results[index] = this.processor.apply(this.items.get(index));
				done.countDown();
			});
		}
		done.await();
		if (results[ITEMS - 1] != ITEMS) {
			throw new IllegalStateException("wrong results");
		}
		return results;
	}

	@Benchmark
	public Integer[] producerConsumers() throws InterruptedException, ExecutionException {
		Integer[] results = new Integer[ITEMS];
		BlockingQueue<Integer> queue = new ArrayBlockingQueue<>(QUEUE);
		List<Future<?>> running = new ArrayList<>(this.k);
		for (int c = 0; c < this.k; c++) {
			running.add(this.consumers.submit(() -> {
				for (;;) {
					Integer index = queue.take();
					if (index < 0) {
						return null;
					}
					results[index] = this.processor.apply(this.items.get(index));
				}
			}));
		}
		for (Integer index : this.items) {
			queue.put(index);
		}
		for (int c = 0; c < this.k; c++) {
			queue.put(POISON);
		}
		for (Future<?> consumer : running) {
			consumer.get();
		}
		if (results[ITEMS - 1] != ITEMS) {
			throw new IllegalStateException("wrong results");
		}
		return results;
	}

	private static long check(long count, long sum) {
		long expected = (long) ITEMS * (ITEMS + 1) / 2;
		if (count != ITEMS || sum != expected) {
			throw new IllegalStateException("wrong results: " + count + " items, sum " + sum);
		}
		return sum;
	}

}
