package io.agentcontrolplane.redis;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.ReentrantReadWriteLock;

import io.agentcontrolplane.quota.PermitStore;
import io.agentcontrolplane.quota.PermitStore.AgentPermits;
import io.agentcontrolplane.quota.PermitStoreUnavailableException;
import org.jspecify.annotations.Nullable;
import org.redisson.api.RPermitExpirableSemaphore;

/**
 * The permits of one agent in a {@link RedisPermitStore}: a Redisson
 * {@link RPermitExpirableSemaphore} whose total is the agent's cluster-wide limit, plus this
 * instance's map from the engine's {@code long} leases to Redisson's permit ids, and an
 * in-memory fallback used only while this agent's keys cannot be reached and the store fails
 * open.
 *
 * <p>Availability is this agent's own: a failure on its keys (its shard down, a time-out)
 * switches only this agent to the store's unavailable mode, and a probe of its own keys brings
 * it back. Every Redis call made on a caller's thread is bounded by the store's command
 * time-out; releases are sent without waiting and retried in the background until they reach
 * Redis or the lease has expired there anyway.
 *
 * <p>Counts: {@link #inFlight()} asks Redis (the cluster-wide count), {@link #waiting()} and
 * {@link #acquired()} are this instance's.
 */
final class RedisAgentPermits implements AgentPermits {

	private static final System.Logger logger = System.getLogger(RedisAgentPermits.class.getName());

	/** Cap of one wait in Redisson, for callers that wait "forever". */
	private static final long MAX_WAIT_MILLIS = TimeUnit.DAYS.toMillis(1);

	private final RedisPermitStore store;

	private final String agentId;

	private final RPermitExpirableSemaphore semaphore;

	/**
	 * The keys of the maintenance script: semaphore, its lease set, the limit, the channel, the
	 * limit versions.
	 */
	private final List<Object> maintenanceKeys;

	/** Which maintenance round reconciles this agent, so that reconciliations spread out. */
	final long slice;

	private final AgentPermits local;

	/** This instance's leases of the agent, and which are slots. */
	private final LeaseBook leases = new LeaseBook();

	private final Set<RedisWaiter> waiters = ConcurrentHashMap.newKeySet();

	/** Takes hold the read lock, retirement the write lock: a take never races a retirement. */
	private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();

	/** This instance's limit, its version, and the cluster-wide limit last read from Redis. */
	private final AgentLimit limit;

	private volatile boolean fair;

	private volatile boolean closed;

	/** Whether this agent's keys answer; their probe while they do not. */
	private final AgentAvailability availability;

	/** Releases sent to Redis, retried until they land. */
	private final RemoteReleases releases;

	RedisAgentPermits(RedisPermitStore store, String agentId, int limit, boolean fair, long slice) {
		this.store = store;
		this.agentId = agentId;
		String name = store.keyOf(agentId);
		this.semaphore = store.redisson().getPermitExpirableSemaphore(name);
		// Redisson's own names for the semaphore's lease set and channel (see keyOf).
		this.maintenanceKeys = List.of(name, name + ":timeout", store.limitKeyOf(agentId), "redisson_sc:" + name,
				store.limitVersionsKeyOf(agentId));
		this.slice = slice;
		this.local = PermitStore.inMemory().create(agentId, limit, fair);
		this.limit = new AgentLimit(limit);
		this.fair = fair;
		this.availability = new AgentAvailability(store, this);
		this.releases = new RemoteReleases(store, this, this.semaphore);
		writeLimitNow();
	}

	String agentId() {
		return this.agentId;
	}

	boolean isAvailable() {
		return this.availability.isAvailable();
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
			if (this.availability.isAvailable()) {
				long deadline = System.nanoTime() + this.store.commandTimeoutNanos();
				this.releases.awaitSent(deadline);
				CompletableFuture<String> remote = this.semaphore
					.tryAcquireAsync(0, this.store.leaseMillis(), TimeUnit.MILLISECONDS)
					.toCompletableFuture();
				try {
					String permitId = remote.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
					return (permitId != null) ? this.leases.register(permitId) : NONE;
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
					releaseLate(remote);
					if (!this.store.failOpen()) {
						throw new PermitStoreUnavailableException("Interrupted while asking Redis for a permit of agent '"
								+ this.agentId + "'; nothing was taken", ex);
					}
				}
				catch (TimeoutException ex) {
					releaseLate(remote);
					failed(new TimeoutException("Redis did not answer within the command timeout of "
							+ this.store.commandTimeout().toMillis() + " ms"));
				}
				catch (ExecutionException ex) {
					failed(ex.getCause());
				}
			}
			if (!this.store.failOpen()) {
				throw unavailable();
			}
			long lease = this.local.tryTake();
			return (lease >= 0) ? this.leases.register(LeaseBook.LOCAL) : NONE;
		}
		finally {
			this.lifecycle.readLock().unlock();
		}
	}

	/**
	 * A permit that Redis grants after its caller stopped waiting for the answer goes back.
	 */
	private void releaseLate(CompletableFuture<String> remote) {
		remote.whenComplete((permitId, ex) -> {
			if (permitId != null) {
				this.releases.send(permitId);
			}
		});
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
		this.leases.markSlot(lease);
		return ANY_LEASE;
	}

	@Override
	public boolean releaseSlot() {
		for (;;) {
			Long lease = this.leases.pollSlot();
			if (lease == null) {
				return false;
			}
			if (release(lease)) {
				return true;
			}
		}
	}

	/**
	 * The slot leases not yet given back; the engine asks this only after an agent was removed,
	 * to tell whether a late slot release still belongs to these permits.
	 */
	@Override
	public int slotsHeld() {
		return this.leases.slotsHeld();
	}

	@Override
	public CompletableFuture<Long> take() {
		return take(Long.MAX_VALUE);
	}

	/**
	 * Wait for a permit. The future is returned at once: the first Redis call is made on the
	 * store's callback threads, never on the caller's.
	 */
	@Override
	public CompletableFuture<Long> take(long maxWaitNanos) {
		this.lifecycle.readLock().lock();
		try {
			if (this.closed) {
				return CompletableFuture.completedFuture(CLOSED);
			}
			if (this.limit.inForce() == 0 && this.limit.configured() == 0) {
				return CompletableFuture.completedFuture(NONE);
			}
			long waitMillis = Math.max(1, Math.min(TimeUnit.NANOSECONDS.toMillis(maxWaitNanos), MAX_WAIT_MILLIS));
			RedisWaiter waiter = new RedisWaiter(System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMillis),
					this.waiters);
			try {
				this.store.callbacks().execute(() -> attempt(waiter));
			}
			catch (RejectedExecutionException ex) {
				waiter.complete(CLOSED);
			}
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
	 * and its answer by the caller's wait plus the command time-out; a permit it obtains after
	 * the caller gave up is released at once.
	 */
	private void attempt(RedisWaiter waiter) {
		if (waiter.isDone()) {
			return;
		}
		if (this.store.isClosed()) {
			waiter.complete(CLOSED);
			return;
		}
		if (!this.availability.isAvailable()) {
			if (!this.store.failOpen()) {
				waiter.completeExceptionally(unavailable());
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
				else if (!this.leases.handOver(waiter, LeaseBook.LOCAL)) {
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
			failed(ex);
			attempt(waiter);
			return;
		}
		remote.whenCompleteAsync((permitId, ex) -> {
			if (ex != null) {
				if (!waiter.isDone()) {
					failed(ex);
					attempt(waiter);
				}
				return;
			}
			if (permitId == null) {
				waiter.complete(NONE);
				return;
			}
			if (!this.leases.handOver(waiter, permitId)) {
				// The caller gave up in the same instant: the permit goes back at once.
				this.releases.send(permitId);
			}
		}, this.store.callbacks());
		// Redis may stop answering during the wait (a frozen or failing shard).
		this.store.schedule(() -> {
			if (!remote.isDone() && !waiter.isDone()) {
				failed(new TimeoutException("Redis did not answer a wait within its bound plus the command timeout of "
						+ this.store.commandTimeout().toMillis() + " ms"));
				this.store.callbacks().execute(() -> attempt(waiter));
			}
		}, remainingMillis + this.store.commandTimeout().toMillis());
	}

	@Override
	public boolean release(long lease) {
		String permitId = this.leases.remove(lease);
		if (permitId == null) {
			return false;
		}
		giveBack(permitId);
		return true;
	}

	@Override
	public void revoke(long lease) {
		String permitId = this.leases.remove(lease);
		if (permitId != null) {
			this.leases.uncount();
			giveBack(permitId);
		}
	}

	private void giveBack(String permitId) {
		if (permitId == LeaseBook.LOCAL) {
			this.local.release(ANY_LEASE);
			return;
		}
		this.releases.send(permitId);
	}

	@Override
	public void resize(int limit, boolean fair) {
		this.limit.configure(limit);
		this.fair = fair;
		this.local.resize(limit, fair);
		writeLimitNow();
	}

	/**
	 * Write this instance's limit as the cluster-wide total, within the command time-out. If
	 * Redis does not answer, the limit is written by the probe or the next maintenance round.
	 */
	private void writeLimitNow() {
		if (!this.availability.isAvailable()) {
			return;
		}
		try {
			this.store.bounded(this.store.maintain(this, maintenanceArguments(List.of(), true)))
				.thenAccept(this::applyMaintenance)
				.get();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (ExecutionException ex) {
			failed(ex.getCause());
		}
	}

	@Override
	public int limit() {
		return this.limit.inForce();
	}

	@Override
	public int inFlight() {
		if (this.availability.isAvailable()) {
			// Count this instance's releases already sent (within the command time-out).
			this.releases.awaitSent(System.nanoTime() + this.store.commandTimeoutNanos());
			try {
				Integer held = this.store.bounded(this.semaphore.acquiredPermitsAsync().toCompletableFuture()).get();
				return (held != null) ? held : 0;
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			catch (ExecutionException ex) {
				failed(ex.getCause());
			}
		}
		// This instance's own count is all that is known now.
		return this.leases.size();
	}

	@Override
	public int waiting() {
		return this.waiters.size();
	}

	@Override
	public long acquired() {
		return this.leases.acquired();
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

	/**
	 * Close for good. The agent's keys are not deleted (other instances may still use them);
	 * once no instance refreshes them they expire.
	 */
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
		for (RedisWaiter waiter : new ArrayList<>(this.waiters)) {
			waiter.complete(CLOSED);
		}
		// Leases still held are released by their holders (release keeps working).
	}

	// --- availability -------------------------------------------------------------------------

	/**
	 * Record that this agent's keys did not answer: switch this agent (only) to the unavailable
	 * mode, probe its keys until they answer, and send its waiters to the unavailable mode's
	 * path (refusal or local fallback).
	 */
	void failed(@Nullable Throwable failure) {
		Throwable cause = RedisPermitStore.unwrap(failure);
		if (cause instanceof java.util.concurrent.CancellationException || this.store.isClosed() || this.closed) {
			// A closed agent takes nothing any more (its releases retry on their own) and must
			// not count as unavailable: the store has forgotten it.
			return;
		}
		if (this.availability.lost(cause)) {
			for (RedisWaiter waiter : new ArrayList<>(this.waiters)) {
				try {
					this.store.callbacks().execute(() -> attempt(waiter));
				}
				catch (RejectedExecutionException ex) {
					waiter.complete(CLOSED);
				}
			}
		}
	}

	PermitStoreUnavailableException unavailable() {
		return this.availability.unavailable();
	}

	// --- maintenance --------------------------------------------------------------------------

	/**
	 * Whether the next maintenance round must include this agent: it holds permits to renew,
	 * or its limit is still to be written.
	 */
	boolean needsRenewal() {
		return !this.leases.isEmpty() || this.limit.toWrite();
	}

	boolean isClosed() {
		return this.closed;
	}

	List<String> heldPermitIds() {
		return this.leases.remotePermitIds();
	}

	List<Object> maintenanceKeys() {
		return this.maintenanceKeys;
	}

	/**
	 * The arguments of the {@link MaintenanceScript} for a round or a probe: renew the given
	 * leases, and write this instance's limit if its version has not been answered yet.
	 */
	Object[] maintenanceArguments(List<String> permitIds) {
		return maintenanceArguments(permitIds, this.limit.toWrite());
	}

	/**
	 * The arguments of the {@link MaintenanceScript}, writing this instance's limit or not.
	 */
	Object[] maintenanceArguments(List<String> permitIds, boolean write) {
		return this.limit.arguments(this.store, permitIds, write);
	}

	/**
	 * Take in what a maintenance script answered (see {@link AgentLimit#apply}).
	 */
	void applyMaintenance(@Nullable List<Object> result) {
		if (this.limit.apply(result) > 0) {
			logger.log(Level.WARNING, "A permit of agent '" + this.agentId
					+ "' expired in Redis while still held (Redis unreachable or restarted for"
					+ " longer than the lease time); it no longer counts cluster-wide");
		}
	}

}
