package io.agentcontrolplane.concurrent;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReferenceArray;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

/**
 * One call of {@code gatherAsync}: no thread waits for an operation. Operations are started by
 * a drain loop. The first turn runs on the executor, so the caller never runs a task; after
 * that the drain runs on the thread that completes an operation (as Reactor's {@code flatMap}
 * subscribes the next inner publisher on the thread that completed the last), which saves an
 * executor hand-off per operation. A work-in-progress counter makes
 * the drain single-threaded and turns re-entry (an operation that completes while it is being
 * started) into another turn of the same loop instead of recursion, so the stack stays flat
 * however many operations complete synchronously.
 */
final class AsyncGather<T> {

	private final Executor executor;

	private final Object[] tasks;

	private final int maxConcurrency;

	private final Object[] results;

	/** Stages started and not completed, kept only to cancel them; cleared on completion. */
	private final AtomicReferenceArray<CompletionStage<?>> inFlightStages;

	private final AtomicInteger inFlight = new AtomicInteger();

	private final AtomicInteger remaining;

	private final AtomicInteger wip = new AtomicInteger();

	private final CompletableFuture<List<T>> result = new CompletableFuture<>();

	/** The next task to start; only read and written by the (single-threaded) drain. */
	private int next;

	private volatile boolean done;

	AsyncGather(Executor executor, Object[] tasks, int maxConcurrency) {
		this.executor = executor;
		this.tasks = tasks;
		this.maxConcurrency = maxConcurrency;
		this.results = new Object[tasks.length];
		this.inFlightStages = new AtomicReferenceArray<>(tasks.length);
		this.remaining = new AtomicInteger(tasks.length);
	}

	CompletableFuture<List<T>> start() {
		// Any completion of the result (failure, cancellation by the caller, or even a
		// completion forced from outside) stops starting operations.
		this.result.whenComplete((value, ex) -> {
			this.done = true;
			if (ex != null) {
				cancelInFlight();
			}
		});
		scheduleDrain();
		return this.result;
	}

	private void scheduleDrain() {
		if (this.wip.getAndIncrement() == 0) {
			// the first turn: off the caller's thread
			try {
				this.executor.execute(this::drain);
			}
			catch (RuntimeException ex) {
				// the drain can never run again (wip stays above zero): fail rather than hang
				this.result.completeExceptionally(ex);
			}
		}
	}

	private void drain() {
		int missed = 1;
		for (;;) {
			while (!this.done && this.next < this.tasks.length && this.inFlight.get() < this.maxConcurrency) {
				int index = this.next++;
				this.inFlight.incrementAndGet();
				startOne(index);
			}
			missed = this.wip.addAndGet(-missed);
			if (missed == 0) {
				return;
			}
		}
	}

	@SuppressWarnings("unchecked")
	private void startOne(int index) {
		CompletionStage<? extends T> stage;
		try {
			stage = ((Supplier<? extends CompletionStage<? extends T>>) this.tasks[index]).get();
			if (stage == null) {
				throw new NullPointerException("Task " + index + " returned a null CompletionStage");
			}
		}
		catch (Throwable ex) {
			this.inFlight.decrementAndGet();
			fail(index, ex);
			return;
		}
		this.inFlightStages.set(index, stage);
		if (this.done) {
			// published before reading the flag, so either this or cancelInFlight cancels it
			cancel(stage);
		}
		stage.whenComplete((value, ex) -> completed(index, value, ex));
	}

	private void completed(int index, @Nullable Object value, @Nullable Throwable ex) {
		this.inFlightStages.lazySet(index, null);
		if (ex != null) {
			fail(index, (ex instanceof CompletionException && ex.getCause() != null) ? ex.getCause() : ex);
		}
		else {
			this.results[index] = value;
			if (this.remaining.decrementAndGet() == 0) {
				complete();
			}
		}
		this.inFlight.decrementAndGet();
		if (!this.done && this.wip.getAndIncrement() == 0) {
			// a slot is free and no drain runs: start the next operations on this thread
			drain();
		}
	}

	@SuppressWarnings("unchecked")
	private void complete() {
		this.result.complete((List<T>) Collections.unmodifiableList(Arrays.asList(this.results)));
	}

	private void fail(int index, Throwable ex) {
		this.result.completeExceptionally(new GatherException(index, ex));
	}

	private void cancelInFlight() {
		for (int i = 0; i < this.inFlightStages.length(); i++) {
			CompletionStage<?> stage = this.inFlightStages.get(i);
			if (stage != null) {
				cancel(stage);
			}
		}
	}

	private static void cancel(CompletionStage<?> stage) {
		if (stage instanceof Future<?> future) {
			future.cancel(true);
		}
	}

}
