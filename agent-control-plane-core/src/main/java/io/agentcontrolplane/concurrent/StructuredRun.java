package io.agentcontrolplane.concurrent;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater;
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater;
import java.util.concurrent.locks.LockSupport;

import org.jspecify.annotations.Nullable;

/**
 * The structured part shared by every blocking call of {@link BoundedExecutor}: a set of workers
 * running on the executor, the first failure (which stops them all), and the caller waiting
 * until every worker has left. A call never returns or throws while one of its workers is still
 * running, so nothing keeps running after the call.
 *
 * <p>Workers are long-lived for the call: each one runs task after task, so the per-task cost is
 * one counter increment or queue hand-off, not one executor submission.
 */
abstract class StructuredRun {

	private static final AtomicReferenceFieldUpdater<StructuredRun, Failure> FAILURE = AtomicReferenceFieldUpdater
		.newUpdater(StructuredRun.class, Failure.class, "failure");

	private final Executor executor;

	/** The calling thread, which waits (parked) until the workers have left. */
	final Thread caller = Thread.currentThread();

	/** Workers submitted and not yet left; the caller waits for zero. */
	final AtomicInteger live = new AtomicInteger();

	/** Every worker that may still run, so that a failure can interrupt them. */
	private final Set<Worker> workers = ConcurrentHashMap.newKeySet();

	/** Whether the caller parks waiting for any worker to leave (not only the last one). */
	volatile boolean callerWaitsForAnyExit;

	/** The first failure; once set, no task starts any more. */
	volatile @Nullable Failure failure;

	private boolean callerInterrupted;

	StructuredRun(Executor executor) {
		this.executor = executor;
	}

	final boolean stopped() {
		return this.failure != null;
	}

	/**
	 * Record the first failure and cancel every worker but the one reporting it. Later failures
	 * (typically the interrupts this causes) are ignored.
	 * @param failure the failure
	 * @param self the worker reporting it, or {@code null} for the caller
	 */
	final void stop(Failure failure, @Nullable Worker self) {
		if (!FAILURE.compareAndSet(this, null, failure)) {
			return;
		}
		// The failure is set before the scan: a worker publishes itself before it checks for a
		// failure, so each worker either sees the failure or is seen (and interrupted) here.
		for (Worker worker : this.workers) {
			if (worker != self) {
				worker.cancel();
			}
		}
	}

	/**
	 * Submit a worker. When the executor refuses it the run stops with that refusal.
	 * @param worker the worker
	 * @return whether it was submitted
	 */
	final boolean spawn(Worker worker) {
		this.workers.add(worker);
		this.live.incrementAndGet();
		try {
			this.executor.execute(worker);
			return true;
		}
		catch (RuntimeException | Error ex) {
			if (worker.cancelBeforeStart()) {
				// never ran: undo its bookkeeping here since its run() will not
				worker.discard();
				worker.left();
			}
			stop(Failure.raw(ex), null);
			return false;
		}
	}

	/**
	 * Called by a worker (or on its behalf) exactly once when it leaves.
	 * @param worker the worker
	 */
	final void workerLeft(Worker worker) {
		this.workers.remove(worker);
		if (this.live.decrementAndGet() == 0 || this.callerWaitsForAnyExit) {
			LockSupport.unpark(this.caller);
		}
	}

	/**
	 * Record that the caller was interrupted: cancel everything; the interrupt is re-set when
	 * the call ends.
	 * @param cause what reported the interrupt
	 */
	final void callerInterrupted(Throwable cause) {
		this.callerInterrupted = true;
		stop(Failure.cancelled(cause), null);
	}

	/**
	 * Wait, on the calling thread, until every worker has left. An interrupt cancels the run
	 * and the wait goes on: a structured call never leaves work behind.
	 */
	final void awaitWorkers() {
		while (this.live.get() != 0) {
			LockSupport.park(this);
			if (Thread.interrupted()) {
				callerInterrupted(new InterruptedException("Interrupted while waiting for tasks"));
			}
		}
	}

	/**
	 * Park the caller until a worker leaves (or the run stops, which also makes workers leave).
	 * @param liveBefore the live count observed before deciding to wait
	 */
	final void awaitAnyExit(int liveBefore) {
		this.callerWaitsForAnyExit = true;
		try {
			while (this.live.get() >= liveBefore && !stopped()) {
				LockSupport.park(this);
				if (Thread.interrupted()) {
					callerInterrupted(new InterruptedException("Interrupted while waiting for a slot"));
				}
			}
		}
		finally {
			this.callerWaitsForAnyExit = false;
		}
	}

	/**
	 * After {@link #awaitWorkers()}: re-set the caller's interrupt and throw the failure, if any.
	 */
	final void throwIfFailed() {
		if (this.callerInterrupted) {
			Thread.currentThread().interrupt();
		}
		Failure failure = this.failure;
		if (failure != null) {
			throw failure.toException();
		}
	}

	/**
	 * How a run ended early.
	 *
	 * @param index the position of the failed task or item, {@code -1} when not a task's
	 * @param cause the failure
	 * @param raw whether to rethrow the cause itself (a refusal by the executor or the quota, an
	 * exception of the caller's own iterator) rather than wrap it in a {@link GatherException}
	 */
	record Failure(int index, Throwable cause, boolean raw) {

		static Failure task(long index, Throwable cause) {
			return new Failure((int) Math.min(index, Integer.MAX_VALUE), cause, false);
		}

		static Failure cancelled(Throwable cause) {
			return new Failure(-1, cause, false);
		}

		static Failure raw(Throwable cause) {
			return new Failure(-1, cause, true);
		}

		RuntimeException toException() {
			if (this.raw) {
				if (this.cause instanceof RuntimeException runtimeException) {
					return runtimeException;
				}
				if (this.cause instanceof Error error) {
					throw error;
				}
			}
			return new GatherException(this.index, this.cause);
		}

	}

	/**
	 * One worker of a run. It may be interrupted by {@link #cancel()} only while it is running
	 * this run's code; before it leaves, it waits for a cancellation in progress to land and
	 * clears the interrupt, so that an interrupt can never leak into whatever the executor's
	 * thread runs next.
	 */
	abstract static class Worker implements Runnable {

		private static final int NEW = 0;

		private static final int ACTIVE = 1;

		private static final int INTERRUPTING = 2;

		private static final int INTERRUPTED = 3;

		private static final int CANCELLED = 4;

		private static final int DONE = 5;

		private static final AtomicIntegerFieldUpdater<Worker> STATE = AtomicIntegerFieldUpdater
			.newUpdater(Worker.class, "state");

		private volatile int state;

		private volatile @Nullable Thread thread;

		final StructuredRun run;

		Worker(StructuredRun run) {
			this.run = run;
		}

		@Override
		public final void run() {
			this.thread = Thread.currentThread();
			if (!STATE.compareAndSet(this, NEW, ACTIVE)) {
				// cancelled before it started; the canceller did the bookkeeping
				return;
			}
			try {
				work();
			}
			catch (Throwable ex) {
				// work() reports task failures itself; this is a defect of ours or an Error
				this.run.stop(Failure.raw(ex), this);
			}
			finally {
				if (!STATE.compareAndSet(this, ACTIVE, DONE)) {
					while (this.state == INTERRUPTING) {
						Thread.onSpinWait();
					}
					Thread.interrupted();
					this.state = DONE;
				}
				this.thread = null;
				left();
			}
		}

		/**
		 * Do this worker's share of the run. Must check {@link StructuredRun#stopped()} before
		 * starting each task.
		 */
		abstract void work();

		/**
		 * Release what this worker holds when it will never run (cancelled before it started).
		 */
		void discard() {
		}

		final void left() {
			this.run.workerLeft(this);
		}

		/**
		 * Cancel before start, or interrupt while running.
		 */
		final void cancel() {
			for (;;) {
				int s = this.state;
				if (s == NEW) {
					if (cancelBeforeStart()) {
						discard();
						left();
						return;
					}
				}
				else if (s == ACTIVE) {
					if (STATE.compareAndSet(this, ACTIVE, INTERRUPTING)) {
						try {
							Thread thread = this.thread;
							if (thread != null) {
								thread.interrupt();
							}
						}
						finally {
							this.state = INTERRUPTED;
						}
						return;
					}
				}
				else {
					return;
				}
			}
		}

		final boolean cancelBeforeStart() {
			return STATE.compareAndSet(this, NEW, CANCELLED);
		}

	}

}
