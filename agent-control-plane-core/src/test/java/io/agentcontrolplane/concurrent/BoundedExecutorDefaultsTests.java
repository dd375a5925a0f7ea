package io.agentcontrolplane.concurrent;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Tests for the default bounds of {@link BoundedExecutor} (the helpers that take none).
 */
class BoundedExecutorDefaultsTests {

	private final ExecutorService pool = Executors.newCachedThreadPool();

	@AfterEach
	void shutdown() throws InterruptedException {
		this.pool.shutdownNow();
		assertThat(this.pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
	}

	@Test
	void defaultsAreSixteenAndOneHundred() {
		BoundedExecutor executor = new BoundedExecutor(this.pool);
		assertThat(executor.defaultMaxConcurrency()).isEqualTo(16);
		assertThat(executor.defaultMaxQueueSize()).isEqualTo(100);
	}

	@Test
	void gatherWithoutABoundUsesTheDefaultBound() {
		BoundedExecutor executor = new BoundedExecutor(this.pool).withDefaults(3, 7);
		InFlight inFlight = new InFlight();
		List<Callable<Integer>> tasks = IntStream.range(0, 60)
			.mapToObj((i) -> (Callable<Integer>) () -> inFlight.during(() -> i))
			.collect(Collectors.toList());
		assertThat(executor.gather(tasks)).hasSize(60).startsWith(0, 1, 2).endsWith(59);
		assertThat(executor.gatherSettled(tasks)).hasSize(60).allMatch(Outcome.Success.class::isInstance);
		assertThat(inFlight.max.get()).isBetween(1, 3);
	}

	@Test
	void gatherAsyncWithoutABoundUsesTheDefaultBound() {
		BoundedExecutor executor = new BoundedExecutor(this.pool).withDefaults(2, 7);
		AtomicInteger inFlight = new AtomicInteger();
		AtomicInteger max = new AtomicInteger();
		List<CompletableFuture<Integer>> pending = new ArrayList<>();
		List<Supplier<CompletionStage<Integer>>> tasks = IntStream.range(0, 10)
			.mapToObj((i) -> (Supplier<CompletionStage<Integer>>) () -> {
				max.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
				CompletableFuture<Integer> future = new CompletableFuture<>();
				synchronized (pending) {
					pending.add(future);
				}
				return future.whenComplete((value, ex) -> inFlight.decrementAndGet());
			})
			.collect(Collectors.toList());
		CompletableFuture<List<Integer>> all = executor.gatherAsync(tasks);
		int completed = 0;
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
		while (!all.isDone()) {
			// Complete the oldest operation only once the bound is filled (or nothing more can
			// start), so that a slow start on a busy machine cannot make the maximum look lower.
			CompletableFuture<Integer> next = null;
			synchronized (pending) {
				if (completed < pending.size() && pending.size() >= Math.min(completed + 2, tasks.size())) {
					next = pending.get(completed);
				}
			}
			if (next != null) {
				next.complete(completed++);
			}
			else if (System.nanoTime() - deadline > 0) {
				throw new AssertionError("gatherAsync started " + pending.size() + " operations with " + completed
						+ " completed; the default bound of 2 was never filled within 10 s");
			}
			else {
				Thread.onSpinWait();
			}
		}
		assertThat(all.join()).containsExactly(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
		assertThat(max.get()).isEqualTo(2);
	}

	@Test
	void processWithoutBoundsUsesTheDefaultWorkers() {
		BoundedExecutor executor = new BoundedExecutor(this.pool).withDefaults(2, 5);
		InFlight inFlight = new InFlight();
		List<Integer> items = IntStream.range(0, 100).boxed().collect(Collectors.toList());
		assertThat(executor.process(items, (i) -> inFlight.during(() -> i * 2))).hasSize(100).startsWith(0, 2, 4);
		AtomicInteger seen = new AtomicInteger();
		assertThat(executor.processEach(items, (i) -> inFlight.during(() -> i), (i, r) -> seen.incrementAndGet()))
			.isEqualTo(100);
		assertThat(seen).hasValue(100);
		assertThat(inFlight.max.get()).isBetween(1, 2);
	}

	@Test
	void withDefaultsRejectsBoundsBelowOne() {
		BoundedExecutor executor = new BoundedExecutor(this.pool);
		assertThatIllegalArgumentException().isThrownBy(() -> executor.withDefaults(0, 10))
			.withMessage("maxConcurrency must be > 0, was 0");
		assertThatIllegalArgumentException().isThrownBy(() -> executor.withDefaults(4, -1))
			.withMessage("maxQueueSize must be > 0, was -1");
	}

	private static final class InFlight {

		private final AtomicInteger now = new AtomicInteger();

		private final AtomicInteger max = new AtomicInteger();

		<T> T during(Supplier<T> body) {
			this.max.accumulateAndGet(this.now.incrementAndGet(), Math::max);
			try {
				Thread.yield();
				return body.get();
			}
			finally {
				this.now.decrementAndGet();
			}
		}

	}

}
