package io.agentcontrolplane.concurrent;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
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
 * Tests for the gather methods of {@link BoundedExecutor}.
 */
class BoundedExecutorGatherTests {

	private static final Duration LONG = Duration.ofSeconds(30);

	private final ExecutorService pool = Executors.newCachedThreadPool();

	private final BoundedExecutor executor = new BoundedExecutor(this.pool);

	@AfterEach
	void shutdown() throws InterruptedException {
		this.pool.shutdownNow();
		assertThat(this.pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
	}

	@Test
	void gatherReturnsResultsInInputOrder() {
		List<Callable<Integer>> tasks = IntStream.range(0, 200).mapToObj((i) -> (Callable<Integer>) () -> {
			// simulated work of varying length, so that completion order differs from input order
			Thread.sleep(ThreadLocalRandom.current().nextInt(3));
			return i;
		}).collect(Collectors.toList());
		List<Integer> results = this.executor.gather(8, tasks);
		assertThat(results).containsExactlyElementsOf(IntStream.range(0, 200).boxed().collect(Collectors.toList()));
	}

	@Test
	void gatherKeepsNullResults() {
		List<Callable<String>> tasks = List.of(() -> "a", () -> null, () -> "c");
		assertThat(this.executor.gather(2, tasks)).containsExactly("a", null, "c");
	}

	@Test
	void gatherNeverRunsMoreThanMaxConcurrencyAtOnce() {
		int bound = 4;
		CountDownLatch firstWave = new CountDownLatch(bound);
		InFlight inFlight = new InFlight();
		List<Callable<Integer>> tasks = IntStream.range(0, 100).mapToObj((i) -> (Callable<Integer>) () -> {
			inFlight.enter();
			try {
				if (i < bound) {
					// the first tasks meet, which proves the bound is reached, not only respected
					firstWave.countDown();
					assertThat(firstWave.await(30, TimeUnit.SECONDS)).isTrue();
				}
				Thread.sleep(1);
				return i;
			}
			finally {
				inFlight.exit();
			}
		}).collect(Collectors.toList());
		assertThat(this.executor.gather(bound, tasks)).hasSize(100);
		assertThat(inFlight.max()).isEqualTo(bound);
		assertThat(inFlight.current()).isZero();
	}

	@Test
	void gatherUsesOneExecutorSubmissionPerWorkerNotPerTask() {
		AtomicInteger submissions = new AtomicInteger();
		BoundedExecutor counting = new BoundedExecutor((runnable) -> {
			submissions.incrementAndGet();
			this.pool.execute(runnable);
		});
		List<Callable<Integer>> tasks = IntStream.range(0, 1000)
			.mapToObj((i) -> (Callable<Integer>) () -> i)
			.collect(Collectors.toList());
		assertThat(counting.gather(3, tasks)).hasSize(1000);
		assertThat(submissions).hasValueLessThanOrEqualTo(3);
	}

	@Test
	void sharedSemaphoreBoundsTwoConcurrentGathersTogether() throws Exception {
		Semaphore semaphore = new Semaphore(3);
		InFlight inFlight = new InFlight();
		CountDownLatch bothStarted = new CountDownLatch(2);
		Callable<List<Integer>> gather = () -> {
			List<Callable<Integer>> tasks = IntStream.range(0, 60).mapToObj((i) -> (Callable<Integer>) () -> {
				inFlight.enter();
				try {
					if (i == 0) {
						// both gathers hold permits at the same time before either goes on
						bothStarted.countDown();
						assertThat(bothStarted.await(30, TimeUnit.SECONDS)).isTrue();
					}
					Thread.sleep(1);
					return i;
				}
				finally {
					inFlight.exit();
				}
			}).collect(Collectors.toList());
			return this.executor.gather(semaphore, tasks);
		};
		ExecutorService callers = Executors.newFixedThreadPool(2);
		try {
			Future<List<Integer>> first = callers.submit(gather);
			Future<List<Integer>> second = callers.submit(gather);
			assertThat(first.get(30, TimeUnit.SECONDS)).hasSize(60);
			assertThat(second.get(30, TimeUnit.SECONDS)).hasSize(60);
		}
		finally {
			callers.shutdownNow();
		}
		assertThat(inFlight.max()).isBetween(2, 3);
		assertThat(semaphore.availablePermits()).isEqualTo(3);
	}

	@Test
	void gatherWithSemaphoreReleasesEveryPermitOnFailure() {
		Semaphore semaphore = new Semaphore(2);
		List<Callable<Integer>> tasks = IntStream.range(0, 20).mapToObj((i) -> (Callable<Integer>) () -> {
			if (i == 5) {
				throw new IllegalStateException("boom");
			}
			return i;
		}).collect(Collectors.toList());
		GatherException ex = catchThrowableOfType(GatherException.class, () -> this.executor.gather(semaphore, tasks));
		assertThat(ex.index()).isEqualTo(5);
		assertThat(ex).hasCauseInstanceOf(IllegalStateException.class);
		assertThat(semaphore.availablePermits()).isEqualTo(2);
	}

	@Test
	void gatherSettledWithSemaphoreReturnsEveryOutcome() {
		Semaphore semaphore = new Semaphore(1);
		List<Callable<Integer>> tasks = List.of(() -> 1, () -> {
			throw new IllegalStateException("two");
		}, () -> 3);
		List<Outcome<Integer>> outcomes = this.executor.gatherSettled(semaphore, tasks);
		assertThat(outcomes).hasSize(3);
		assertThat(outcomes.get(0)).isEqualTo(new Outcome.Success<>(1));
		assertThat(outcomes.get(1)).isInstanceOfSatisfying(Outcome.Failure.class,
				(failure) -> assertThat(failure.error()).hasMessage("two"));
		assertThat(outcomes.get(2)).isEqualTo(new Outcome.Success<>(3));
		assertThat(semaphore.availablePermits()).isEqualTo(1);
	}

	@Test
	void gatherFailsFastInterruptsRunningTasksAndStartsNoMore() {
		CountDownLatch blockedStarted = new CountDownLatch(1);
		AtomicBoolean blockedInterrupted = new AtomicBoolean();
		AtomicBoolean blockedFinished = new AtomicBoolean();
		AtomicInteger laterStarted = new AtomicInteger();
		List<Callable<Integer>> tasks = new ArrayList<>();
		tasks.add(() -> {
			blockedStarted.countDown();
			try {
				new CountDownLatch(1).await(30, TimeUnit.SECONDS);
				return 0;
			}
			catch (InterruptedException ex) {
				blockedInterrupted.set(true);
				// simulated clean-up work: gather must wait for it before throwing
				sleepUninterruptibly(100);
				throw ex;
			}
			finally {
				blockedFinished.set(true);
			}
		});
		tasks.add(() -> {
			assertThat(blockedStarted.await(30, TimeUnit.SECONDS)).isTrue();
			throw new IllegalStateException("task 1 failed");
		});
		for (int i = 2; i < 50; i++) {
			tasks.add(() -> laterStarted.incrementAndGet());
		}
		GatherException ex = assertTimeoutPreemptively(LONG,
				() -> catchThrowableOfType(GatherException.class, () -> this.executor.gather(2, tasks)));
		assertThat(blockedFinished).as("the interrupted task finished before gather threw").isTrue();
		assertThat(ex.index()).isEqualTo(1);
		assertThat(ex.getCause()).isInstanceOf(IllegalStateException.class).hasMessage("task 1 failed");
		assertThat(blockedInterrupted).isTrue();
		assertThat(laterStarted).hasValue(0);
		// nothing starts later either
		await().during(Duration.ofMillis(200)).atMost(Duration.ofSeconds(5)).until(() -> laterStarted.get() == 0);
	}

	@Test
	void gatherSettledRunsEveryTaskAndReturnsEveryOutcomeInOrder() {
		AtomicInteger ran = new AtomicInteger();
		List<Callable<String>> tasks = IntStream.range(0, 30).mapToObj((i) -> (Callable<String>) () -> {
			ran.incrementAndGet();
			if (i % 3 == 1) {
				throw new IllegalArgumentException("failure " + i);
			}
			return "value " + i;
		}).collect(Collectors.toList());
		List<Outcome<String>> outcomes = this.executor.gatherSettled(4, tasks);
		assertThat(ran).hasValue(30);
		assertThat(outcomes).hasSize(30);
		for (int i = 0; i < 30; i++) {
			if (i % 3 == 1) {
				String message = "failure " + i;
				assertThat(outcomes.get(i)).isInstanceOfSatisfying(Outcome.Failure.class,
						(failure) -> assertThat(failure.error()).isInstanceOf(IllegalArgumentException.class)
							.hasMessage(message));
			}
			else {
				assertThat(outcomes.get(i)).isEqualTo(new Outcome.Success<>("value " + i));
			}
		}
	}

	@Test
	void interruptingTheCallerCancelsEveryTaskAndRestoresTheInterrupt() throws Exception {
		int bound = 3;
		CountDownLatch allStarted = new CountDownLatch(bound);
		AtomicInteger interrupted = new AtomicInteger();
		AtomicInteger started = new AtomicInteger();
		AtomicInteger running = new AtomicInteger();
		List<Callable<Integer>> tasks = IntStream.range(0, 20).mapToObj((i) -> (Callable<Integer>) () -> {
			started.incrementAndGet();
			running.incrementAndGet();
			allStarted.countDown();
			try {
				new CountDownLatch(1).await(30, TimeUnit.SECONDS);
				return i;
			}
			catch (InterruptedException ex) {
				interrupted.incrementAndGet();
				throw ex;
			}
			finally {
				running.decrementAndGet();
			}
		}).collect(Collectors.toList());
		AtomicReference<Throwable> thrown = new AtomicReference<>();
		AtomicBoolean interruptFlagAfter = new AtomicBoolean();
		AtomicInteger runningAtReturn = new AtomicInteger(-1);
		Thread caller = new Thread(() -> {
			try {
				this.executor.gather(bound, tasks);
			}
			catch (Throwable ex) {
				runningAtReturn.set(running.get());
				thrown.set(ex);
			}
			interruptFlagAfter.set(Thread.currentThread().isInterrupted());
		});
		caller.start();
		assertThat(allStarted.await(30, TimeUnit.SECONDS)).isTrue();
		caller.interrupt();
		caller.join(30_000);
		assertThat(caller.isAlive()).isFalse();
		assertThat(thrown.get()).isInstanceOfSatisfying(GatherException.class, (ex) -> {
			assertThat(ex.index()).isEqualTo(-1);
			assertThat(ex.getCause()).isInstanceOf(InterruptedException.class);
		});
		assertThat(interruptFlagAfter).isTrue();
		assertThat(runningAtReturn).hasValue(0);
		assertThat(interrupted).hasValue(bound);
		assertThat(started).hasValue(bound);
	}

	@Test
	void cancellationInterruptDoesNotLeakIntoTheExecutorsNextTask() throws Exception {
		// An executor whose threads, unlike ThreadPoolExecutor's, do not clear the interrupt
		// between tasks, and which records any interrupt left behind by a task.
		LinkedBlockingQueue<Runnable> queue = new LinkedBlockingQueue<>();
		AtomicInteger leaked = new AtomicInteger();
		AtomicInteger ran = new AtomicInteger();
		List<Thread> threads = new ArrayList<>();
		for (int i = 0; i < 2; i++) {
			Thread thread = new Thread(() -> {
				try {
					while (true) {
						queue.take().run();
						ran.incrementAndGet();
						if (Thread.currentThread().isInterrupted()) {
							leaked.incrementAndGet();
							return;
						}
					}
				}
				catch (InterruptedException ex) {
					// shut down
				}
			});
			thread.setDaemon(true);
			thread.start();
			threads.add(thread);
		}
		try {
			BoundedExecutor bounded = new BoundedExecutor(queue::add);
			CountDownLatch spinnerStarted = new CountDownLatch(1);
			// the spinner notices the cancellation but, like much real code, leaves the flag set
			Callable<Integer> spinner = () -> {
				spinnerStarted.countDown();
				long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
				while (!Thread.currentThread().isInterrupted() && System.nanoTime() < deadline) {
					Thread.onSpinWait();
				}
				return 0;
			};
			Callable<Integer> failing = () -> {
				assertThat(spinnerStarted.await(30, TimeUnit.SECONDS)).isTrue();
				throw new IllegalStateException("fails");
			};
			assertTimeoutPreemptively(LONG, () -> assertThatExceptionOfType(GatherException.class)
				.isThrownBy(() -> bounded.gather(2, List.of(spinner, failing))));
			await().atMost(LONG).until(() -> ran.get() == 2);
			assertThat(leaked).hasValue(0);
		}
		finally {
			threads.forEach(Thread::interrupt);
		}
	}

	@Test
	void gatherOfEmptyListReturnsEmptyListAtOnce() {
		assertThat(this.executor.<Integer>gather(3, Collections.emptyList())).isEmpty();
		assertThat(this.executor.<Integer>gatherSettled(3, Collections.emptyList())).isEmpty();
		assertThat(this.executor.<Integer>gather(new Semaphore(1), Collections.emptyList())).isEmpty();
		assertThat(this.executor.<Integer>gatherSettled(new Semaphore(1), Collections.emptyList())).isEmpty();
	}

	@Test
	void gatherRejectsBadArgumentsBeforeAnyTaskStarts() {
		AtomicInteger ran = new AtomicInteger();
		List<Callable<Integer>> tasks = List.of(ran::incrementAndGet);
		assertThatExceptionOfType(IllegalArgumentException.class).isThrownBy(() -> this.executor.gather(0, tasks))
			.withMessageContaining("maxConcurrency")
			.withMessageContaining("0");
		assertThatExceptionOfType(IllegalArgumentException.class).isThrownBy(() -> this.executor.gather(-2, tasks))
			.withMessageContaining("maxConcurrency")
			.withMessageContaining("-2");
		assertThatExceptionOfType(IllegalArgumentException.class)
			.isThrownBy(() -> this.executor.gatherSettled(0, tasks))
			.withMessageContaining("maxConcurrency");
		assertThatExceptionOfType(NullPointerException.class)
			.isThrownBy(() -> this.executor.gather(2, (List<Callable<Integer>>) null))
			.withMessageContaining("tasks");
		assertThatExceptionOfType(NullPointerException.class)
			.isThrownBy(() -> this.executor.gather((Semaphore) null, tasks))
			.withMessageContaining("semaphore");
		List<Callable<Integer>> withNull = new ArrayList<>(tasks);
		withNull.add(null);
		assertThatExceptionOfType(NullPointerException.class).isThrownBy(() -> this.executor.gather(2, withNull))
			.withMessageContaining("tasks")
			.withMessageContaining("index 1");
		assertThat(ran).hasValue(0);
	}

	@Test
	void createRunsOnVirtualThreadsWhereAvailableAndCloseStopsThem() {
		BoundedExecutor created = BoundedExecutor.create();
		List<String> threads = created.gather(2,
				List.of(() -> Thread.currentThread().getClass().getName() + " " + Thread.currentThread().isDaemon()));
		if (BoundedExecutor.virtualThreadsAvailable()) {
			assertThat(threads.get(0)).contains("VirtualThread");
		}
		else {
			assertThat(threads.get(0)).isEqualTo(Thread.class.getName() + " true");
			assertThat(created.<String>gather(1, List.of(() -> Thread.currentThread().getName())).get(0))
				.startsWith("bounded-executor-");
		}
		created.close();
		assertThatExceptionOfType(RejectedExecutionException.class)
			.isThrownBy(() -> created.gather(1, List.of(() -> 1)));
	}

	@Test
	void closeLeavesAnExecutorPassedInRunning() {
		this.executor.close();
		assertThat(this.pool.isShutdown()).isFalse();
		assertThat(this.executor.gather(1, List.of(() -> 1))).containsExactly(1);
	}

	static void sleepUninterruptibly(long millis) {
		long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
		boolean interrupted = false;
		while (System.nanoTime() < deadline) {
			try {
				Thread.sleep(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
			}
			catch (InterruptedException ex) {
				interrupted = true;
			}
		}
		if (interrupted) {
			Thread.currentThread().interrupt();
		}
	}

	/**
	 * Counts tasks in flight and remembers the most seen at once.
	 */
	static final class InFlight {

		private final AtomicInteger current = new AtomicInteger();

		private final AtomicInteger max = new AtomicInteger();

		void enter() {
			this.max.accumulateAndGet(this.current.incrementAndGet(), Math::max);
		}

		void exit() {
			this.current.decrementAndGet();
		}

		int current() {
			return this.current.get();
		}

		int max() {
			return this.max.get();
		}

	}

}
