package io.agentcontrolplane.quota;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The default {@link PermitStore}: one word per agent, updated lock-free.
 */
final class InMemoryPermitStore implements PermitStore {

	static final InMemoryPermitStore INSTANCE = new InMemoryPermitStore();

	private InMemoryPermitStore() {
	}

	@Override
	public boolean isLocal() {
		return true;
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
	 * One word, {@code state}, holds everything a take or a release must see at once: the permits
	 * held (bits 0-30), how many of them are execution slots (bits 31-61) and the closed mark (bit
	 * 62). A take CASes it from {@code s} to {@code s + 1} (a slot: {@code s + 1 + SLOT}) only
	 * while fewer than the limit are held; a release CASes it down only while something of its
	 * kind is held: a slot release only while a slot is held, a permit release only while more
	 * permits than slots are held. So each operation is one atomic instruction on one word, like
	 * a bare semaphore, a release can never raise capacity above the limit, a slot release can
	 * never free a permit that a {@link Permit} holds (slots are released by agent id, so this is
	 * what keeps a stray release from letting a second caller run beside a holder), and a take
	 * racing with retirement fails its CAS and sees the mark. The grant total lives apart, in a
	 * {@link LongAdder} that the threads of a contended agent add to in cells of their own.
	 *
	 * <p>Waiters live in a FIFO set guarded by a {@link ReentrantLock} (never
	 * {@code synchronized}: virtual threads must not pin). Waiters publish themselves under the
	 * lock and then re-check capacity; releasers lower {@code state} and then read
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

		private static final long HELD_MASK = (1L << 31) - 1;

		private static final int SLOT_SHIFT = 31;

		/** One execution slot in {@code state}; a slot is always also one of the permits held. */
		private static final long SLOT = 1L << SLOT_SHIFT;

		private static final long CLOSED_BIT = 1L << 62;

		private static final VarHandle STATE;

		static {
			try {
				STATE = MethodHandles.lookup().findVarHandle(Permits.class, "state", long.class);
			}
			catch (ReflectiveOperationException ex) {
				throw new ExceptionInInitializerError(ex);
			}
		}

		private volatile long state;

		private volatile int limit;

		private volatile boolean fair;

		private volatile int waiters;

		/** Grants so far; a revoked grant is taken off again. */
		private final LongAdder taken = new LongAdder();

		private final ReentrantLock lock = new ReentrantLock();

		private final LinkedHashSet<CompletableFuture<Long>> queue = new LinkedHashSet<>();

		/** Hand-offs asked for; the caller that raises it from 0 drains until it is 0 again. */
		private final AtomicInteger granting = new AtomicInteger();

		Permits(int limit, boolean fair) {
			this.limit = limit;
			this.fair = fair;
		}

		private static int held(long state) {
			return (int) (state & HELD_MASK);
		}

		private static int slots(long state) {
			return (int) ((state >>> SLOT_SHIFT) & HELD_MASK);
		}

		@Override
		public long tryTake() {
			return tryTake(1);
		}

		@Override
		public boolean countsSlots() {
			return true;
		}

		@Override
		public long tryTakeSlot() {
			return tryTake(1 + SLOT);
		}

		private long tryTake(long increment) {
			if (this.waiters != 0 && this.fair) {
				// Fair: newcomers never barge past waiters; releases hand slots to them.
				return ((this.state & CLOSED_BIT) != 0) ? CLOSED : NONE;
			}
			return rawTake(increment);
		}

		private long rawTake(long increment) {
			for (;;) {
				long s = this.state;
				if ((s & CLOSED_BIT) != 0) {
					return CLOSED;
				}
				if (held(s) >= this.limit) {
					return NONE;
				}
				if (STATE.compareAndSet(this, s, s + increment)) {
					this.taken.increment();
					return ANY_LEASE;
				}
			}
		}

		@Override
		public CompletableFuture<Long> take() {
			CompletableFuture<Long> future;
			this.lock.lock();
			try {
				if ((this.state & CLOSED_BIT) != 0) {
					return CompletableFuture.completedFuture(CLOSED);
				}
				if (this.limit == 0) {
					// A limit of 0 means the agent never runs: answer at once, never hang.
					return CompletableFuture.completedFuture(NONE);
				}
				if (!this.fair || this.queue.isEmpty()) {
					long lease = rawTake(1);
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
					long lease = rawTake(1);
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
			this.taken.decrement();
			STATE.getAndAdd(this, -1L);
		}

		@Override
		public boolean release(long lease) {
			for (;;) {
				long s = this.state;
				// Only permits that are not slots: a slot goes back by agent id, with releaseSlot.
				if (held(s) <= slots(s)) {
					return false;
				}
				if (STATE.compareAndSet(this, s, s - 1)) {
					break;
				}
			}
			grantWaitersIfAny();
			return true;
		}

		@Override
		public boolean releaseSlot() {
			for (;;) {
				long s = this.state;
				if (slots(s) == 0) {
					return false;
				}
				if (STATE.compareAndSet(this, s, s - 1 - SLOT)) {
					break;
				}
			}
			grantWaitersIfAny();
			return true;
		}

		@Override
		public int slotsHeld() {
			return slots(this.state);
		}

		@Override
		public void revoke(long lease) {
			undoTake();
			grantWaitersIfAny();
		}

		private void grantWaitersIfAny() {
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
			return held(this.state);
		}

		@Override
		public int waiting() {
			return this.waiters;
		}

		@Override
		public long acquired() {
			// sum() is not a snapshot: it may see a revoke's decrement without its grant's increment.
			return Math.max(0, this.taken.sum());
		}

		@Override
		public boolean retireIfIdle() {
			this.lock.lock();
			try {
				// Succeeds only if nothing is held, nobody waits and no take slipped in since.
				return this.queue.isEmpty() && STATE.compareAndSet(this, 0L, CLOSED_BIT);
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
					long s = this.state;
					if ((s & CLOSED_BIT) != 0 || STATE.compareAndSet(this, s, s | CLOSED_BIT)) {
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
