package io.agentcontrolplane.concurrent;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import io.agentcontrolplane.concurrent.BoundedExecutorGatherTests.InFlight;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link BoundedExecutor#gatherAsync(int, List)}.
 */
class BoundedExecutorAsyncTests {

	private final ExecutorService twoThreads = Executors.newFixedThreadPool(2);

	private final ScheduledExecutorService timer = Executors.newScheduledThreadPool(1);

	private final BoundedExecutor executor = new BoundedExecutor(this.twoThreads);

	@AfterEach
	void shutdown() throws InterruptedException {
		this.twoThreads.shutdownNow();
		this.timer.shutdownNow();
		assertThat(this.twoThreads.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
		assertThat(this.timer.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
	}

	@Test
	void gatherAsyncBoundsOperationsCompletingOnATimerWithoutAThreadPerOperation() throws Exception {
		ThreadMXBean threads = ManagementFactory.getThreadMXBean();
		int threadsBefore = threads.getThreadCount();
		InFlight inFlight = new InFlight();
		AtomicInteger maxThreads = new AtomicInteger();
		List<Supplier<CompletionStage<Integer>>> tasks = IntStream.range(0, 1000)
			.mapToObj((i) -> (Supplier<CompletionStage<Integer>>) () -> {
				inFlight.enter();
				maxThreads.accumulateAndGet(threads.getThreadCount(), Math::max);
				CompletableFuture<Integer> operation = new CompletableFuture<>();
				this.timer.schedule(() -> {
					inFlight.exit();
					operation.complete(i);
				}, 1 + ThreadLocalRandom.current().nextInt(5), TimeUnit.MILLISECONDS);
				return operation;
			})
			.collect(Collectors.toList());
		List<Integer> results = this.executor.gatherAsync(50, tasks).get(60, TimeUnit.SECONDS);
		assertThat(results).containsExactlyElementsOf(IntStream.range(0, 1000).boxed().collect(Collectors.toList()));
		assertThat(inFlight.max()).isBetween(2, 50);
		// 50 operations wait at a time, on two executor threads and one timer thread
		assertThat(maxThreads.get() - threadsBefore).isLessThanOrEqualTo(10);
	}

	@Test
	void gatherAsyncHandsTheExecutorOneTurnAndStartsLaterOperationsOnTheCompletingThread() throws Exception {
		AtomicInteger executions = new AtomicInteger();
		BoundedExecutor counting = new BoundedExecutor((command) -> {
			executions.incrementAndGet();
			this.twoThreads.execute(command);
		});
		Thread caller = Thread.currentThread();
		List<Thread> startedOn = new CopyOnWriteArrayList<>();
		List<Supplier<CompletionStage<Integer>>> tasks = IntStream.range(0, 200)
			.mapToObj((i) -> (Supplier<CompletionStage<Integer>>) () -> {
				startedOn.add(Thread.currentThread());
				CompletableFuture<Integer> operation = new CompletableFuture<>();
				this.timer.execute(() -> operation.complete(i));
				return operation;
			})
			.collect(Collectors.toList());
		List<Integer> results = counting.gatherAsync(8, tasks).get(60, TimeUnit.SECONDS);
		assertThat(results).containsExactlyElementsOf(IntStream.range(0, 200).boxed().collect(Collectors.toList()));
		assertThat(startedOn).hasSize(200).doesNotContain(caller);
		// one hand-off to start; every later operation is started by the thread that freed its slot
		assertThat(executions.get()).isEqualTo(1);
	}

	@Test
	void gatherAsyncOfSynchronouslyCompletingStagesDoesNotGrowTheStack() throws Exception {
		List<Supplier<CompletionStage<Integer>>> tasks = IntStream.range(0, 100_000)
			.mapToObj((i) -> (Supplier<CompletionStage<Integer>>) () -> CompletableFuture.completedFuture(i))
			.collect(Collectors.toList());
		List<Integer> results = this.executor.gatherAsync(4, tasks).get(60, TimeUnit.SECONDS);
		assertThat(results).hasSize(100_000);
		assertThat(results.get(99_999)).isEqualTo(99_999);
	}

	@Test
	void gatherAsyncFailsOnTheFirstFailureAndStartsNoMore() throws Exception {
		AtomicInteger started = new AtomicInteger();
		CopyOnWriteArrayList<CompletableFuture<Integer>> operations = new CopyOnWriteArrayList<>();
		CountDownLatch twoStarted = new CountDownLatch(2);
		List<Supplier<CompletionStage<Integer>>> tasks = IntStream.range(0, 20)
			.mapToObj((i) -> (Supplier<CompletionStage<Integer>>) () -> {
				started.incrementAndGet();
				CompletableFuture<Integer> operation = new CompletableFuture<>();
				operations.add(operation);
				twoStarted.countDown();
				return operation;
			})
			.collect(Collectors.toList());
		CompletableFuture<List<Integer>> result = this.executor.gatherAsync(2, tasks);
		assertThat(twoStarted.await(30, TimeUnit.SECONDS)).isTrue();
		operations.get(1).completeExceptionally(new IllegalStateException("second failed"));
		assertThat(result).failsWithin(Duration.ofSeconds(30))
			.withThrowableOfType(java.util.concurrent.ExecutionException.class)
			.havingCause()
			.isInstanceOfSatisfying(GatherException.class, (ex) -> {
				assertThat(ex.index()).isEqualTo(1);
				assertThat(ex.getCause()).hasMessage("second failed");
			});
		await().atMost(Duration.ofSeconds(30)).until(() -> operations.get(0).isCancelled());
		quiesce();
		assertThat(started).hasValue(2);
	}

	@Test
	void cancellingTheResultCancelsOperationsInFlightAndStartsNoMore() throws Exception {
		AtomicInteger started = new AtomicInteger();
		CopyOnWriteArrayList<CompletableFuture<Integer>> operations = new CopyOnWriteArrayList<>();
		CountDownLatch threeStarted = new CountDownLatch(3);
		List<Supplier<CompletionStage<Integer>>> tasks = IntStream.range(0, 10)
			.mapToObj((i) -> (Supplier<CompletionStage<Integer>>) () -> {
				started.incrementAndGet();
				CompletableFuture<Integer> operation = new CompletableFuture<>();
				operations.add(operation);
				threeStarted.countDown();
				return operation;
			})
			.collect(Collectors.toList());
		CompletableFuture<List<Integer>> result = this.executor.gatherAsync(3, tasks);
		assertThat(threeStarted.await(30, TimeUnit.SECONDS)).isTrue();
		assertThat(result.cancel(true)).isTrue();
		assertThat(operations).hasSize(3);
		// the last supplier may still be returning its stage: it is cancelled once it is known
		await().atMost(Duration.ofSeconds(30)).until(() -> operations.stream().allMatch(CompletableFuture::isCancelled));
		quiesce();
		assertThat(started).hasValue(3);
	}

	@Test
	void gatherAsyncTurnsAThrowingSupplierIntoAFailure() {
		List<Supplier<CompletionStage<Integer>>> tasks = List.of(() -> CompletableFuture.completedFuture(1), () -> {
			throw new IllegalArgumentException("cannot start");
		});
		assertThat(this.executor.gatherAsync(2, tasks)).failsWithin(Duration.ofSeconds(30))
			.withThrowableOfType(java.util.concurrent.ExecutionException.class)
			.havingCause()
			.isInstanceOfSatisfying(GatherException.class, (ex) -> assertThat(ex.index()).isEqualTo(1));
	}

	@Test
	void gatherAsyncValidatesArgumentsAndCompletesEmptyInputAtOnce() {
		List<Supplier<CompletionStage<Integer>>> tasks = List.of(() -> CompletableFuture.completedFuture(1));
		assertThatExceptionOfType(IllegalArgumentException.class).isThrownBy(() -> this.executor.gatherAsync(0, tasks))
			.withMessageContaining("maxConcurrency")
			.withMessageContaining("0");
		assertThatExceptionOfType(NullPointerException.class)
			.isThrownBy(() -> this.executor.gatherAsync(1, (List<Supplier<CompletionStage<Integer>>>) null))
			.withMessageContaining("tasks");
		assertThat(this.executor.<Integer>gatherAsync(1, List.of())).isCompletedWithValue(List.of());
	}

	/**
	 * Wait until both executor threads have run everything submitted before this call, so
	 * that a drain scheduled by a late completion would have run.
	 */
	private void quiesce() throws InterruptedException {
		CountDownLatch drained = new CountDownLatch(2);
		CountDownLatch bothHeld = new CountDownLatch(2);
		for (int i = 0; i < 2; i++) {
			this.twoThreads.execute(() -> {
				bothHeld.countDown();
				try {
					bothHeld.await(30, TimeUnit.SECONDS);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
				drained.countDown();
			});
		}
		await().atMost(Duration.ofSeconds(30)).until(() -> drained.getCount() == 0);
	}

}
