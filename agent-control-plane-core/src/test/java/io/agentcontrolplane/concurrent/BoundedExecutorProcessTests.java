package io.agentcontrolplane.concurrent;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import io.agentcontrolplane.concurrent.BoundedExecutorGatherTests.InFlight;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Tests for {@link BoundedExecutor#process} and {@link BoundedExecutor#processEach}.
 */
class BoundedExecutorProcessTests {

	private static final Duration LONG = Duration.ofSeconds(60);

	private final ExecutorService pool = Executors.newCachedThreadPool();

	private final BoundedExecutor executor = new BoundedExecutor(this.pool);

	@AfterEach
	void shutdown() throws InterruptedException {
		this.pool.shutdownNow();
		assertThat(this.pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
	}

	@Test
	void processReadsLazilyNeverMoreThanWorkersPlusQueuePlusOneAhead() {
		int maxWorkers = 4;
		int maxQueueSize = 8;
		AtomicLong processed = new AtomicLong();
		AtomicLong maxAhead = new AtomicLong();
		InFlight inFlight = new InFlight();
		Iterable<Integer> items = () -> new Iterator<>() {

			private int read;

			@Override
			public boolean hasNext() {
				return this.read < 1000;
			}

			@Override
			public Integer next() {
				this.read++;
				maxAhead.accumulateAndGet(this.read - processed.get(), Math::max);
				return this.read - 1;
			}

		};
		List<Integer> results = assertTimeoutPreemptively(LONG, () -> this.executor.process(items, (item) -> {
			inFlight.enter();
			try {
				// simulated work, so that reading would run ahead if it could
				Thread.sleep(1);
				return item * 2;
			}
			catch (InterruptedException ex) {
				throw new IllegalStateException(ex);
			}
			finally {
				inFlight.exit();
				processed.incrementAndGet();
			}
		}, maxWorkers, maxQueueSize));
		assertThat(results).containsExactlyElementsOf(IntStream.range(0, 1000).mapToObj((i) -> i * 2).collect(Collectors.toList()));
		// the +1 is the item the reader holds while it waits for space in the queue
		assertThat(maxAhead.get()).isLessThanOrEqualTo(maxWorkers + maxQueueSize + 1);
		assertThat(maxAhead.get()).isGreaterThanOrEqualTo(maxQueueSize);
		assertThat(inFlight.max()).isLessThanOrEqualTo(maxWorkers);
	}

	/**
	 * Queues above {@link QueueRun#ARRAY_QUEUE_MAX} are held in several segments allocated as
	 * items arrive (not up front: defect D6 was an {@code OutOfMemoryError} for a huge bound) and
	 * must bound reading exactly as a small queue does.
	 */
	@Test
	void processEachWithAQueueTooLargeToPreallocateStillBoundsReading() {
		int maxQueueSize = QueueRun.ARRAY_QUEUE_MAX * 4;
		assertReadingStopsExactlyAtTheBound(2, maxQueueSize, maxQueueSize * 3);
	}

	/**
	 * The hand-off list grows by segments of at least 16 slots and at most the queue bound: a
	 * bound smaller than a segment, and items that span many segments, must bound reading just
	 * as exactly.
	 */
	@Test
	void processEachBoundsReadingExactlyWhateverTheQueueAgainstTheSegmentSize() {
		assertReadingStopsExactlyAtTheBound(1, 1, 200);
		assertReadingStopsExactlyAtTheBound(3, 5, 500);
		assertReadingStopsExactlyAtTheBound(2, 50, 5000);
	}

	/**
	 * Workers are held until the reader has read all it may, so reading further would only be
	 * possible without the bound.
	 */
	private void assertReadingStopsExactlyAtTheBound(int maxWorkers, int maxQueueSize, int total) {
		AtomicLong processed = new AtomicLong();
		AtomicLong maxAhead = new AtomicLong();
		CountDownLatch readAllItMay = new CountDownLatch(1);
		Iterable<Integer> items = () -> new Iterator<>() {

			private int read;

			@Override
			public boolean hasNext() {
				return this.read < total;
			}

			@Override
			public Integer next() {
				this.read++;
				maxAhead.accumulateAndGet(this.read - processed.get(), Math::max);
				if (this.read == maxWorkers + maxQueueSize + 1) {
					readAllItMay.countDown();
				}
				return this.read - 1;
			}

		};
		AtomicLong sum = new AtomicLong();
		long count = assertTimeoutPreemptively(LONG, () -> this.executor.processEach(items, (item) -> {
			await(readAllItMay, "the reader never filled the queue");
			processed.incrementAndGet();
			return item;
		}, maxWorkers, maxQueueSize, (item, result) -> sum.addAndGet(result)));
		assertThat(count).isEqualTo(total);
		assertThat(sum.get()).isEqualTo((long) total * (total - 1) / 2);
		assertThat(maxAhead.get()).isEqualTo(maxWorkers + maxQueueSize + 1);
	}

	/**
	 * The caller waits for room without a queue to block on; a processor failure while it waits
	 * must wake it, and it must read nothing more.
	 */
	@Test
	void processorFailureWhileTheReaderWaitsForRoomEndsTheCallPromptly() {
		AtomicInteger read = new AtomicInteger();
		CountDownLatch readAllItMay = new CountDownLatch(1);
		AtomicReference<Thread> caller = new AtomicReference<>();
		Iterable<Integer> items = () -> IntStream.range(0, 1_000_000).peek((i) -> {
			if (read.incrementAndGet() == 1 + 2 + 1) {
				readAllItMay.countDown();
			}
		}).iterator();
		GatherException ex = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
			caller.set(Thread.currentThread());
			return catchThrowableOfType(GatherException.class, () -> this.executor.process(items, (item) -> {
				await(readAllItMay, "the reader never filled the queue");
				// fail only once the caller pauses for room (the only timed wait it makes)
				Awaitility.await("the caller pausing for room")
					.atMost(Duration.ofSeconds(20))
					.until(() -> caller.get().getState() == Thread.State.TIMED_WAITING);
				throw new IllegalStateException("bad item " + item);
			}, 1, 2));
		});
		// the worker may have read item 1 itself while the caller held item 0
		assertThat(ex.index()).isBetween(0, 1);
		assertThat(ex.getCause()).hasMessage("bad item " + ex.index());
		assertThat(read.get()).isEqualTo(1 + 2 + 1);
	}

	/**
	 * An item that comes after the other worker went idle (the input was slow) must be taken by
	 * that worker, not wait for the busy one (here it would wait forever: the busy item waits
	 * for it).
	 */
	@Test
	void processHandsAnItemThatComesLateToTheIdleWorkerNotTheBusyOne() {
		CountDownLatch lastProcessed = new CountDownLatch(1);
		Iterable<Integer> items = () -> IntStream.range(0, 3).peek((i) -> {
			if (i == 2) {
				// a slow source (simulated work, not a wait for a result): item 2 arrives late,
				// after the worker that processed item 1 ran out of items
				sleep(100);
			}
		}).iterator();
		List<Integer> results = assertTimeoutPreemptively(LONG, () -> this.executor.process(items, (item) -> {
			if (item == 0) {
				await(lastProcessed, "item 2 was never processed");
			}
			if (item == 2) {
				lastProcessed.countDown();
			}
			return item * 10;
		}, 2, 50));
		assertThat(results).containsExactly(0, 10, 20);
	}

	/**
	 * Reading items that workers take as fast as they come never waits for room, so an
	 * interrupt of the caller must be seen between items, not only while the caller waits. The
	 * iterator interrupts the caller from whichever thread reads (workers read too).
	 */
	@Test
	void interruptingTheCallerOfAnEndlessFastInputCancelsTheCall() {
		AtomicLong read = new AtomicLong();
		GatherException ex = assertTimeoutPreemptively(LONG, () -> {
			Thread caller = Thread.currentThread();
			Iterable<Integer> items = () -> new Iterator<>() {

				@Override
				public boolean hasNext() {
					return true;
				}

				@Override
				public Integer next() {
					if (read.incrementAndGet() == 100_000) {
						caller.interrupt();
					}
					return 1;
				}

			};
			try {
				return catchThrowableOfType(GatherException.class,
						() -> this.executor.processEach(items, (item) -> item, 2, 1000, (item, result) -> {
						}));
			}
			finally {
				assertThat(Thread.interrupted()).as("interrupt flag set again").isTrue();
			}
		});
		assertThat(ex.index()).isEqualTo(-1);
		assertThat(ex.getCause()).isInstanceOf(InterruptedException.class);
		// reading stops soon after the interrupt (workers may read on until the caller wakes)
		assertThat(read.get()).isBetween(100_000L, 1_000_000L);
	}

	@Test
	void processorFailureOnItemThreeOfAMillionEndsTheCallPromptly() {
		AtomicInteger read = new AtomicInteger();
		Iterable<Integer> items = () -> IntStream.range(0, 1_000_000).peek((i) -> read.incrementAndGet()).iterator();
		GatherException ex = assertTimeoutPreemptively(Duration.ofSeconds(30),
				() -> catchThrowableOfType(GatherException.class, () -> this.executor.process(items, (item) -> {
					if (item == 3) {
						throw new IllegalStateException("bad item " + item);
					}
					return item;
				}, 4, 10)));
		assertThat(ex.index()).isEqualTo(3);
		assertThat(ex.getCause()).isInstanceOf(IllegalStateException.class).hasMessage("bad item 3");
		assertThat(read.get()).isLessThan(1000);
	}

	@Test
	void processReturnsNullItemsInPlace() {
		List<String> items = Arrays.asList("a", null, "b", null, null, "c");
		List<String> results = assertTimeoutPreemptively(LONG,
				() -> this.executor.process(items, (item) -> (item != null) ? item.toUpperCase() : "<null>", 2, 1));
		assertThat(results).containsExactly("A", "<null>", "B", "<null>", "<null>", "C");
		List<String> identity = this.executor.process(items, Function.identity(), 3);
		assertThat(identity).containsExactly("a", null, "b", null, null, "c");
	}

	@Test
	void processReturnsResultsInInputOrderNotCompletionOrder() {
		List<Integer> items = IntStream.range(0, 40).boxed().collect(Collectors.toList());
		List<Integer> results = assertTimeoutPreemptively(LONG, () -> this.executor.process(items, (item) -> {
			try {
				// earlier items take longer, so they complete after later ones
				Thread.sleep((40 - item) / 8);
			}
			catch (InterruptedException ex) {
				throw new IllegalStateException(ex);
			}
			return item;
		}, 8, 4));
		assertThat(results).containsExactlyElementsOf(items);
	}

	@Test
	void iteratorFailureEndsTheCallAndIsRethrown() {
		AtomicInteger processed = new AtomicInteger();
		Iterable<Integer> items = () -> new Iterator<>() {

			private int read;

			@Override
			public boolean hasNext() {
				return true;
			}

			@Override
			public Integer next() {
				if (this.read == 50) {
					throw new IllegalStateException("source broke");
				}
				return this.read++;
			}

		};
		assertTimeoutPreemptively(LONG,
				() -> assertThatExceptionOfType(IllegalStateException.class)
					.isThrownBy(() -> this.executor.process(items, (item) -> processed.incrementAndGet(), 2, 4))
					.withMessage("source broke"));
		assertThat(processed.get()).isLessThanOrEqualTo(50);
	}

	@Test
	void processEachHandsOverEveryResultOneCallAtATime() {
		AtomicInteger concurrentCalls = new AtomicInteger();
		AtomicInteger maxConcurrentCalls = new AtomicInteger();
		// deliberately not thread-safe: processEach serialises onResult
		Set<Integer> seen = new HashSet<>();
		List<Integer> items = IntStream.range(0, 5000).boxed().collect(Collectors.toList());
		long count = assertTimeoutPreemptively(LONG, () -> this.executor.processEach(items, (item) -> item + 1, 4, 16,
				(item, result) -> {
					maxConcurrentCalls.accumulateAndGet(concurrentCalls.incrementAndGet(), Math::max);
					assertThat(result).isEqualTo(item + 1);
					seen.add(item);
					concurrentCalls.decrementAndGet();
				}));
		assertThat(count).isEqualTo(5000);
		assertThat(seen).hasSize(5000);
		assertThat(maxConcurrentCalls).hasValue(1);
	}

	@Test
	void processEachFailureInOnResultEndsTheCall() {
		List<Integer> items = IntStream.range(0, 10_000).boxed().collect(Collectors.toList());
		GatherException ex = assertTimeoutPreemptively(LONG,
				() -> catchThrowableOfType(GatherException.class, () -> this.executor.processEach(items, (item) -> item, 2,
						4, (item, result) -> {
							if (item == 7) {
								throw new IllegalStateException("consumer failed");
							}
						})));
		assertThat(ex.index()).isEqualTo(7);
	}

	@Test
	void processEachOfAMillionItemsRunsInASmallHeap() throws Exception {
		String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
		Process process = new ProcessBuilder(java, "-Xmx64m", "-cp", System.getProperty("java.class.path"),
				ProcessEachSmallHeapMain.class.getName())
			.redirectErrorStream(true)
			.start();
		boolean exited = process.waitFor(120, TimeUnit.SECONDS);
		if (!exited) {
			process.destroyForcibly();
		}
		String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		assertThat(exited).as("forked JVM finished in time").isTrue();
		assertThat(process.exitValue()).as(output).isZero();
		assertThat(output).contains("processed=1000000");
	}

	/**
	 * Workers are started only as they are needed (when items wait and none is taken), so that
	 * tiny items do not cost every worker; items that take long must still get every worker at
	 * once, in a short input (started after the input ended) as in a long one (while reading).
	 * Here the first items wait for each other, so fewer workers would never finish.
	 */
	@Test
	void slowItemsGetEveryWorkerAtOnceThoughWorkersStartOnlyWhenNeeded() {
		for (int total : new int[] { 4, 100 }) {
			CountDownLatch allFourRunning = new CountDownLatch(4);
			List<Integer> items = IntStream.range(0, total).boxed().collect(Collectors.toList());
			List<Integer> results = assertTimeoutPreemptively(LONG, () -> this.executor.process(items, (item) -> {
				if (item < 4) {
					allFourRunning.countDown();
					await(allFourRunning, "fewer than four items ran at once");
				}
				return item;
			}, 4, 10));
			assertThat(results).containsExactlyElementsOf(items);
		}
	}

	private static void await(CountDownLatch latch, String failure) {
		try {
			if (!latch.await(LONG.toSeconds(), TimeUnit.SECONDS)) {
				throw new IllegalStateException(failure);
			}
		}
		catch (InterruptedException ex) {
			throw new IllegalStateException(ex);
		}
	}

	private static void sleep(long millis) {
		try {
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			throw new IllegalStateException(ex);
		}
	}

	@Test
	void processRejectsBadArgumentsBeforeReadingAnything() {
		AtomicInteger read = new AtomicInteger();
		Iterable<Integer> items = () -> {
			read.incrementAndGet();
			return List.of(1).iterator();
		};
		assertThatExceptionOfType(IllegalArgumentException.class)
			.isThrownBy(() -> this.executor.process(items, Function.identity(), 0, 10))
			.withMessageContaining("maxWorkers")
			.withMessageContaining("0");
		assertThatExceptionOfType(IllegalArgumentException.class)
			.isThrownBy(() -> this.executor.process(items, Function.identity(), 2, -1))
			.withMessageContaining("maxQueueSize")
			.withMessageContaining("-1");
		assertThatExceptionOfType(IllegalArgumentException.class)
			.isThrownBy(() -> this.executor.process(items, Function.identity(), -3))
			.withMessageContaining("maxWorkers")
			.withMessageContaining("-3");
		assertThatExceptionOfType(NullPointerException.class)
			.isThrownBy(() -> this.executor.process(null, Function.identity(), 2, 2))
			.withMessageContaining("items");
		assertThatExceptionOfType(NullPointerException.class)
			.isThrownBy(() -> this.executor.process(items, null, 2, 2))
			.withMessageContaining("processor");
		assertThatExceptionOfType(NullPointerException.class)
			.isThrownBy(() -> this.executor.processEach(items, Function.identity(), 2, 2, null))
			.withMessageContaining("onResult");
		assertThat(read).hasValue(0);
	}

	@Test
	void processOfEmptyInputReturnsEmptyList() {
		assertThat(this.executor.process(new ArrayList<Integer>(), Function.identity(), 2)).isEmpty();
		assertThat(this.executor.processEach(new ArrayList<Integer>(), Function.identity(), 2, 2, (a, b) -> {
		})).isZero();
	}

}
