package io.agentcontrolplane.concurrent;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.Function;

import org.jspecify.annotations.Nullable;

/**
 * One call of {@code process} or {@code processEach}: the calling thread reads the items and
 * puts them on a bounded queue, blocking while it is full (the backpressure), and up to
 * {@code maxWorkers} workers take and process them. Items travel wrapped, so a {@code null} item
 * is an ordinary item and the end of input is a distinct marker.
 *
 * <p>Reading on the calling thread costs no extra thread and bounds how far reading runs ahead:
 * at most {@code maxQueueSize} items wait in the queue, {@code maxWorkers} are being processed
 * and one is in the reader's hand.
 */
final class QueueRun<T, R> extends StructuredRun {

	/** Marks the end of input; a worker that takes it puts it back for the next worker. */
	private static final Object END = new Object();

	private final Function<? super T, ? extends R> processor;

	private final int maxWorkers;

	/**
	 * Bounds above which the queue allocates per queued item instead of up front: an array of
	 * {@code maxQueueSize} slots would cost its whole size before one item is read (and an
	 * {@code OutOfMemoryError} for sizes near {@code Integer.MAX_VALUE}).
	 */
	static final int ARRAY_QUEUE_MAX = 1024;

	private final BlockingQueue<Object> queue;

	/** The items in input order, kept for their results ({@code process}); else {@code null}. */
	private final @Nullable List<Item<T, R>> kept;

	private final @Nullable BiConsumer<? super T, ? super R> onResult;

	/** Serialises {@code onResult} so that callers need not make it thread-safe. */
	private final ReentrantLock onResultLock = new ReentrantLock();

	private long processed;

	private QueueRun(Executor executor, Function<? super T, ? extends R> processor, int maxWorkers, int maxQueueSize,
			@Nullable BiConsumer<? super T, ? super R> onResult) {
		super(executor);
		this.processor = processor;
		this.maxWorkers = maxWorkers;
		this.queue = (maxQueueSize <= ARRAY_QUEUE_MAX) ? new ArrayBlockingQueue<>(maxQueueSize)
				: new LinkedBlockingQueue<>(maxQueueSize);
		this.onResult = onResult;
		this.kept = (onResult != null) ? null : new ArrayList<>();
	}

	static <T, R> QueueRun<T, R> collecting(Executor executor, Function<? super T, ? extends R> processor,
			int maxWorkers, int maxQueueSize) {
		return new QueueRun<>(executor, processor, maxWorkers, maxQueueSize, null);
	}

	static <T, R> QueueRun<T, R> streaming(Executor executor, Function<? super T, ? extends R> processor,
			int maxWorkers, int maxQueueSize, BiConsumer<? super T, ? super R> onResult) {
		return new QueueRun<>(executor, processor, maxWorkers, maxQueueSize, onResult);
	}

	/**
	 * Read, process and wait; then return the results in input order ({@code process}).
	 * @param items the items
	 * @return the results
	 */
	List<R> collect(Iterable<? extends T> items) {
		feed(items);
		List<Item<T, R>> kept = this.kept;
		List<R> results = new ArrayList<>(kept.size());
		for (Item<T, R> item : kept) {
			results.add(item.result);
		}
		return Collections.unmodifiableList(results);
	}

	/**
	 * Read, process and wait; return the count handed to {@code onResult} ({@code processEach}).
	 * @param items the items
	 * @return the number of items processed
	 */
	long stream(Iterable<? extends T> items) {
		feed(items);
		return this.processed;
	}

	private void feed(Iterable<? extends T> items) {
		int spawned = 0;
		long index = 0;
		try {
			Iterator<? extends T> iterator = items.iterator();
			while (!stopped() && iterator.hasNext()) {
				Item<T, R> item = new Item<>(index++, iterator.next());
				if (this.kept != null) {
					this.kept.add(item);
				}
				// workers are started as items arrive, so a short input costs few threads
				if (spawned < this.maxWorkers) {
					spawned++;
					spawn(new QueueWorker());
				}
				// a failing worker clears the queue, so this never blocks past a failure
				this.queue.put(item);
			}
			if (!stopped()) {
				this.queue.put(END);
			}
		}
		catch (InterruptedException ex) {
			callerInterrupted(ex);
		}
		catch (RuntimeException | Error ex) {
			// the caller's own iterator failed: end cleanly and rethrow it as it is
			stop(Failure.raw(ex), null);
		}
		if (stopped()) {
			// wake any worker still waiting for input (interrupts already cover the others)
			this.queue.clear();
			this.queue.offer(END);
		}
		awaitWorkers();
		throwIfFailed();
	}

	@SuppressWarnings("unchecked")
	private void process(Item<T, R> item, Worker worker) {
		try {
			T value = item.item;
			R result = this.processor.apply(value);
			BiConsumer<? super T, ? super R> onResult = this.onResult;
			if (onResult != null) {
				this.onResultLock.lock();
				try {
					if (!stopped()) {
						onResult.accept(value, result);
						this.processed++;
					}
				}
				finally {
					this.onResultLock.unlock();
				}
			}
			else {
				item.result = result;
				item.item = null;
			}
		}
		catch (Throwable ex) {
			stop(Failure.task(item.index, ex), worker);
			// free the reader if it waits for space, so that it sees the failure promptly
			this.queue.clear();
		}
	}

	/**
	 * Takes items until the end marker, or until the run stopped.
	 */
	private final class QueueWorker extends Worker {

		QueueWorker() {
			super(QueueRun.this);
		}

		@Override
		@SuppressWarnings("unchecked")
		void work() {
			BlockingQueue<Object> queue = QueueRun.this.queue;
			while (!stopped()) {
				Object next;
				try {
					next = queue.take();
				}
				catch (InterruptedException ex) {
					// only a cancellation interrupts a worker; the flag is cleared as it leaves
					return;
				}
				if (next == END) {
					queue.offer(END);
					return;
				}
				if (stopped()) {
					return;
				}
				process((Item<T, R>) next, this);
			}
		}

	}

	/**
	 * One item on its way; wrapping makes {@code null} items ordinary.
	 */
	private static final class Item<T, R> {

		final long index;

		@Nullable T item;

		@Nullable R result;

		Item(long index, @Nullable T item) {
			this.index = index;
			this.item = item;
		}

	}

}
