package io.agentcontrolplane.redis;

import java.util.Set;
import java.util.concurrent.CompletableFuture;

import org.jspecify.annotations.Nullable;

/**
 * A caller waiting for one of an agent's permits in a {@link RedisPermitStore}: its future, its
 * deadline and, while the agent's keys are unreachable and the store fails open, its take on the
 * local fallback. Whoever completes it (a grant, a refusal, the caller's {@code orTimeout} or
 * cancel) takes it off the agent's waiters first: a dependent such as a {@code whenComplete}
 * would run only after the engine had passed the outcome on (dependents run newest first), so
 * the caller could still see itself counted as waiting. Once completed, it cancels its local
 * take, if any.
 */
final class RedisWaiter extends CompletableFuture<Long> {

	final long deadlineNanos;

	private final Set<RedisWaiter> waiters;

	private volatile @Nullable CompletableFuture<Long> local;

	/**
	 * A waiter, counted among the given waiters until it completes.
	 */
	RedisWaiter(long deadlineNanos, Set<RedisWaiter> waiters) {
		this.deadlineNanos = deadlineNanos;
		this.waiters = waiters;
		waiters.add(this);
	}

	/** Remember the take on the local fallback (cancelled at once if this one is done). */
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
		this.waiters.remove(this);
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
