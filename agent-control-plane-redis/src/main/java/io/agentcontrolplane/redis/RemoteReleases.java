package io.agentcontrolplane.redis;

import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.redisson.api.RPermitExpirableSemaphore;

/**
 * The releases of one agent's Redis permits: sent without waiting, and sent again every probe
 * interval when they do not reach Redis, until they land or the lease has expired in Redis by
 * itself. The releases still on their way are remembered, so that a take on this instance can
 * wait for them (a permit given back here is free for the next take here).
 */
final class RemoteReleases {

	private final RedisPermitStore store;

	private final RedisAgentPermits agent;

	private final RPermitExpirableSemaphore semaphore;

	private final Set<CompletableFuture<?>> pending = ConcurrentHashMap.newKeySet();

	RemoteReleases(RedisPermitStore store, RedisAgentPermits agent, RPermitExpirableSemaphore semaphore) {
		this.store = store;
		this.agent = agent;
		this.semaphore = semaphore;
	}

	/**
	 * Send a release without waiting for it; a failure counts against the agent's availability
	 * and the release is retried in the background.
	 */
	void send(String permitId) {
		send(permitId, System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(this.store.leaseMillis()));
	}

	private void send(String permitId, long giveUpAtNanos) {
		CompletableFuture<Boolean> release;
		try {
			release = this.store.bounded(this.semaphore.tryReleaseAsync(permitId).toCompletableFuture());
		}
		catch (RuntimeException ex) {
			release = CompletableFuture.failedFuture(ex);
		}
		this.store.track(release);
		CompletableFuture<Boolean> sent = release;
		this.pending.add(sent);
		sent.whenComplete((released, ex) -> this.pending.remove(sent));
		release.whenCompleteAsync((released, ex) -> {
			if (ex == null) {
				return;
			}
			this.agent.failed(ex);
			if (giveUpAtNanos - System.nanoTime() > 0) {
				this.store.retryRelease(() -> send(permitId, giveUpAtNanos));
			}
		}, this.store.callbacks());
	}

	/**
	 * Wait, until the given deadline at most, for the releases sent from this instance.
	 */
	void awaitSent(long deadlineNanos) {
		if (this.pending.isEmpty()) {
			return;
		}
		try {
			CompletableFuture.allOf(this.pending.toArray(CompletableFuture[]::new))
				.get(Math.max(0, deadlineNanos - System.nanoTime()), TimeUnit.NANOSECONDS);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
		}
		catch (ExecutionException | TimeoutException ex) {
			// The release goes on in the background; the caller asks Redis anyway.
		}
	}

}
