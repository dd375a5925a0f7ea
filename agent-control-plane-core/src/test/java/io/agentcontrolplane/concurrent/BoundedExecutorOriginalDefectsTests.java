package io.agentcontrolplane.concurrent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * One test per defect of the original {@code async_utils} (SPEC section 8, items 6 to 9), each
 * named for the defect and failing against the original's behaviour.
 */
class BoundedExecutorOriginalDefectsTests {

	private static final Duration LONG = Duration.ofSeconds(30);

	private final ExecutorService pool = Executors.newCachedThreadPool();

	private final BoundedExecutor executor = new BoundedExecutor(this.pool);

	@AfterEach
	void shutdown() throws InterruptedException {
		this.pool.shutdownNow();
		assertThat(this.pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
	}

	/**
	 * Item 6: the original created every coroutine up front and let already-running work
	 * bypass the limit. Here a task starts only when a slot is free: with a bound of 2 and the
	 * first two tasks held, no other task has started, and the executor has been handed no
	 * more than two workers.
	 */
	@Test
	void defect6TasksAreNotStartedUpFrontAndCannotBypassTheBound() {
		AtomicInteger submissions = new AtomicInteger();
		BoundedExecutor counting = new BoundedExecutor((runnable) -> {
			submissions.incrementAndGet();
			this.pool.execute(runnable);
		});
		CountDownLatch twoRunning = new CountDownLatch(2);
		CountDownLatch release = new CountDownLatch(1);
		AtomicInteger started = new AtomicInteger();
		List<Callable<Integer>> tasks = IntStream.range(0, 500).mapToObj((i) -> (Callable<Integer>) () -> {
			started.incrementAndGet();
			if (i < 2) {
				twoRunning.countDown();
				assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
			}
			return i;
		}).collect(Collectors.toList());
		CompletableFuture<List<Integer>> result = CompletableFuture.supplyAsync(() -> counting.gather(2, tasks),
				this.pool);
		assertTimeoutPreemptively(LONG, () -> assertThat(twoRunning.await(30, TimeUnit.SECONDS)).isTrue());
		assertThat(started).hasValue(2);
		assertThat(submissions).hasValue(2);
		release.countDown();
		assertThat(result).succeedsWithin(LONG).satisfies((list) -> assertThat(list).hasSize(500));
		assertThat(started).hasValue(500);
		assertThat(submissions).hasValue(2);
	}

	/**
	 * Item 7: with {@code return_exceptions=False} the original raised the first failure while
	 * the other tasks kept running. Here the running task is interrupted and has finished before
	 * the exception reaches the caller, and nothing starts afterwards.
	 */
	@Test
	void defect7OtherTasksDoNotKeepRunningAfterTheFailureIsRaised() {
		CountDownLatch slowStarted = new CountDownLatch(1);
		AtomicBoolean slowRunning = new AtomicBoolean();
		AtomicInteger startedAfterFailure = new AtomicInteger();
		List<Callable<Integer>> tasks = new ArrayList<>();
		tasks.add(() -> {
			slowRunning.set(true);
			slowStarted.countDown();
			try {
				new CountDownLatch(1).await(30, TimeUnit.SECONDS);
				return 0;
			}
			finally {
				slowRunning.set(false);
			}
		});
		tasks.add(() -> {
			assertThat(slowStarted.await(30, TimeUnit.SECONDS)).isTrue();
			throw new IllegalStateException("failure");
		});
		for (int i = 0; i < 100; i++) {
			tasks.add(startedAfterFailure::incrementAndGet);
		}
		GatherException ex = assertTimeoutPreemptively(LONG,
				() -> catchThrowableOfType(GatherException.class, () -> this.executor.gather(2, tasks)));
		assertThat(slowRunning).as("the other task still running when the failure was raised").isFalse();
		assertThat(ex.index()).isEqualTo(1);
		await().during(Duration.ofMillis(200))
			.atMost(Duration.ofSeconds(5))
			.until(() -> startedAfterFailure.get() == 0 && !slowRunning.get());
	}

	/**
	 * Item 8, first part: a processor exception left the original's workers dead and its
	 * {@code queue.join()} waiting forever.
	 */
	@Test
	void defect8ProcessDoesNotHangOnAProcessorException() {
		Iterable<Integer> items = () -> IntStream.range(0, 1_000_000).iterator();
		GatherException ex = assertTimeoutPreemptively(LONG,
				() -> catchThrowableOfType(GatherException.class, () -> this.executor.process(items, (item) -> {
					if (item == 3) {
						throw new IllegalArgumentException("item 3");
					}
					return item;
				}, 2, 5)));
		assertThat(ex.index()).isEqualTo(3);
		assertThat(ex).hasCauseInstanceOf(IllegalArgumentException.class);
	}

	/**
	 * Item 8, second part: the original used {@code None} as its stop signal, so a {@code None}
	 * item stopped a worker early and the call hung.
	 */
	@Test
	void defect8ProcessDoesNotHangOnANullItem() {
		List<String> items = Arrays.asList(null, "x", null, null, "y");
		List<Boolean> results = assertTimeoutPreemptively(LONG,
				() -> this.executor.process(items, (item) -> item == null, 1, 1));
		assertThat(results).containsExactly(true, false, true, true, false);
	}

	/**
	 * Item 8, third part: the original returned results in completion order, without the items.
	 */
	@Test
	void defect8ProcessReturnsResultsInInputOrderNotCompletionOrder() {
		CountDownLatch lastDone = new CountDownLatch(1);
		List<Integer> items = List.of(0, 1, 2);
		List<Integer> results = assertTimeoutPreemptively(LONG, () -> this.executor.process(items, (item) -> {
			if (item == 2) {
				lastDone.countDown();
			}
			else {
				try {
					// the first items complete only after the last one
					assertThat(lastDone.await(30, TimeUnit.SECONDS)).isTrue();
				}
				catch (InterruptedException ex) {
					throw new IllegalStateException(ex);
				}
			}
			return item * 10;
		}, 3, 3));
		assertThat(results).containsExactly(0, 10, 20);
	}

	/**
	 * Item 9: limits of 0 or below hung (a semaphore of zero) or failed late. Here every
	 * limit is rejected at once, naming the argument and its value, before any task starts.
	 */
	@Test
	void defect9LimitsOfZeroOrBelowAreRejectedAtOnce() {
		AtomicInteger ran = new AtomicInteger();
		List<Callable<Integer>> tasks = List.of(ran::incrementAndGet);
		List<Supplier<CompletionStage<Integer>>> asyncTasks = List
			.of(() -> CompletableFuture.completedFuture(ran.incrementAndGet()));
		Iterable<Integer> items = () -> {
			ran.incrementAndGet();
			return List.of(1).iterator();
		};
		assertTimeoutPreemptively(LONG, () -> {
			for (int limit : new int[] { 0, -1 }) {
				assertThatExceptionOfType(IllegalArgumentException.class)
					.isThrownBy(() -> this.executor.gather(limit, tasks))
					.withMessage("maxConcurrency must be > 0, was " + limit);
				assertThatExceptionOfType(IllegalArgumentException.class)
					.isThrownBy(() -> this.executor.gatherSettled(limit, tasks))
					.withMessage("maxConcurrency must be > 0, was " + limit);
				assertThatExceptionOfType(IllegalArgumentException.class)
					.isThrownBy(() -> this.executor.gatherAsync(limit, asyncTasks))
					.withMessage("maxConcurrency must be > 0, was " + limit);
				assertThatExceptionOfType(IllegalArgumentException.class)
					.isThrownBy(() -> this.executor.process(items, Function.identity(), limit, 10))
					.withMessage("maxWorkers must be > 0, was " + limit);
				assertThatExceptionOfType(IllegalArgumentException.class)
					.isThrownBy(() -> this.executor.process(items, Function.identity(), 2, limit))
					.withMessage("maxQueueSize must be > 0, was " + limit);
				assertThatExceptionOfType(IllegalArgumentException.class)
					.isThrownBy(() -> this.executor.processEach(items, Function.identity(), 2, limit, (a, b) -> {
					}))
					.withMessage("maxQueueSize must be > 0, was " + limit);
			}
		});
		assertThat(ran).hasValue(0);
	}

	/**
	 * Item 6 for the shared-semaphore form: the original's {@code gather_with_semaphore} also
	 * started everything up front; here a semaphore with no free permit starts nothing.
	 */
	@Test
	void defect6SharedSemaphoreWithoutPermitsStartsNothing() throws Exception {
		Semaphore semaphore = new Semaphore(0);
		AtomicInteger started = new AtomicInteger();
		List<Callable<Integer>> tasks = IntStream.range(0, 10)
			.mapToObj((i) -> (Callable<Integer>) started::incrementAndGet)
			.collect(Collectors.toList());
		CompletableFuture<List<Integer>> result = CompletableFuture.supplyAsync(() -> this.executor.gather(semaphore, tasks),
				this.pool);
		await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(5)).until(() -> started.get() == 0);
		semaphore.release();
		assertThat(result).succeedsWithin(LONG).satisfies((list) -> assertThat(list).hasSize(10));
		assertThat(semaphore.availablePermits()).isEqualTo(1);
	}

}
