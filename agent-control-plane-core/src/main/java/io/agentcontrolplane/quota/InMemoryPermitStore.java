package io.agentcontrolplane.quota;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The default {@link PermitStore}: two monotonic counters per agent, updated lock-free.
 */
final class InMemoryPermitStore implements PermitStore {

	static final InMemoryPermitStore INSTANCE = new InMemoryPermitStore();

	private InMemoryPermitStore() {
	}

	@Override
	public String name() {
		return "memory";
	}

	@Override
	public AgentPermits create(String agentId, int limit, boolean fair) {
		return new Permits(limit, fair);
	}

	/**
	 * A waiting caller's future. Whoever gives up on it (a time-out from {@code orTimeout}, a
	 * cancel) takes it out of the queue before completing it, so that by the time anyone sees
	 * the refusal the waiter is gone, and no grant can pick it afterwards. If it was no longer
	 * queued, a grant is under way and the completion race decides: a grant that loses returns
	 * its slot.
	 */
	static final class Waiter extends CompletableFuture<Long> {

		private final Permits permits;

		Waiter(Permits permits) {
			this.permits = permits;
		}

		@Override
		public boolean completeExceptionally(Throwable ex) {
			if (isDone()) {
				return false;
			}
			this.permits.removeWaiter(this);
			return super.completeExceptionally(ex);
		}

		@Override
		public boolean cancel(boolean mayInterruptIfRunning) {
			if (isDone()) {
				return false;
			}
			this.permits.removeWaiter(this);
			return super.cancel(mayInterruptIfRunning);
		}

	}

	/**
	 * In-flight is {@code acquired - released}, two counters that only ever grow. A take CASes
	 * {@code acquired} from {@code a} to {@code a + 1} only while {@code a - released < limit};
	 * since {@code released} only grows, a stale read of it can only make the check stricter,
	 * never admit too many. A release CASes {@code released} only while it is below
	 * {@code acquired}, so it can never raise capacity past the limit. Each operation is one
	 * atomic instruction on one word, like a bare semaphore, and the acquired total comes for
	 * free. The top bit of {@code acquired} marks the permits closed, so that a take racing with
	 * retirement fails its CAS and sees the mark.
	 *
	 * <p>Waiters live in a FIFO set guarded by a {@link ReentrantLock} (never
	 * {@code synchronized}: virtual threads must not pin). Waiters publish themselves under the
	 * lock and then re-check capacity; releasers bump {@code released} and then read
	 * {@code waiters}. Both are volatile, so one of the two always sees the other (no lost
	 * wake-up). Futures are completed outside the lock so that callers' continuations never run
	 * under it.
	 *
	 * <p>Handing slots to waiters is a drain loop that never re-enters itself: a waiter's
	 * continuation often closes its permit at once (a cached result, {@code Mono.just}), which
	 * releases and asks for another hand-off on the same stack. A work-in-progress counter turns
	 * that request into one more turn of the loop already running, so the stack stays flat
	 * however many waiters queue.
	 */
	static final class Permits implements AgentPermits {

		private static final long CLOSED_BIT = 1L << 62;

		private static final long COUNT_MASK = CLOSED_BIT - 1;

		private static final VarHandle ACQUIRED;

		private static final VarHandle RELEASED;

		private static final VarHandle REVOKED;

		static {
			try {
				MethodHandles.Lookup lookup = MethodHandles.lookup();
				ACQUIRED = lookup.findVarHandle(Permits.class, "acquired", long.class);
				RELEASED = lookup.findVarHandle(Permits.class, "released", long.class);
				REVOKED = lookup.findVarHandle(Permits.class, "revoked", long.class);
			}
			catch (ReflectiveOperationException ex) {
				throw new ExceptionInInitializerError(ex);
			}
		}

		private volatile long acquired;

		private volatile long released;

		private volatile long revoked;

		private volatile int limit;

		private volatile boolean fair;

		private volatile int waiters;

		private final ReentrantLock lock = new ReentrantLock();

		private final LinkedHashSet<CompletableFuture<Long>> queue = new LinkedHashSet<>();

		/** Hand-offs asked for; the caller that raises it from 0 drains until it is 0 again. */
		private final AtomicInteger granting = new AtomicInteger();

		Permits(int limit, boolean fair) {
			this.limit = limit;
			this.fair = fair;
		}

		@Override
		public long tryTake() {
			if (this.waiters != 0 && this.fair) {
				// Fair: newcomers never barge past waiters; releases hand slots to them.
				return ((this.acquired & CLOSED_BIT) != 0) ? CLOSED : NONE;
			}
			return rawTake();
		}

		private long rawTake() {
			for (;;) {
				long a = this.acquired;
				if ((a & CLOSED_BIT) != 0) {
					return CLOSED;
				}
				long r = this.released;
				if (a - r >= this.limit) {
					if (this.released == r) {
						return NONE;
					}
					continue;
				}
				if (ACQUIRED.compareAndSet(this, a, a + 1)) {
					return ANY_LEASE;
				}
			}
		}

		@Override
		public CompletableFuture<Long> take() {
			CompletableFuture<Long> future;
			this.lock.lock();
			try {
				if ((this.acquired & CLOSED_BIT) != 0) {
					return CompletableFuture.completedFuture(CLOSED);
				}
				if (this.limit == 0) {
					// A limit of 0 means the agent never runs: answer at once, never hang.
					return CompletableFuture.completedFuture(NONE);
				}
				if (!this.fair || this.queue.isEmpty()) {
					long lease = rawTake();
					if (lease != NONE) {
						return CompletableFuture.completedFuture(lease);
					}
				}
				future = new Waiter(this);
				this.queue.add(future);
				this.waiters = this.queue.size();
			}
			finally {
				this.lock.unlock();
			}
			// Re-check after publishing: a release that read waiters == 0 is visible now.
			grantWaiters();
			return future;
		}

		void removeWaiter(CompletableFuture<Long> future) {
			this.lock.lock();
			try {
				if (this.queue.remove(future)) {
					this.waiters = this.queue.size();
				}
			}
			finally {
				this.lock.unlock();
			}
		}

		private void grantWaiters() {
			if (this.granting.getAndIncrement() != 0) {
				// A drain is running (perhaps further up this very stack): it will look again.
				return;
			}
			Throwable failure = null;
			int asked = 1;
			for (;;) {
				try {
					drainWaiters();
				}
				catch (Throwable ex) {
					// Keep draining for the others who asked; the failure is rethrown at the end.
					if (failure == null) {
						failure = ex;
					}
				}
				asked = this.granting.addAndGet(-asked);
				if (asked == 0) {
					break;
				}
			}
			if (failure instanceof RuntimeException runtime) {
				throw runtime;
			}
			if (failure instanceof Error error) {
				throw error;
			}
		}

		private void drainWaiters() {
			for (;;) {
				CompletableFuture<Long> head;
				this.lock.lock();
				try {
					Iterator<CompletableFuture<Long>> it = this.queue.iterator();
					if (!it.hasNext()) {
						return;
					}
					head = it.next();
					long lease = rawTake();
					if (lease != ANY_LEASE) {
						return;
					}
					it.remove();
					this.waiters = this.queue.size();
				}
				finally {
					this.lock.unlock();
				}
				handOver(head);
			}
		}

		/**
		 * Complete a waiter with the slot just taken for it. If it gave up in the same instant,
		 * or completing it throws before the slot reached it, the slot is given back (and goes
		 * to the next waiter), never lost.
		 */
		private void handOver(CompletableFuture<Long> waiter) {
			boolean delivered = false;
			try {
				delivered = waiter.complete(ANY_LEASE);
			}
			finally {
				if (!delivered && !deliveredTo(waiter)) {
					undoTake();
				}
			}
		}

		private static boolean deliveredTo(CompletableFuture<Long> waiter) {
			// Only a grant completes a waiter normally with a lease (giving up completes it
			// exceptionally, close completes it with CLOSED).
			return waiter.isDone() && !waiter.isCompletedExceptionally() && waiter.getNow(NONE) == ANY_LEASE;
		}

		private void undoTake() {
			REVOKED.getAndAdd(this, 1L);
			RELEASED.getAndAdd(this, 1L);
		}

		@Override
		public boolean release(long lease) {
			for (;;) {
				long r = this.released;
				long a = this.acquired & COUNT_MASK;
				if (r >= a) {
					return false;
				}
				if (RELEASED.compareAndSet(this, r, r + 1)) {
					break;
				}
			}
			if (this.waiters != 0) {
				grantWaiters();
			}
			return true;
		}

		@Override
		public void revoke(long lease) {
			undoTake();
			if (this.waiters != 0) {
				grantWaiters();
			}
		}

		@Override
		public void resize(int limit, boolean fair) {
			this.lock.lock();
			try {
				this.limit = limit;
				this.fair = fair;
			}
			finally {
				this.lock.unlock();
			}
			grantWaiters();
		}

		@Override
		public int limit() {
			return this.limit;
		}

		@Override
		public int inFlight() {
			long r = this.released;
			long a = this.acquired & COUNT_MASK;
			return (int) Math.max(0, Math.min(Integer.MAX_VALUE, a - r));
		}

		@Override
		public int waiting() {
			return this.waiters;
		}

		@Override
		public long acquired() {
			long rev = this.revoked;
			return (this.acquired & COUNT_MASK) - rev;
		}

		@Override
		public boolean retireIfIdle() {
			this.lock.lock();
			try {
				if (!this.queue.isEmpty()) {
					return false;
				}
				long a = this.acquired;
				if ((a & CLOSED_BIT) != 0 || a != this.released) {
					return false;
				}
				// Succeeds only if no take slipped in since the read, so nothing is held.
				return ACQUIRED.compareAndSet(this, a, a | CLOSED_BIT);
			}
			finally {
				this.lock.unlock();
			}
		}

		@Override
		public void close() {
			List<CompletableFuture<Long>> drained;
			this.lock.lock();
			try {
				for (;;) {
					long a = this.acquired;
					if ((a & CLOSED_BIT) != 0 || ACQUIRED.compareAndSet(this, a, a | CLOSED_BIT)) {
						break;
					}
				}
				drained = new ArrayList<>(this.queue);
				this.queue.clear();
				this.waiters = 0;
			}
			finally {
				this.lock.unlock();
			}
			for (CompletableFuture<Long> waiter : drained) {
				waiter.complete(CLOSED);
			}
		}

	}

}
