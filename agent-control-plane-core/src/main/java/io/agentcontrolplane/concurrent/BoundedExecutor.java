package io.agentcontrolplane.concurrent;

import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;

import io.agentcontrolplane.quota.PolicyEngine;

/**
 * Bounded fan-out. API CONTRACT STUB: the signatures are final, the bodies are being implemented.
 */
public final class BoundedExecutor implements AutoCloseable {

	/**
	 * Run tasks on the given executor, with an engine of its own for {@link #gatherForAgent}.
	 * @param executor where tasks run
	 */
	public BoundedExecutor(Executor executor) {
		this(executor, new PolicyEngine());
	}

	/**
	 * Run tasks on the given executor; {@link #gatherForAgent} takes permits from the engine.
	 * @param executor where tasks run
	 * @param engine the quota engine
	 */
	public BoundedExecutor(Executor executor, PolicyEngine engine) {
	}

	/**
	 * An executor on virtual threads on Java 21+, else on a platform-thread executor.
	 * @return a new bounded executor, which owns its threads (close it to stop them)
	 */
	public static BoundedExecutor create() {
		throw new UnsupportedOperationException("not implemented yet");
	}

	/**
	 * Run the tasks, at most {@code maxConcurrency} at once; results in input order.
	 * @param <T> the result type
	 * @param maxConcurrency the bound, {@code > 0}
	 * @param tasks the tasks
	 * @return the results in input order
	 * @throws GatherException on the first failure, after every started task finished
	 */
	public <T> List<T> gather(int maxConcurrency, List<? extends Callable<? extends T>> tasks) {
		throw new UnsupportedOperationException("not implemented yet");
	}

	/**
	 * Run every task, at most {@code maxConcurrency} at once; outcomes in input order.
	 * @param <T> the result type
	 * @param maxConcurrency the bound, {@code > 0}
	 * @param tasks the tasks
	 * @return the outcomes in input order
	 */
	public <T> List<Outcome<T>> gatherSettled(int maxConcurrency, List<? extends Callable<? extends T>> tasks) {
		throw new UnsupportedOperationException("not implemented yet");
	}

	/**
	 * As {@link #gather(int, List)}, bounded by the caller's semaphore (shared across calls).
	 * @param <T> the result type
	 * @param semaphore the semaphore
	 * @param tasks the tasks
	 * @return the results in input order
	 */
	public <T> List<T> gather(Semaphore semaphore, List<? extends Callable<? extends T>> tasks) {
		throw new UnsupportedOperationException("not implemented yet");
	}

	/**
	 * As {@link #gatherSettled(int, List)}, bounded by the caller's semaphore.
	 * @param <T> the result type
	 * @param semaphore the semaphore
	 * @param tasks the tasks
	 * @return the outcomes in input order
	 */
	public <T> List<Outcome<T>> gatherSettled(Semaphore semaphore, List<? extends Callable<? extends T>> tasks) {
		throw new UnsupportedOperationException("not implemented yet");
	}

	/**
	 * As {@link #gather(int, List)}, bounded by the agent's quota in the engine.
	 * @param <T> the result type
	 * @param agentId the agent
	 * @param tasks the tasks
	 * @return the results in input order
	 */
	public <T> List<T> gatherForAgent(String agentId, List<? extends Callable<? extends T>> tasks) {
		throw new UnsupportedOperationException("not implemented yet");
	}

	/**
	 * Bound in-flight asynchronous operations without holding a thread per operation.
	 * @param <T> the result type
	 * @param maxConcurrency the bound, {@code > 0}
	 * @param tasks suppliers that start one operation each
	 * @return a future of the results in input order
	 */
	public <T> CompletableFuture<List<T>> gatherAsync(int maxConcurrency,
			List<? extends Supplier<? extends CompletionStage<? extends T>>> tasks) {
		throw new UnsupportedOperationException("not implemented yet");
	}

	/**
	 * Process items read lazily, with a bounded queue; results in input order.
	 * @param <T> the item type
	 * @param <R> the result type
	 * @param items the items
	 * @param processor the processor
	 * @param maxWorkers the number of workers, {@code > 0}
	 * @param maxQueueSize the queue bound, {@code > 0}
	 * @return the results in input order
	 */
	public <T, R> List<R> process(Iterable<? extends T> items, Function<? super T, ? extends R> processor,
			int maxWorkers, int maxQueueSize) {
		throw new UnsupportedOperationException("not implemented yet");
	}

	/**
	 * As {@link #process(Iterable, Function, int, int)} with a queue of 100.
	 * @param <T> the item type
	 * @param <R> the result type
	 * @param items the items
	 * @param processor the processor
	 * @param maxWorkers the number of workers, {@code > 0}
	 * @return the results in input order
	 */
	public <T, R> List<R> process(Iterable<? extends T> items, Function<? super T, ? extends R> processor,
			int maxWorkers) {
		return process(items, processor, maxWorkers, 100);
	}

	/**
	 * The streaming form of {@code process}: results are handed over as they complete.
	 * @param <T> the item type
	 * @param <R> the result type
	 * @param items the items
	 * @param processor the processor
	 * @param maxWorkers the number of workers, {@code > 0}
	 * @param maxQueueSize the queue bound, {@code > 0}
	 * @param onResult receives each item and its result
	 * @return the number of items processed
	 */
	public <T, R> long processEach(Iterable<? extends T> items, Function<? super T, ? extends R> processor,
			int maxWorkers, int maxQueueSize, BiConsumer<? super T, ? super R> onResult) {
		throw new UnsupportedOperationException("not implemented yet");
	}

	/**
	 * Stop the threads this executor owns (only those made by {@link #create()}).
	 */
	@Override
	public void close() {
	}

}
