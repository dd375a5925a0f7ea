package io.agentcontrolplane.quota;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import org.jspecify.annotations.Nullable;

/**
 * The admission pipeline of an engine: look the agent up, check the action, take a permit,
 * wait for one when none is free, consume the rate budget, grant. The blocking and the
 * asynchronous forms run the same pipeline; only the waiting step differs ({@link Waiting}).
 * The budgets of every unit are consumed in one step after the permit ({@link RateConsumption}):
 * a call with an estimate reserves it there, and its permit settles it.
 *
 * <p>How a waiter is woken: the permit store hands a lease to the waiter's store future on the
 * releasing thread (bookkeeping only). The blocking form's thread then simply wakes up. The
 * asynchronous form finishes the admission (rate budget, permit) on that thread too, but
 * completes the caller's future on the hand-off executor, so that no caller's continuation
 * ever runs on a releasing thread: a slow continuation can hold up neither the releaser nor
 * the hand-offs to other waiters.
 */
final class Admission {

	private final AgentRegistry registry;

	private final Rejections rejections;

	private final RateConsumption rate;

	private final Grants grants;

	private final Executor handOff;

	private final Waiting<Permit> blocking = new Blocking();

	private final Waiting<CompletableFuture<Permit>> async = new Async();

	private final Waiting<@Nullable Permit> notWaiting = new NotWaiting();

	/**
	 * Whether the store answers from memory; otherwise the asynchronous form runs on the
	 * hand-off executor from its first step, so that a slow store never holds up its caller.
	 */
	private final boolean localStore;

	Admission(AgentRegistry registry, Rejections rejections, RateConsumption rate, Grants grants, Executor handOff,
			boolean localStore) {
		this.localStore = localStore;
		this.registry = registry;
		this.rejections = rejections;
		this.rate = rate;
		this.grants = grants;
		this.handOff = handOff;
	}

	/**
	 * Admit one call, blocking while it waits.
	 * @param rate whether to consume from the budgets
	 * @param estimate what the call is expected to spend; {@code null} for one request
	 */
	Permit admit(String agentId, @Nullable String action, @Nullable Duration maxWait, boolean rate,
			@Nullable Usage estimate) {
		return run(agentId, action, maxWait, rate, estimate, this.blocking);
	}

	/**
	 * Admit one call without blocking; refusals fail the future.
	 * @param rate whether to consume from the budgets
	 * @param estimate what the call is expected to spend; {@code null} for one request
	 */
	CompletableFuture<Permit> admitAsync(String agentId, @Nullable String action, @Nullable Duration maxWait,
			boolean rate, @Nullable Usage estimate) {
		if (!this.localStore) {
			return offCallerThread(() -> admitAsyncHere(agentId, action, maxWait, rate, estimate));
		}
		return admitAsyncHere(agentId, action, maxWait, rate, estimate);
	}

	private CompletableFuture<Permit> admitAsyncHere(String agentId, @Nullable String action,
			@Nullable Duration maxWait, boolean rate, @Nullable Usage estimate) {
		try {
			return run(agentId, action, maxWait, rate, estimate, this.async);
		}
		catch (QuotaExceededException ex) {
			return CompletableFuture.failedFuture(ex);
		}
	}

	/**
	 * Run an asynchronous admission on the hand-off executor and answer with a future at once.
	 * Cancelling that future cancels the admission's own future, which removes its waiter; a
	 * permit that arrives for a future already cancelled is closed, so nothing is lost.
	 */
	private CompletableFuture<Permit> offCallerThread(Supplier<CompletableFuture<Permit>> admission) {
		CompletableFuture<Permit> result = new CompletableFuture<>();
		Runnable task = () -> {
			if (result.isDone()) {
				return;
			}
			CompletableFuture<Permit> inner;
			try {
				inner = admission.get();
			}
			catch (Throwable ex) {
				result.completeExceptionally(ex);
				return;
			}
			inner.whenComplete((permit, ex) -> {
				if (ex != null) {
					result.completeExceptionally((ex instanceof CompletionException && ex.getCause() != null)
							? ex.getCause() : ex);
				}
				else if (!result.complete(permit)) {
					permit.close();
				}
			});
			result.whenComplete((permit, ex) -> {
				if (result.isCancelled()) {
					inner.cancel(false);
				}
			});
		};
		try {
			this.handOff.execute(task);
		}
		catch (RejectedExecutionException ex) {
			// The executor was shut down: admitting on the caller's thread beats refusing.
			task.run();
		}
		return result;
	}

	/**
	 * Admit one call if a permit is free now; no permit free is not a refusal (see
	 * {@link PolicyEngine#tryAdmit}).
	 * @return the permit, or {@code null} when none is free now (nothing counted)
	 */
	@Nullable Permit tryAdmit(String agentId, @Nullable String action, @Nullable Usage estimate) {
		return run(agentId, action, null, true, estimate, this.notWaiting);
	}

	private <R> R run(String agentId, @Nullable String action, @Nullable Duration maxWait, boolean rate,
			@Nullable Usage estimate, Waiting<R> waiting) {
		for (;;) {
			AgentState state = this.registry.lookup(agentId);
			if (state == null) {
				if (this.rejections.unknownAllowed(agentId)) {
					return waiting.granted(new UntrackedPermit(agentId));
				}
				throw this.rejections.unknownAgent(agentId);
			}
			if (action != null) {
				ResourceQuota quota = state.quota();
				if (!quota.allowsCanonical(action)) {
					throw this.rejections.actionNotAllowed(state, quota, action);
				}
			}
			long lease;
			try {
				lease = state.permits().tryTake();
			}
			catch (PermitStoreUnavailableException ex) {
				throw this.rejections.storeUnavailable(state, ex, 0);
			}
			if (lease == PermitStore.AgentPermits.NONE && !waiting.mayWait()) {
				return waiting.noneFree();
			}
			if (lease == PermitStore.AgentPermits.NONE) {
				long timeout = nanos((maxWait != null) ? maxWait : state.quota().maxWait());
				if (timeout <= 0) {
					throw this.rejections.concurrency(state, 0);
				}
				CompletableFuture<Long> future = state.permits().take(timeout);
				if (!future.isDone()) {
					return waiting.await(state, future, timeout, rate, estimate);
				}
				// Answered at once: nothing was waited for.
				lease = await(state, future, timeout);
				if (lease == PermitStore.AgentPermits.NONE) {
					throw this.rejections.concurrency(state, 0);
				}
			}
			if (lease == PermitStore.AgentPermits.CLOSED) {
				// Removed or evicted under us: look it up again.
				this.registry.forget(agentId, state);
				continue;
			}
			return waiting.granted(finish(state, lease, 0, rate, estimate));
		}
	}

	/**
	 * What a wait ended with: a refusal, or the last steps of the pipeline.
	 */
	private Permit afterWait(AgentState state, long lease, long waited, boolean rate, @Nullable Usage estimate) {
		if (lease == PermitStore.AgentPermits.NONE) {
			// NONE after a wait: our time-out, or the store's own bound of the wait ended first.
			throw this.rejections.concurrency(state, waited);
		}
		if (lease == PermitStore.AgentPermits.CLOSED) {
			throw this.rejections.removedWhileWaiting(state, waited);
		}
		return finish(state, lease, waited, rate, estimate);
	}

	/**
	 * The last steps for a lease taken: the budgets, then the permit. Whatever this throws, the
	 * lease (and any reservation) has been given back exactly once.
	 */
	private Permit finish(AgentState state, long lease, long waited, boolean rate, @Nullable Usage estimate) {
		Reservation reservation = rate ? consumeOrRevoke(state, lease, waited, estimate) : null;
		return this.grants.grantOrRevoke(state, lease, waited, reservation);
	}

	private @Nullable Reservation consumeOrRevoke(AgentState state, long lease, long waited,
			@Nullable Usage estimate) {
		try {
			return this.rate.consume(state, estimate, waited);
		}
		catch (Throwable ex) {
			state.permits().revoke(lease);
			if (ex instanceof PermitStoreUnavailableException unavailable) {
				throw this.rejections.storeUnavailable(state, unavailable, waited);
			}
			throw ex;
		}
	}

	/**
	 * Block for a store future, up to the time-out.
	 * @return the lease, {@code NONE} on time-out, or {@code CLOSED}
	 */
	private long await(AgentState state, CompletableFuture<Long> future, long timeoutNanos) {
		try {
			return future.get(timeoutNanos, TimeUnit.NANOSECONDS);
		}
		catch (TimeoutException ex) {
			// Whoever completes the future first owns the outcome: if we lose, a lease arrived.
			return future.cancel(false) ? PermitStore.AgentPermits.NONE : future.join();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			if (!future.cancel(false)) {
				long lease = future.join();
				if (lease >= 0) {
					state.permits().revoke(lease);
				}
			}
			CancellationException failure = new CancellationException(
					"Interrupted while waiting for an execution slot of agent '" + state.agentId() + "'");
			failure.initCause(ex);
			throw failure;
		}
		catch (ExecutionException ex) {
			if (ex.getCause() instanceof PermitStoreUnavailableException unavailable) {
				throw this.rejections.storeUnavailable(state, unavailable, 0);
			}
			// Store futures complete with a value; only we (or the store's close) end them.
			throw new IllegalStateException("Permit store failed", ex.getCause());
		}
	}

	static long nanos(Duration duration) {
		try {
			return duration.toNanos();
		}
		catch (ArithmeticException ex) {
			return Long.MAX_VALUE;
		}
	}

	// --- the waiting step --------------------------------------------------------------------

	/**
	 * The one step in which the blocking and the asynchronous forms differ.
	 */
	private interface Waiting<R> {

		/** The answer for a permit granted without waiting. */
		R granted(Permit permit);

		/** Whether this form waits when no permit is free ({@link #noneFree()} answers if not). */
		default boolean mayWait() {
			return true;
		}

		/** The answer when no permit is free and this form does not wait. */
		default R noneFree() {
			throw new UnsupportedOperationException();
		}

		/** Wait for the store future, then finish with {@link #afterWait}. */
		R await(AgentState state, CompletableFuture<Long> future, long timeoutNanos, boolean rate,
				@Nullable Usage estimate);

	}

	/**
	 * No wait at all, and no permit free is an answer ({@code null}), not a refusal: for callers
	 * that wait on their own terms.
	 */
	private static final class NotWaiting implements Waiting<@Nullable Permit> {

		@Override
		public Permit granted(Permit permit) {
			return permit;
		}

		@Override
		public boolean mayWait() {
			return false;
		}

		@Override
		public @Nullable Permit noneFree() {
			return null;
		}

		@Override
		public Permit await(AgentState state, CompletableFuture<Long> future, long timeoutNanos, boolean rate,
				@Nullable Usage estimate) {
			throw new IllegalStateException("never waits");
		}

	}

	private final class Blocking implements Waiting<Permit> {

		@Override
		public Permit granted(Permit permit) {
			return permit;
		}

		@Override
		public Permit await(AgentState state, CompletableFuture<Long> future, long timeoutNanos, boolean rate,
				@Nullable Usage estimate) {
			long start = System.nanoTime();
			long lease = Admission.this.await(state, future, timeoutNanos);
			return afterWait(state, lease, System.nanoTime() - start, rate, estimate);
		}

	}

	private final class Async implements Waiting<CompletableFuture<Permit>> {

		@Override
		public CompletableFuture<Permit> granted(Permit permit) {
			return CompletableFuture.completedFuture(permit);
		}

		@Override
		public CompletableFuture<Permit> await(AgentState state, CompletableFuture<Long> future, long timeoutNanos,
				boolean rate, @Nullable Usage estimate) {
			CompletableFuture<Permit> result = new CompletableFuture<>();
			long start = System.nanoTime();
			// orTimeout uses the JDK's shared daemon delayer: no thread of ours waits.
			future.orTimeout(timeoutNanos, TimeUnit.NANOSECONDS);
			future.whenComplete((lease, ex) -> {
				long waited = System.nanoTime() - start;
				if (result.isDone()) {
					// Cancelled in the same instant the lease was handed over: give it back.
					if (ex == null && lease >= 0) {
						state.permits().revoke(lease);
					}
					return;
				}
				// CompletableFuture swallows what this callback throws: every outcome, a
				// failure included, must reach the caller's future, and a lease taken must be
				// given back if it does not.
				Permit permit = null;
				Throwable failure;
				try {
					if (ex != null) {
						Throwable cause = (ex instanceof CompletionException && ex.getCause() != null) ? ex.getCause()
								: ex;
						failure = (cause instanceof PermitStoreUnavailableException unavailable)
								? Admission.this.rejections.storeUnavailable(state, unavailable, waited)
								: Admission.this.rejections.concurrency(state, waited);
					}
					else {
						permit = afterWait(state, lease, waited, rate, estimate);
						failure = null;
					}
				}
				catch (Throwable refused) {
					failure = refused;
				}
				handOff(result, permit, failure);
			});
			result.whenComplete((permit, ex) -> {
				if (result.isCancelled()) {
					future.cancel(false);
				}
			});
			return result;
		}

		/**
		 * Complete the caller's future on the hand-off executor. A permit the caller no longer
		 * wants (it cancelled meanwhile) is closed, so it goes to the next waiter.
		 */
		private void handOff(CompletableFuture<Permit> result, @Nullable Permit permit, @Nullable Throwable failure) {
			Runnable complete = () -> {
				if (permit != null) {
					if (!result.complete(permit)) {
						permit.close();
					}
				}
				else {
					result.completeExceptionally(failure);
				}
			};
			try {
				Admission.this.handOff.execute(complete);
			}
			catch (RejectedExecutionException ex) {
				// The hand-off executor was shut down: completing here is late, never lost.
				complete.run();
			}
		}

	}

}
