package io.agentcontrolplane.concurrent;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLongFieldUpdater;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BiConsumer;
import java.util.function.Function;

import org.jspecify.annotations.Nullable;

/**
 * One call of {@code process} or {@code processEach}. Items are read under one lock, numbered as
 * they are read, by two kinds of readers: the calling thread reads ahead into a bounded hand-off
 * list while fewer than {@code maxQueueSize} items wait there (the backpressure), and a worker
 * that finds the list empty reads its next item itself. Up to {@code maxWorkers} workers process;
 * the caller starts them only as they are needed (see {@link #startWorkerIfStalled(long)}).
 *
 * <p>Reading ahead on the calling thread costs no extra thread and bounds how far reading runs
 * ahead: at most {@code maxQueueSize} items wait in the list, {@code maxWorkers} are being
 * processed (whether a worker claimed its item or read it) and one is in the caller's hand.
 *
 * <p>Why workers read too: a hand-off between one reader and the workers makes one of them
 * sleep and be woken per item as soon as either side is faster (a futex wait and wake per item
 * with a {@code BlockingQueue}, 20 to 50 times the cost of a tiny item, and the reader competes
 * for the cores the workers need). Here no thread waits for another to make progress: a worker
 * with nothing to claim reads, and the caller, when the list is full or a worker is reading,
 * sleeps for a while (from {@value #MIN_READER_PAUSE_NANOS} ns, doubling up to
 * {@value #MAX_READER_PAUSE_NANOS} ns) rather than being woken per item. Taking an item from the
 * list is one compare-and-set, and publishing one a volatile write, so the list needs no lock.
 * Results of {@code process} stay with the worker that computed them, each with its index, and
 * are put in input order once the workers have left; results of {@code processEach} are handed
 * to {@code onResult} a few at a time, so that the lock serialising it is taken once per batch
 * and a worker never sleeps on it while it can still buffer.
 *
 * <p>Items wait in segments of at most {@link #ARRAY_QUEUE_MAX} slots allocated as items arrive,
 * so a huge {@code maxQueueSize} costs nothing up front; a claimed slot is cleared at once.
 */
final class QueueRun<T, R> extends StructuredRun {

	/** The largest segment of the hand-off list, in items. */
	static final int ARRAY_QUEUE_MAX = 1024;

	/** The smallest segment, so that a tiny queue bound does not allocate per item. */
	private static final int MIN_SEGMENT = 16;

	/**
	 * Results a worker of {@code processEach} may hold for {@code onResult} while another
	 * worker holds its lock; when it holds this many it waits for the lock.
	 */
	static final int MAX_PENDING_RESULTS = 16;

	/** Tries of a worker for the read lock before it yields the processor between tries. */
	private static final int SPINS = 32;

	/** Tries of a worker for the read lock, yielding between them, before it waits for it. */
	private static final int YIELDS = 64;

	/** The caller's first pause when it may not read now, in nanoseconds. */
	private static final long MIN_READER_PAUSE_NANOS = 50_000;

	/** The caller's longest pause when it may not read now, in nanoseconds. */
	private static final long MAX_READER_PAUSE_NANOS = 5_000_000;

	/** How long items wait with none taken before the caller starts another worker. */
	private static final long STALL_NANOS = 50_000;

	@SuppressWarnings("rawtypes")
	private static final AtomicLongFieldUpdater<QueueRun> CLAIMED = AtomicLongFieldUpdater.newUpdater(QueueRun.class,
			"claimed");

	private final Function<? super T, ? extends R> processor;

	private final int maxWorkers;

	private final int maxQueueSize;

	private final int segmentSize;

	private final @Nullable BiConsumer<? super T, ? super R> onResult;

	/** Serialises {@code onResult} so that callers need not make it thread-safe. */
	private final ReentrantLock onResultLock = new ReentrantLock();

	/** Guarded by {@link #onResultLock}. */
	private long processed;

	/** Serialises every use of the iterator, and numbers the items. */
	private final ReentrantLock readLock = new ReentrantLock();

	/** Guarded by {@link #readLock}; set before any worker starts. */
	private @Nullable Iterator<? extends T> iterator;

	/** The number of items read; guarded by {@link #readLock}. */
	private long read;

	/** Whether every item has been read (or reading failed); set under {@link #readLock}. */
	private volatile boolean ended;

	/** Whether the caller holds an item it read and has not put in the list yet. */
	private volatile boolean callerHolds;

	/** The number of items put in the list; positions below it may be claimed. */
	private volatile long written;

	/** The list position of the next item to claim. */
	private volatile long claimed;

	/**
	 * A segment whose first item was claimed (so no later claim is before it): where workers
	 * start looking for an item, so that no worker keeps old segments reachable.
	 */
	private volatile Segment head;

	/** The claimed count the caller last saw, and when it saw it change (caller only). */
	private long claimedSeen = -1;

	private long claimedSeenAt;

	/** Every worker submitted, read by the caller once they have all left. */
	private final List<QueueWorker> started = new ArrayList<>();

	private QueueRun(Executor executor, Function<? super T, ? extends R> processor, int maxWorkers, int maxQueueSize,
			@Nullable BiConsumer<? super T, ? super R> onResult) {
		super(executor);
		this.processor = processor;
		this.maxWorkers = maxWorkers;
		this.maxQueueSize = maxQueueSize;
		this.segmentSize = Math.max(MIN_SEGMENT, Math.min(maxQueueSize, ARRAY_QUEUE_MAX));
		this.head = new Segment(0, this.segmentSize);
		this.onResult = onResult;
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
	@SuppressWarnings("unchecked")
	List<R> collect(Iterable<? extends T> items) {
		feed(items);
		Object[] results = new Object[Math.toIntExact(this.read)];
		for (QueueWorker worker : this.started) {
			for (int i = 0; i < worker.count; i++) {
				results[(int) worker.indices[i]] = worker.results[i];
			}
		}
		return (List<R>) Collections.unmodifiableList(Arrays.asList(results));
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
		Segment tail = this.head;
		long next = 0;
		long pause = MIN_READER_PAUSE_NANOS;
		try {
			this.iterator = items.iterator();
			while (!stopped()) {
				if (!this.readLock.tryLock()) {
					// a worker reads: it needs no item from here
					pause = pause(pause);
					continue;
				}
				T item;
				long index;
				try {
					if (this.ended || !this.iterator.hasNext()) {
						this.ended = true;
						break;
					}
					item = this.iterator.next();
					index = this.read++;
					this.callerHolds = true;
				}
				finally {
					this.readLock.unlock();
				}
				startWorkerIfStalled(next);
				while (next - this.claimed >= this.maxQueueSize && !stopped()) {
					pause = pause(pause);
					startWorkerIfStalled(next);
				}
				if (next - tail.base == this.segmentSize) {
					Segment segment = new Segment(next, this.segmentSize);
					// published to workers by the write of written below
					tail.next = segment;
					tail = segment;
				}
				int slot = (int) (next - tail.base);
				tail.items[slot] = item;
				tail.indices[slot] = index;
				this.written = ++next;
				this.callerHolds = false;
				pause = MIN_READER_PAUSE_NANOS;
				// the caller may never pause while workers keep up: look for an interrupt here
				if (Thread.interrupted()) {
					callerInterrupted(new InterruptedException("Interrupted while reading items"));
				}
			}
		}
		catch (RuntimeException | Error ex) {
			// the caller's own iterator failed: end cleanly and rethrow it as it is
			stop(Failure.raw(ex), null);
		}
		this.callerHolds = false;
		while (!stopped() && this.claimed < this.written && this.started.size() < this.maxWorkers) {
			pause = pause(pause);
			startWorkerIfStalled(this.written);
		}
		awaitWorkers();
		throwIfFailed();
	}

	/**
	 * Start a worker when none runs yet, or when items wait and none was taken for
	 * {@value #STALL_NANOS} ns (every worker is busy): so workers are started as items arrive
	 * only as far as they are needed, and tiny items do not cost {@code maxWorkers} threads
	 * fighting over the cores.
	 * @param written the items put in the list so far, or about to be
	 */
	private void startWorkerIfStalled(long written) {
		if (this.started.size() >= this.maxWorkers) {
			return;
		}
		long claimed = this.claimed;
		long now = System.nanoTime();
		if (claimed != this.claimedSeen || written <= claimed) {
			this.claimedSeen = claimed;
			this.claimedSeenAt = now;
			if (!this.started.isEmpty()) {
				return;
			}
		}
		else if (now - this.claimedSeenAt < STALL_NANOS) {
			return;
		}
		this.claimedSeenAt = now;
		QueueWorker worker = new QueueWorker();
		this.started.add(worker);
		spawn(worker);
	}

	/**
	 * Sleep on the caller while it may not read or write (a worker reads, or the list is full);
	 * a leaving worker or a failure wakes it early.
	 * @param nanos how long
	 * @return how long the next pause lasts
	 */
	private long pause(long nanos) {
		this.callerWaitsForAnyExit = true;
		try {
			if (!stopped()) {
				LockSupport.parkNanos(this, nanos);
			}
		}
		finally {
			this.callerWaitsForAnyExit = false;
		}
		if (Thread.interrupted()) {
			callerInterrupted(new InterruptedException("Interrupted while waiting to read items"));
		}
		return Math.min(nanos * 2, MAX_READER_PAUSE_NANOS);
	}

	/**
	 * Claim the next item of the list, if one is there.
	 * @return whether the worker holds an item now
	 */
	private boolean claim(QueueWorker worker) {
		for (;;) {
			// written first: it publishes the segments, and head is read before claimed so that
			// the claim is never before head
			long written = this.written;
			Segment segment = this.head;
			long position = this.claimed;
			if (position >= written) {
				return false;
			}
			while (position - segment.base >= this.segmentSize) {
				segment = segment.next;
			}
			int slot = (int) (position - segment.base);
			// read before the claim: once claimed, the slot is cleared
			Object item = segment.items[slot];
			long index = segment.indices[slot];
			if (CLAIMED.compareAndSet(this, position, position + 1)) {
				segment.items[slot] = null;
				if (slot == 0) {
					this.head = segment;
				}
				worker.item = item;
				worker.index = index;
				return true;
			}
		}
	}

	/**
	 * Read the next item on a worker that found the list empty.
	 * @return whether the worker holds an item now; if not, it should look again
	 */
	private boolean readNext(QueueWorker worker) {
		if (!lockForReading()) {
			return false;
		}
		try {
			if (this.claimed < this.written || this.ended) {
				return false;
			}
			Iterator<? extends T> iterator = this.iterator;
			if (!iterator.hasNext()) {
				this.ended = true;
				return false;
			}
			worker.item = iterator.next();
			worker.index = this.read++;
			return true;
		}
		catch (RuntimeException | Error ex) {
			// the caller's own iterator failed: rethrown as it is, as when the caller reads
			this.ended = true;
			stopAndWakeCaller(Failure.raw(ex), worker);
			return false;
		}
		finally {
			this.readLock.unlock();
		}
	}

	/**
	 * Take the read lock: it is held only while one item is read, so try (and let the holder run)
	 * before waiting for it; give up when an item arrives in the list meanwhile.
	 * @return whether the lock is held
	 */
	private boolean lockForReading() {
		ReentrantLock lock = this.readLock;
		for (int i = 0; i < SPINS + YIELDS; i++) {
			if (lock.tryLock()) {
				return true;
			}
			if (this.claimed < this.written || stopped()) {
				return false;
			}
			if (i < SPINS) {
				Thread.onSpinWait();
			}
			else {
				Thread.yield();
			}
		}
		try {
			lock.lockInterruptibly();
			return true;
		}
		catch (InterruptedException ex) {
			// only a cancellation interrupts a worker; it sees the failure and leaves
			return false;
		}
	}

	private void stopAndWakeCaller(Failure failure, QueueWorker worker) {
		stop(failure, worker);
		// the caller may pause: let it see the failure now
		LockSupport.unpark(this.caller);
	}

	/**
	 * Takes items from the list, or reads them, until every item is read and taken, or until
	 * the run stopped. Keeps the results of {@code process} with their indices, and those of
	 * {@code processEach} until it hands them over.
	 */
	private final class QueueWorker extends Worker {

		/** The item just claimed or read, and its index. */
		@Nullable Object item;

		long index;

		/** Indices of the results below (input positions). */
		long[] indices;

		/** The items of pending results ({@code processEach} only). */
		@Nullable Object @Nullable [] items;

		@Nullable Object[] results;

		int count;

		QueueWorker() {
			super(QueueRun.this);
			int size = (QueueRun.this.onResult != null) ? MAX_PENDING_RESULTS : MIN_SEGMENT;
			this.indices = new long[size];
			this.results = new Object[size];
			this.items = (QueueRun.this.onResult != null) ? new Object[size] : null;
		}

		@Override
		void work() {
			while (!stopped()) {
				// read before the list: once they are seen so, nothing more comes to the list
				boolean ended = QueueRun.this.ended;
				boolean callerHolds = QueueRun.this.callerHolds;
				if (claim(this)) {
					process();
				}
				else if (ended) {
					if (!callerHolds) {
						handOver(true);
						return;
					}
					// the caller is about to put its last item in the list; it may pause since
					// the list was full, so wake it rather than wait out its pause
					LockSupport.unpark(QueueRun.this.caller);
					Thread.yield();
				}
				else if (readNext(this)) {
					process();
				}
			}
		}

		@SuppressWarnings("unchecked")
		private void process() {
			Object item = this.item;
			long index = this.index;
			this.item = null;
			try {
				R result = QueueRun.this.processor.apply((T) item);
				if (this.count == this.indices.length) {
					// only process grows: processEach hands over before its buffer is full
					this.indices = Arrays.copyOf(this.indices, this.count * 2);
					this.results = Arrays.copyOf(this.results, this.count * 2);
				}
				this.indices[this.count] = index;
				this.results[this.count] = result;
				@Nullable Object[] items = this.items;
				if (items != null) {
					items[this.count] = item;
				}
				this.count++;
				if (items != null) {
					handOver(this.count == MAX_PENDING_RESULTS);
				}
			}
			catch (Throwable ex) {
				stopAndWakeCaller(Failure.task(index, ex), this);
			}
		}

		/**
		 * Hand the pending results to {@code onResult} ({@code processEach} only), under its
		 * lock. Without {@code wait}, only when the lock is free now.
		 */
		@SuppressWarnings("unchecked")
		void handOver(boolean wait) {
			BiConsumer<? super T, ? super R> onResult = QueueRun.this.onResult;
			@Nullable Object[] items = this.items;
			if (onResult == null || items == null || this.count == 0) {
				return;
			}
			ReentrantLock lock = QueueRun.this.onResultLock;
			if (wait) {
				lock.lock();
			}
			else if (!lock.tryLock()) {
				return;
			}
			int i = 0;
			try {
				for (; i < this.count && !stopped(); i++) {
					onResult.accept((T) items[i], (R) this.results[i]);
					QueueRun.this.processed++;
				}
			}
			catch (Throwable ex) {
				stopAndWakeCaller(Failure.task(this.indices[i], ex), this);
			}
			finally {
				lock.unlock();
				Arrays.fill(items, 0, this.count, null);
				Arrays.fill(this.results, 0, this.count, null);
				this.count = 0;
			}
		}

	}

	/**
	 * A run of consecutive positions of the hand-off list, from {@code base}: each item with its
	 * index in the input.
	 */
	private static final class Segment {

		final long base;

		final @Nullable Object[] items;

		final long[] indices;

		/** The following segment; published to workers by the caller's write of written. */
		@Nullable Segment next;

		Segment(long base, int size) {
			this.base = base;
			this.items = new Object[size];
			this.indices = new long[size];
		}

	}

}
