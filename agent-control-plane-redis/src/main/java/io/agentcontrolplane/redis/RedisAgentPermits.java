package io.agentcontrolplane.redis;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import io.agentcontrolplane.quota.PermitStore;
import io.agentcontrolplane.quota.PermitStore.AgentPermits;
import org.jspecify.annotations.Nullable;
import org.redisson.api.RPermitExpirableSemaphore;

/**
 * The permits of one agent in a {@link RedisPermitStore}: a Redisson
 * {@link RPermitExpirableSemaphore} whose total is the agent's cluster-wide limit, plus this
 * instance's map from the engine's {@code long} leases to Redisson's permit ids, and an
 * in-memory fallback used only while Redis is unreachable and the store fails open.
 *
 * <p>Counts: {@link #inFlight()} asks Redis (the cluster-wide count), {@link #waiting()} and
 * {@link #acquired()} are this instance's.
 */
final class RedisAgentPermits implements AgentPermits {

	private static final System.Logger logger = System.getLogger(RedisAgentPermits.class.getName());

	/** Map value of a lease taken from the local fallback while Redis was unreachable. */
	private static final String LOCAL = new String("local");

	/** Cap of one wait in Redisson, for callers that wait "forever". */
	private static final long MAX_WAIT_MILLIS = TimeUnit.DAYS.toMillis(1);

	private final RedisPermitStore store;

	private final String agentId;

	private final RPermitExpirableSemaphore semaphore;

	private final AgentPermits local;

	private final Map<Long, String> leases = new ConcurrentHashMap<>();

	private final Set<Waiter> waiters = ConcurrentHashMap.newKeySet();

	/** The leases taken as execution slots: a slot release gives back one of these only. */
	private final Queue<Long> slotLeases = new ConcurrentLinkedQueue<>();

	private final AtomicLong nextLease = new AtomicLong(1);

	private final LongAdder acquired = new LongAdder();

	/** Takes hold the read lock, retirement the write lock: a take never races a retirement. */
	private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();

	/** The limit this instance was configured with; written to Redis on create and resize. */
	private volatile int configuredLimit;

	/** The cluster-wide limit as last read from Redis (another instance may have changed it). */
	private volatile int limit;

	private volatile boolean fair;

	private volatile boolean closed;

	RedisAgentPermits(RedisPermitStore store, String agentId, int limit, boolean fair) {
		this.store = store;
		this.agentId = agentId;
		this.semaphore = store.redisson().getPermitExpirableSemaphore(store.keyOf(agentId));
		this.local = PermitStore.inMemory().create(agentId, limit, fair);
		this.configuredLimit = limit;
		this.limit = limit;
		this.fair = fair;
		if (store.isAvailable()) {
			writeLimit(limit);
		}
	}

	@Override
	public long tryTake() {
		this.lifecycle.readLock().lock();
		try {
			if (this.closed) {
				return CLOSED;
			}
			if (this.fair && !this.waiters.isEmpty()) {
				// Fair: no barging past this instance's waiters (other instances cannot be seen).
				return NONE;
			}
			if (this.store.isAvailable()) {
				try {
					String permitId = this.store.await(this.semaphore
						.tryAcquireAsync(0, this.store.leaseMillis(), TimeUnit.MILLISECONDS)
						.toCompletableFuture());
					if (permitId == null) {
						return NONE;
					}
					return register(permitId);
				}
				catch (RedisPermitStore.UnreachableException ex) {
					// Fall through to the unavailable mode.
				}
			}
			if (!this.store.failOpen()) {
				throw this.store.unavailable();
			}
			long lease = this.local.tryTake();
			return (lease >= 0) ? register(LOCAL) : NONE;
		}
		finally {
			this.lifecycle.readLock().unlock();
		}
	}

	/**
	 * {@code true}: slots are leases like any other, remembered apart, so that a slot release
	 * gives back a slot's lease and never the lease of a {@link io.agentcontrolplane.quota.Permit}.
	 */
	@Override
	public boolean countsSlots() {
		return true;
	}

	@Override
	public long tryTakeSlot() {
		long lease = tryTake();
		if (lease < 0) {
			return lease;
		}
		this.slotLeases.add(lease);
		return ANY_LEASE;
	}

	@Override
	public boolean releaseSlot() {
		for (;;) {
			Long lease = this.slotLeases.poll();
			if (lease == null) {
				return false;
			}
			if (release(lease)) {
				return true;
			}
		}
	}

	private long register(String permitId) {
		long lease = this.nextLease.getAndIncrement();
		this.leases.put(lease, permitId);
		this.acquired.increment();
		return lease;
	}

	@Override
	public CompletableFuture<Long> take() {
		return take(Long.MAX_VALUE);
	}

	@Override
	public CompletableFuture<Long> take(long maxWaitNanos) {
		this.lifecycle.readLock().lock();
		try {
			if (this.closed) {
				return CompletableFuture.completedFuture(CLOSED);
			}
			if (this.limit == 0 && this.configuredLimit == 0) {
				return CompletableFuture.completedFuture(NONE);
			}
			long waitMillis = Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(maxWaitNanos), MAX_WAIT_MILLIS));
			Waiter waiter = new Waiter(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis));
			this.waiters.add(waiter);
			attempt(waiter);
			return waiter;
		}
		finally {
			this.lifecycle.readLock().unlock();
		}
	}

	/**
	 * Wait for a permit: Redisson's {@code tryAcquireAsync(waitTime, leaseTime)} subscribes to
	 * the semaphore's channel and tries again on every release message (and when the nearest
	 * lease expires), so no thread waits and nobody polls. Its wait is bounded by the caller's,
	 * so nothing keeps waiting in Redisson for a caller that gave up; a permit it obtains after
	 * the caller gave up is released at once.
	 */
	private void attempt(Waiter waiter) {
		if (waiter.isDone()) {
			return;
		}
		if (!this.store.isAvailable()) {
			if (!this.store.failOpen()) {
				waiter.completeExceptionally(this.store.unavailable());
				return;
			}
			long remaining = waiter.deadlineNanos - System.nanoTime();
			CompletableFuture<Long> localTake = (remaining > 0) ? this.local.take(remaining)
					: CompletableFuture.completedFuture(NONE);
			waiter.local(localTake);
			localTake.whenComplete((lease, ex) -> {
				if (ex != null || lease == null) {
					return;
				}
				if (lease < 0) {
					waiter.complete(lease);
				}
				else if (!handOver(waiter, LOCAL)) {
					this.local.revoke(ANY_LEASE);
				}
			});
			return;
		}
		long remainingMillis = TimeUnit.NANOSECONDS.toMillis(waiter.deadlineNanos - System.nanoTime());
		if (remainingMillis <= 0) {
			waiter.complete(NONE);
			return;
		}
		CompletableFuture<String> remote;
		try {
			remote = this.semaphore.tryAcquireAsync(remainingMillis, this.store.leaseMillis(), TimeUnit.MILLISECONDS)
				.toCompletableFuture();
		}
		catch (RuntimeException ex) {
			this.store.failed(ex);
			attempt(waiter);
			return;
		}
		remote.whenCompleteAsync((permitId, ex) -> {
			if (ex != null) {
				if (!waiter.isDone()) {
					this.store.failed(ex);
					attempt(waiter);
				}
				return;
			}
			if (permitId == null) {
				waiter.complete(NONE);
				return;
			}
			if (!handOver(waiter, permitId)) {
				// The caller gave up in the same instant: the permit goes back at once.
				releaseRemoteAsync(permitId);
			}
		}, this.store.callbacks());
	}

	private boolean handOver(CompletableFuture<Long> result, String permitId) {
		long lease = this.nextLease.getAndIncrement();
		this.leases.put(lease, permitId);
		if (result.complete(lease)) {
			this.acquired.increment();
			return true;
		}
		this.leases.remove(lease);
		return false;
	}

	@Override
	public boolean release(long lease) {
		String permitId = remove(lease);
		if (permitId == null) {
			return false;
		}
		giveBack(permitId);
		return true;
	}

	@Override
	public void revoke(long lease) {
		String permitId = remove(lease);
		if (permitId != null) {
			this.acquired.decrement();
			giveBack(permitId);
		}
	}

	/**
	 * Take a lease out of the map; {@link #ANY_LEASE} means one of the slots, never a lease
	 * handed to a {@link io.agentcontrolplane.quota.Permit}.
	 */
	private @Nullable String remove(long lease) {
		if (lease != ANY_LEASE) {
			return this.leases.remove(lease);
		}
		for (;;) {
			Long slot = this.slotLeases.poll();
			if (slot == null) {
				return null;
			}
			String permitId = this.leases.remove(slot);
			if (permitId != null) {
				return permitId;
			}
		}
	}

	private void giveBack(String permitId) {
		if (permitId == LOCAL) {
			this.local.release(ANY_LEASE);
			return;
		}
		releaseRemote(permitId);
	}

	private void releaseRemote(String permitId) {
		if (!this.store.isAvailable()) {
			// The lease expires in Redis by itself (or Redis restarted empty and forgot it).
			return;
		}
		try {
			// Synchronous, so that a release is visible to the next take on this instance.
			this.store.await(this.semaphore.tryReleaseAsync(permitId).toCompletableFuture());
		}
		catch (RedisPermitStore.UnreachableException ex) {
			// Unreachable: the lease expires after the lease time.
		}
	}

	private void releaseRemoteAsync(String permitId) {
		if (!this.store.isAvailable()) {
			return;
		}
		CompletableFuture<Boolean> release = this.semaphore.tryReleaseAsync(permitId).toCompletableFuture();
		this.store.track(release);
		release.whenComplete((released, ex) -> {
			if (ex != null) {
				this.store.failed(ex);
			}
		});
	}

	@Override
	public void resize(int limit, boolean fair) {
		this.configuredLimit = limit;
		this.limit = limit;
		this.fair = fair;
		this.local.resize(limit, fair);
		if (this.store.isAvailable()) {
			writeLimit(limit);
		}
	}

	/**
	 * Set the cluster-wide total. {@code setPermits} keeps the permits held: lowering the
	 * total below what is held leaves the semaphore negative until enough are released.
	 */
	private void writeLimit(int limit) {
		try {
			this.store.await(this.semaphore.setPermitsAsync(limit).toCompletableFuture());
		}
		catch (RedisPermitStore.UnreachableException ex) {
			// Written again by restoreLimit when Redis is back.
		}
	}

	@Override
	public int limit() {
		return this.limit;
	}

	@Override
	public int inFlight() {
		if (this.store.isAvailable()) {
			try {
				Integer held = this.store.await(this.semaphore.acquiredPermitsAsync().toCompletableFuture());
				return (held != null) ? held : 0;
			}
			catch (RedisPermitStore.UnreachableException ex) {
				// Fall through: this instance's own count is all that is known now.
			}
		}
		return this.leases.size();
	}

	@Override
	public int waiting() {
		return this.waiters.size();
	}

	@Override
	public long acquired() {
		return this.acquired.sum();
	}

	@Override
	public boolean retireIfIdle() {
		if (!this.lifecycle.writeLock().tryLock()) {
			return false;
		}
		try {
			if (this.closed || !this.leases.isEmpty() || !this.waiters.isEmpty()) {
				return false;
			}
			this.closed = true;
		}
		finally {
			this.lifecycle.writeLock().unlock();
		}
		this.store.forget(this);
		return true;
	}

	@Override
	public void close() {
		this.lifecycle.writeLock().lock();
		try {
			this.closed = true;
		}
		finally {
			this.lifecycle.writeLock().unlock();
		}
		this.store.forget(this);
		for (Waiter waiter : new ArrayList<>(this.waiters)) {
			waiter.complete(CLOSED);
		}
		// Leases still held are released by their holders (release keeps working).
	}

	// --- called by the store ------------------------------------------------------------------

	/**
	 * Renew every lease this instance holds and re-read the cluster-wide limit. Runs on the
	 * store's thread every third of the lease time.
	 */
	void maintain() {
		List<String> held = new ArrayList<>(this.leases.values());
		for (String permitId : held) {
			if (permitId == LOCAL) {
				continue;
			}
			this.semaphore.updateLeaseTimeAsync(permitId, this.store.leaseMillis(), TimeUnit.MILLISECONDS)
				.whenComplete((renewed, ex) -> {
					if (ex != null) {
						this.store.failed(ex);
					}
					else if (!Boolean.TRUE.equals(renewed) && this.leases.containsValue(permitId)) {
						logger.log(Level.WARNING, "Permit of agent '" + this.agentId
								+ "' expired in Redis while still held (Redis unreachable or restarted for"
								+ " longer than the lease time); it no longer counts cluster-wide");
					}
				});
		}
		// Recreates the semaphore with this instance's limit if Redis lost it, then reads the
		// total in force (the last instance to configure the agent wins).
		this.semaphore.trySetPermitsAsync(this.configuredLimit)
			.thenCompose((ignored) -> this.semaphore.getPermitsAsync())
			.whenComplete((permits, ex) -> {
				if (ex != null) {
					this.store.failed(ex);
				}
				else if (permits != null) {
					this.limit = permits;
				}
			});
	}

	/**
	 * Redis just became unreachable: waiters stop waiting on it (they fail, or move to the local
	 * fallback when the store fails open).
	 */
	void redisLost() {
		for (Waiter waiter : new ArrayList<>(this.waiters)) {
			attempt(waiter);
		}
	}

	/**
	 * Redis is back: recreate the semaphore if Redis restarted empty.
	 */
	void restoreLimit() throws Exception {
		this.semaphore.trySetPermitsAsync(this.configuredLimit).toCompletableFuture().get(30, TimeUnit.SECONDS);
	}

	/**
	 * A waiting caller: its future, its deadline and, while Redis is unreachable and the store
	 * fails open, its take on the local fallback. Whoever completes it (a grant, a refusal, the
	 * caller's {@code orTimeout} or cancel) takes it off {@link #waiting()} first: a dependent
	 * such as a {@code whenComplete} would run only after the engine had passed the outcome on
	 * (dependents run newest first), so the caller could still see itself counted as waiting.
	 * Once completed, it cancels its local take, if any.
	 */
	private final class Waiter extends CompletableFuture<Long> {

		final long deadlineNanos;

		private volatile @Nullable CompletableFuture<Long> local;

		Waiter(long deadlineNanos) {
			this.deadlineNanos = deadlineNanos;
		}

		void local(CompletableFuture<Long> future) {
			this.local = future;
			if (isDone()) {
				future.cancel(false);
			}
		}

		@Override
		public boolean complete(Long value) {
			return leave() && cancelLocal(super.complete(value));
		}

		@Override
		public boolean completeExceptionally(Throwable ex) {
			return leave() && cancelLocal(super.completeExceptionally(ex));
		}

		@Override
		public boolean cancel(boolean mayInterruptIfRunning) {
			return leave() && cancelLocal(super.cancel(mayInterruptIfRunning));
		}

		/** Leave the waiting count unless already completed; false when already completed. */
		private boolean leave() {
			if (isDone()) {
				return false;
			}
			RedisAgentPermits.this.waiters.remove(this);
			return true;
		}

		/**
		 * Cancel the local take, after this future completed: {@link #local} cancels it when it
		 * arrives later, so one of the two always does.
		 */
		private boolean cancelLocal(boolean completed) {
			CompletableFuture<Long> future = this.local;
			if (future != null) {
				future.cancel(false);
			}
			return completed;
		}

	}

}
