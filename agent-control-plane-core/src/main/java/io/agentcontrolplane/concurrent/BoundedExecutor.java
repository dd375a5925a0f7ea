package io.agentcontrolplane.concurrent;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiConsumer;
import java.util.function.Function;
import java.util.function.Supplier;

import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.ResourceQuota;
import org.jspecify.annotations.Nullable;

/**
 * Bounded fan-out: run many tasks with at most a given number at once, without holding memory
 * or threads for the tasks that wait. The Java home of the original's
 * {@code gather_with_concurrency}, {@code gather_with_semaphore} and
 * {@code process_with_bounded_queue}, without their defects.
 *
 * <p>Every blocking method is <em>structured</em>: it returns or throws only once every task it
 * started has finished, so nothing it started keeps running afterwards. Tasks are lazy: a task
 * starts only when a slot is free, and pending tasks cost no more than the caller's own list (no
 * future, thread or queue entry is created for a task before it starts).
 *
 * <p>On the first failure of {@link #gather(int, List) gather} (and the other fail-fast forms)
 * the tasks not yet started never start, the running ones are interrupted, and once they have
 * finished a {@link GatherException} is thrown whose cause is the failure and whose
 * {@link GatherException#index() index} is its position in the input. Interrupting the calling
 * thread cancels everything the same way; the call then throws a {@link GatherException} with
 * index {@code -1} and an {@link InterruptedException} (or the exception that reported the
 * interrupt) as its cause, with the caller's interrupt flag set again.
 *
 * <p>Argument checks happen before any task starts: a limit {@code <= 0} throws
 * {@link IllegalArgumentException}, a {@code null} argument or task throws
 * {@link NullPointerException}, each naming the argument. Empty input returns an empty list at
 * once.
 *
 * <p>Workers run on the {@link Executor} given to the constructor. A call uses at most its bound
 * in threads of that executor; each worker runs task after task, so the per-task cost is a
 * counter increment (or a compare-and-set on a hand-off list for {@code process}), not an
 * executor submission. Use
 * an executor that can run the bound's number of workers at once (virtual threads or a cached
 * pool, as {@link #create()} makes), otherwise the executor's own size becomes the bound.
 * Instances are thread-safe; calls from many threads share the executor.
 */
public final class BoundedExecutor implements AutoCloseable {

	private static final @Nullable MethodHandle NEW_VIRTUAL_THREAD_PER_TASK_EXECUTOR = findVirtualThreadFactory();

	private static final AtomicInteger POOL_NUMBER = new AtomicInteger();

	/** Default bound of the helpers that take none. */
	public static final int DEFAULT_MAX_CONCURRENCY = 16;

	/** Default queue bound of {@code process} and {@code processEach} when none is given. */
	public static final int DEFAULT_MAX_QUEUE_SIZE = 100;

	private final Executor executor;

	private final PolicyEngine engine;

	/** The executor made by {@link #create()}, which {@link #close()} shuts down. */
	private final @Nullable ExecutorService ownedExecutor;

	private final int defaultMaxConcurrency;

	private final int defaultMaxQueueSize;

	/**
	 * Run tasks on the given executor, with an engine of its own for {@link #gatherForAgent}.
	 * The executor is not shut down by {@link #close()}.
	 * @param executor where tasks run
	 */
	public BoundedExecutor(Executor executor) {
		this(executor, new PolicyEngine());
	}

	/**
	 * Run tasks on the given executor; {@link #gatherForAgent} takes permits from the engine.
	 * The executor is not shut down by {@link #close()}.
	 * @param executor where tasks run
	 * @param engine the quota engine
	 */
	public BoundedExecutor(Executor executor, PolicyEngine engine) {
		this(executor, engine, null, DEFAULT_MAX_CONCURRENCY, DEFAULT_MAX_QUEUE_SIZE);
	}

	private BoundedExecutor(Executor executor, PolicyEngine engine, @Nullable ExecutorService ownedExecutor,
			int defaultMaxConcurrency, int defaultMaxQueueSize) {
		this.executor = Objects.requireNonNull(executor, "executor must not be null");
		this.engine = Objects.requireNonNull(engine, "engine must not be null");
		this.ownedExecutor = ownedExecutor;
		this.defaultMaxConcurrency = defaultMaxConcurrency;
		this.defaultMaxQueueSize = defaultMaxQueueSize;
	}

	/**
	 * A view of this executor whose helpers that take no bound use the given ones. It shares
	 * this instance's threads and engine; closing the view does nothing (close this instance).
	 * @param maxConcurrency the default bound of {@link #gather(List)},
	 * {@link #gatherSettled(List)}, {@link #gatherAsync(List)} and the default number of
	 * workers of {@link #process(Iterable, Function)} and
	 * {@link #processEach(Iterable, Function, BiConsumer)}, {@code > 0}
	 * @param maxQueueSize the default queue bound of {@code process} and {@code processEach},
	 * {@code > 0}
	 * @return the view
	 */
	public BoundedExecutor withDefaults(int maxConcurrency, int maxQueueSize) {
		checkLimit("maxConcurrency", maxConcurrency);
		checkLimit("maxQueueSize", maxQueueSize);
		return new BoundedExecutor(this.executor, this.engine, null, maxConcurrency, maxQueueSize);
	}

	/**
	 * The bound of the helpers that take none ({@link #DEFAULT_MAX_CONCURRENCY} unless set with
	 * {@link #withDefaults(int, int)}).
	 * @return the default bound
	 */
	public int defaultMaxConcurrency() {
		return this.defaultMaxConcurrency;
	}

	/**
	 * The queue bound of {@code process} and {@code processEach} when none is given
	 * ({@link #DEFAULT_MAX_QUEUE_SIZE} unless set with {@link #withDefaults(int, int)}).
	 * @return the default queue bound
	 */
	public int defaultMaxQueueSize() {
		return this.defaultMaxQueueSize;
	}

	/**
	 * An executor on virtual threads on Java 21+, else on a platform-thread executor (a cached
	 * pool of daemon threads named {@code bounded-executor-N-M}, idle threads ending after 60
	 * seconds). The executor made here belongs to the returned instance: {@link #close()} shuts
	 * it down. Its {@link #gatherForAgent} uses an engine of its own; to bound by shared quotas
	 * use {@link #create(PolicyEngine)}.
	 * @return a new bounded executor, which owns its threads (close it to stop them)
	 */
	public static BoundedExecutor create() {
		return create(new PolicyEngine());
	}

	/**
	 * As {@link #create()}, with the engine {@link #gatherForAgent} takes permits from.
	 * @param engine the quota engine
	 * @return a new bounded executor, which owns its threads (close it to stop them)
	 */
	public static BoundedExecutor create(PolicyEngine engine) {
		Objects.requireNonNull(engine, "engine must not be null");
		ExecutorService executor = newOwnedExecutor();
		return new BoundedExecutor(executor, engine, executor, DEFAULT_MAX_CONCURRENCY, DEFAULT_MAX_QUEUE_SIZE);
	}

	/**
	 * Run the tasks, at most {@code maxConcurrency} at once; results in input order. On the
	 * first failure the tasks not yet started never start and the running ones are interrupted.
	 * @param <T> the result type
	 * @param maxConcurrency the bound, {@code > 0}
	 * @param tasks the tasks, none {@code null}
	 * @return the results in input order (unmodifiable; elements may be {@code null})
	 * @throws GatherException on the first failure, after every started task finished; or with
	 * index {@code -1} when the caller was interrupted
	 */
	public <T> List<T> gather(int maxConcurrency, List<? extends Callable<? extends T>> tasks) {
		checkLimit("maxConcurrency", maxConcurrency);
		Object[] array = toArray(tasks);
		if (array.length == 0) {
			return Collections.emptyList();
		}
		return GatherRun.<T>bounded(this.executor, array, false, maxConcurrency).run();
	}

	/**
	 * Run every task, at most {@code maxConcurrency} at once; outcomes in input order. A
	 * failing task does not stop the others (the original's {@code return_exceptions=True}).
	 * @param <T> the result type
	 * @param maxConcurrency the bound, {@code > 0}
	 * @param tasks the tasks, none {@code null}
	 * @return the outcomes in input order (unmodifiable)
	 * @throws GatherException with index {@code -1} when the caller was interrupted (every
	 * task was cancelled)
	 */
	public <T> List<Outcome<T>> gatherSettled(int maxConcurrency, List<? extends Callable<? extends T>> tasks) {
		checkLimit("maxConcurrency", maxConcurrency);
		Object[] array = toArray(tasks);
		if (array.length == 0) {
			return Collections.emptyList();
		}
		return GatherRun.<T>bounded(this.executor, array, true, maxConcurrency).run();
	}

	/**
	 * As {@link #gather(int, List)}, bounded by the caller's semaphore, which may be shared
	 * across calls and threads so that it bounds them together (the original's
	 * {@code gather_with_semaphore}). Each task holds one permit while it runs; the permit is
	 * released when the task ends, whatever the outcome, and no permit is kept after the call.
	 * The calling thread waits for permits as long as it takes.
	 * @param <T> the result type
	 * @param semaphore the semaphore
	 * @param tasks the tasks, none {@code null}
	 * @return the results in input order (unmodifiable; elements may be {@code null})
	 * @throws GatherException on the first failure, after every started task finished; or with
	 * index {@code -1} when the caller was interrupted
	 */
	public <T> List<T> gather(Semaphore semaphore, List<? extends Callable<? extends T>> tasks) {
		Objects.requireNonNull(semaphore, "semaphore must not be null");
		Object[] array = toArray(tasks);
		if (array.length == 0) {
			return Collections.emptyList();
		}
		return GatherRun.<T>withSemaphore(this.executor, array, false, semaphore).run();
	}

	/**
	 * As {@link #gatherSettled(int, List)}, bounded by the caller's semaphore (shared across
	 * calls; see {@link #gather(Semaphore, List)}).
	 * @param <T> the result type
	 * @param semaphore the semaphore
	 * @param tasks the tasks, none {@code null}
	 * @return the outcomes in input order (unmodifiable)
	 * @throws GatherException with index {@code -1} when the caller was interrupted
	 */
	public <T> List<Outcome<T>> gatherSettled(Semaphore semaphore, List<? extends Callable<? extends T>> tasks) {
		Objects.requireNonNull(semaphore, "semaphore must not be null");
		Object[] array = toArray(tasks);
		if (array.length == 0) {
			return Collections.emptyList();
		}
		return GatherRun.<T>withSemaphore(this.executor, array, true, semaphore).run();
	}

	/**
	 * As {@link #gather(int, List)}, bounded by the agent's quota in the engine: every task
	 * holds one {@link io.agentcontrolplane.quota.Permit} of the agent while it runs, so the
	 * call shows in the agent's snapshots ({@code /actuator/quotas}) and shares the agent's
	 * limit with every other caller of that agent. Each task goes through the agent's full
	 * admission, as a {@code @BoundedExecution} call does: its permit and one request from its
	 * rate budgets; a spent budget refuses the task (and stops the call) like any other refusal.
	 * A refused task counts once in the agent's {@code rejected} and reaches listeners once,
	 * whether the caller or one of the call's workers met the refusal.
	 *
	 * <p>When the agent is at its limit:
	 * <ul>
	 * <li>While none of this call's tasks runs, a permit is taken like any other caller takes
	 * one: {@link PolicyEngine#admit(String, io.agentcontrolplane.quota.ActionType, java.time.Duration)}
	 * waits up to the quota's
	 * {@link ResourceQuota#maxWait() maxWait}. If none comes, the call fails with that
	 * {@link QuotaExceededException} (rethrown as it is, so it maps to {@code 429} like any
	 * other refusal). This holds for the first task and for any later moment when every task
	 * of the call has finished and the permits went to other callers; results of tasks that
	 * already finished are then discarded.</li>
	 * <li>While some of its tasks run, the call waits for them as long as they take: a task
	 * that finishes returns its permit and its worker takes one again at once if one is free
	 * (another caller waiting for the agent may get it first); the caller tries again, without
	 * waiting ({@link PolicyEngine#tryAdmit}), each time one of its workers could not. These
	 * waits of the call for its own tasks are not refusals: they never count in the agent's
	 * {@code rejected} nor reach listeners. A permit is taken only for
	 * a task that then runs, so the agent's {@code acquired} count grows by the number of
	 * tasks.</li>
	 * </ul>
	 * An agent without a quota under {@link io.agentcontrolplane.quota.UnknownAgentPolicy#ALLOW}
	 * is unlimited, so every task may start at once.
	 * @param <T> the result type
	 * @param agentId the agent
	 * @param tasks the tasks, none {@code null}
	 * @return the results in input order (unmodifiable; elements may be {@code null})
	 * @throws QuotaExceededException when no permit could be taken while none of the call's
	 * tasks ran (see above), after every started task finished
	 * @throws GatherException on the first task failure, after every started task finished;
	 * or with index {@code -1} when the caller was interrupted
	 */
	public <T> List<T> gatherForAgent(String agentId, List<? extends Callable<? extends T>> tasks) {
		Objects.requireNonNull(agentId, "agentId must not be null");
		Object[] array = toArray(tasks);
		if (array.length == 0) {
			return Collections.emptyList();
		}
		return GatherRun.<T>forAgent(this.executor, array, this.engine, agentId).run();
	}

	/**
	 * Bound in-flight asynchronous operations without holding a thread per operation (for
	 * example non-blocking HTTP calls to a model API). Each supplier starts one operation; at
	 * most {@code maxConcurrency} operations are started and not completed at any time. The
	 * next supplier is called when an earlier operation completes; suppliers are called on a
	 * thread of this executor (never on the thread that completed the operation, so a slow
	 * supplier cannot stall an I/O thread), and they should return quickly.
	 *
	 * <p>The returned future completes with the results in input order. The first failure (an
	 * operation that completes exceptionally, a supplier that throws or returns {@code null})
	 * completes it exceptionally with a {@link GatherException} (index and cause) and starts no
	 * more. On that failure, and when the caller cancels the returned future, the operations in
	 * flight are cancelled where they are {@link java.util.concurrent.Future futures} (such as
	 * {@link CompletableFuture}); other stages cannot be cancelled and their late results are
	 * ignored. The returned future does not wait for them.
	 * @param <T> the result type
	 * @param maxConcurrency the bound, {@code > 0}
	 * @param tasks suppliers that start one operation each, none {@code null}
	 * @return a future of the results in input order (unmodifiable; elements may be
	 * {@code null})
	 */
	public <T> CompletableFuture<List<T>> gatherAsync(int maxConcurrency,
			List<? extends Supplier<? extends CompletionStage<? extends T>>> tasks) {
		checkLimit("maxConcurrency", maxConcurrency);
		Object[] array = toArray(tasks);
		if (array.length == 0) {
			return CompletableFuture.completedFuture(Collections.emptyList());
		}
		return new AsyncGather<T>(this.executor, array, maxConcurrency).start();
	}

	/**
	 * Process items read lazily through a bounded queue, with {@code maxWorkers} workers;
	 * results in input order (the original's {@code process_with_bounded_queue}). Workers are
	 * started as they are needed: one with the first item, another whenever items wait and no
	 * worker took one for 50 microseconds, so items that are quick to process take fewer
	 * threads and items that take long get all {@code maxWorkers} at once.
	 *
	 * <p>{@code items} is read one item at a time, under a lock, so its iterator is never called
	 * by two threads at once and each call sees the effects of the previous ones. The calling
	 * thread reads ahead and puts items on a queue of {@code maxQueueSize}, pausing while it is
	 * full, and a worker that finds the queue empty reads its next item itself: the iterator
	 * may therefore be called on a worker thread (it must not depend on the calling thread, its
	 * thread-locals for instance). Workers read too because a hand-off between one reading
	 * thread and fast workers makes one side sleep and be woken per item, which costs 20 to 50
	 * times a small item. Reading is never more than {@code maxWorkers + maxQueueSize + 1}
	 * items ahead of processing (the one being the item the caller holds while it waits for
	 * room). The iterable may be huge; only the results are kept. {@code null} items are
	 * ordinary items and are passed to the processor.
	 *
	 * <p>A processor exception stops reading, discards the queued items, interrupts the other
	 * workers and, once they have finished, is thrown as a {@link GatherException} whose index
	 * is the item's position. An exception thrown by the iterable or its iterator ends the call
	 * the same way and is rethrown as it is.
	 * @param <T> the item type
	 * @param <R> the result type
	 * @param items the items
	 * @param processor the processor
	 * @param maxWorkers the number of workers, {@code > 0}
	 * @param maxQueueSize the queue bound, {@code > 0}
	 * @return the results in input order (unmodifiable; elements may be {@code null})
	 * @throws GatherException on the first processor failure, or with index {@code -1} when
	 * the caller was interrupted
	 */
	public <T, R> List<R> process(Iterable<? extends T> items, Function<? super T, ? extends R> processor,
			int maxWorkers, int maxQueueSize) {
		checkQueueArguments(items, processor, maxWorkers, maxQueueSize);
		return QueueRun.<T, R>collecting(this.executor, processor, maxWorkers, maxQueueSize).collect(items);
	}

	/**
	 * As {@link #gather(int, List)} with the {@link #defaultMaxConcurrency() default bound}.
	 * @param <T> the result type
	 * @param tasks the tasks, none {@code null}
	 * @return the results in input order
	 */
	public <T> List<T> gather(List<? extends Callable<? extends T>> tasks) {
		return gather(this.defaultMaxConcurrency, tasks);
	}

	/**
	 * As {@link #gatherSettled(int, List)} with the {@link #defaultMaxConcurrency() default
	 * bound}.
	 * @param <T> the result type
	 * @param tasks the tasks, none {@code null}
	 * @return the outcomes in input order
	 */
	public <T> List<Outcome<T>> gatherSettled(List<? extends Callable<? extends T>> tasks) {
		return gatherSettled(this.defaultMaxConcurrency, tasks);
	}

	/**
	 * As {@link #gatherAsync(int, List)} with the {@link #defaultMaxConcurrency() default
	 * bound}.
	 * @param <T> the result type
	 * @param tasks suppliers that start one operation each
	 * @return a future of the results in input order
	 */
	public <T> CompletableFuture<List<T>> gatherAsync(
			List<? extends Supplier<? extends CompletionStage<? extends T>>> tasks) {
		return gatherAsync(this.defaultMaxConcurrency, tasks);
	}

	/**
	 * As {@link #process(Iterable, Function, int, int)} with the
	 * {@link #defaultMaxConcurrency() default bound} as the number of workers and the
	 * {@link #defaultMaxQueueSize() default queue bound}.
	 * @param <T> the item type
	 * @param <R> the result type
	 * @param items the items
	 * @param processor the processor
	 * @return the results in input order
	 */
	public <T, R> List<R> process(Iterable<? extends T> items, Function<? super T, ? extends R> processor) {
		return process(items, processor, this.defaultMaxConcurrency, this.defaultMaxQueueSize);
	}

	/**
	 * As {@link #processEach(Iterable, Function, int, int, BiConsumer)} with the
	 * {@link #defaultMaxConcurrency() default bound} as the number of workers and the
	 * {@link #defaultMaxQueueSize() default queue bound}.
	 * @param <T> the item type
	 * @param <R> the result type
	 * @param items the items
	 * @param processor the processor
	 * @param onResult receives each item and its result
	 * @return the number of items processed
	 */
	public <T, R> long processEach(Iterable<? extends T> items, Function<? super T, ? extends R> processor,
			BiConsumer<? super T, ? super R> onResult) {
		return processEach(items, processor, this.defaultMaxConcurrency, this.defaultMaxQueueSize, onResult);
	}

	/**
	 * As {@link #process(Iterable, Function, int, int)} with the
	 * {@link #defaultMaxQueueSize() default queue bound} (100 unless set with
	 * {@link #withDefaults(int, int)}).
	 * @param <T> the item type
	 * @param <R> the result type
	 * @param items the items
	 * @param processor the processor
	 * @param maxWorkers the number of workers, {@code > 0}
	 * @return the results in input order (unmodifiable; elements may be {@code null})
	 * @throws GatherException on the first processor failure, or with index {@code -1} when
	 * the caller was interrupted
	 */
	public <T, R> List<R> process(Iterable<? extends T> items, Function<? super T, ? extends R> processor,
			int maxWorkers) {
		return process(items, processor, maxWorkers, this.defaultMaxQueueSize);
	}

	/**
	 * The streaming form of {@link #process(Iterable, Function, int, int) process}: each result
	 * is handed to {@code onResult} with its item as it completes (in completion order) and is
	 * not kept, so memory stays bounded by {@code maxWorkers + maxQueueSize} items (and up to
	 * 16 results per worker waiting for {@code onResult}) whatever the number of items.
	 *
	 * <p>{@code onResult} runs on the worker thread that processed the item, and its calls are
	 * serialised (one at a time, each call seeing the effects of the previous ones), so it need
	 * not be thread-safe; it should be quick, since workers wait for each other there. A worker
	 * hands its results over a few at a time (up to 16, as soon as no other worker is in
	 * {@code onResult}), so that the lock is seldom contended. An
	 * exception from {@code onResult} fails the call as a processor exception does. After a
	 * failure, {@code onResult} is not called any more.
	 * @param <T> the item type
	 * @param <R> the result type
	 * @param items the items
	 * @param processor the processor
	 * @param maxWorkers the number of workers, {@code > 0}
	 * @param maxQueueSize the queue bound, {@code > 0}
	 * @param onResult receives each item and its result
	 * @return the number of items processed (handed to {@code onResult})
	 * @throws GatherException on the first failure of the processor or of {@code onResult}, or
	 * with index {@code -1} when the caller was interrupted
	 */
	public <T, R> long processEach(Iterable<? extends T> items, Function<? super T, ? extends R> processor,
			int maxWorkers, int maxQueueSize, BiConsumer<? super T, ? super R> onResult) {
		checkQueueArguments(items, processor, maxWorkers, maxQueueSize);
		Objects.requireNonNull(onResult, "onResult must not be null");
		return QueueRun.<T, R>streaming(this.executor, processor, maxWorkers, maxQueueSize, onResult).stream(items);
	}

	/**
	 * Shut down the executor this instance owns (only one made by {@link #create()}); an
	 * executor passed to a constructor is left alone. Calls in progress finish; new calls are
	 * refused by the executor. Since every call is structured, no task of a finished call runs
	 * any more, so this does not wait.
	 */
	@Override
	public void close() {
		if (this.ownedExecutor != null) {
			this.ownedExecutor.shutdown();
		}
	}

	private static void checkLimit(String name, int value) {
		if (value <= 0) {
			throw new IllegalArgumentException(name + " must be > 0, was " + value);
		}
	}

	private static void checkQueueArguments(@Nullable Iterable<?> items, @Nullable Function<?, ?> processor,
			int maxWorkers, int maxQueueSize) {
		Objects.requireNonNull(items, "items must not be null");
		Objects.requireNonNull(processor, "processor must not be null");
		checkLimit("maxWorkers", maxWorkers);
		checkLimit("maxQueueSize", maxQueueSize);
	}

	/**
	 * Copy the tasks once: the list may be slow to index (a linked list) or change while the
	 * call runs; an array of references costs no more than the list itself.
	 */
	private static Object[] toArray(@Nullable List<?> tasks) {
		Objects.requireNonNull(tasks, "tasks must not be null");
		Object[] array = tasks.toArray();
		for (int i = 0; i < array.length; i++) {
			if (array[i] == null) {
				throw new NullPointerException("tasks must not contain null, found at index " + i);
			}
		}
		return array;
	}

	private static ExecutorService newOwnedExecutor() {
		MethodHandle virtual = NEW_VIRTUAL_THREAD_PER_TASK_EXECUTOR;
		if (virtual != null) {
			try {
				return (ExecutorService) virtual.invokeExact();
			}
			catch (Throwable ex) {
				// fall back to platform threads below
			}
		}
		ThreadFactory threads = newDaemonThreadFactory("bounded-executor-" + POOL_NUMBER.incrementAndGet() + "-");
		// A cached pool, like a virtual-thread-per-task executor, never queues a worker behind
		// another one, so nested or concurrent calls cannot starve each other.
		return new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), threads);
	}

	private static ThreadFactory newDaemonThreadFactory(String prefix) {
		AtomicInteger count = new AtomicInteger();
		return (runnable) -> {
			Thread thread = new Thread(runnable, prefix + count.incrementAndGet());
			thread.setDaemon(true);
			return thread;
		};
	}

	/**
	 * Look up {@code Executors.newVirtualThreadPerTaskExecutor()} at run time, so that this
	 * class compiles for Java 17 and uses virtual threads where they exist.
	 */
	private static @Nullable MethodHandle findVirtualThreadFactory() {
		try {
			return MethodHandles.publicLookup()
				.findStatic(Executors.class, "newVirtualThreadPerTaskExecutor", MethodType.methodType(ExecutorService.class));
		}
		catch (ReflectiveOperationException | RuntimeException ex) {
			return null;
		}
	}

	/**
	 * Whether {@link #create()} makes executors on virtual threads in this JVM.
	 * @return {@code true} on Java 21+
	 */
	static boolean virtualThreadsAvailable() {
		return NEW_VIRTUAL_THREAD_PER_TASK_EXECUTOR != null;
	}

}
