package io.agentcontrolplane.concurrent;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import org.jspecify.annotations.Nullable;

/**
 * One call of {@code gather}, {@code gatherSettled} or {@code gatherForAgent}.
 *
 * <p>Workers claim the next task index from a shared counter and run task after task. With a
 * plain bound, {@code min(bound, tasks)} workers run and each keeps its slot for the whole
 * call. With a shared bound (a caller's {@link Semaphore} or an agent's quota) each task holds
 * one permit: a worker returns its permit after each task and goes on only if it can take one
 * again at once; the caller takes further permits (blocking) and starts a worker for each, so
 * the number of workers never exceeds the permits this call holds. A task index is always
 * claimed before its permit is taken; a worker that claimed one and finds no permit hands the
 * index back to the caller.
 */
final class GatherRun<T> extends StructuredRun {

	/** How often a caller blocked on a shared semaphore looks whether the run has failed. */
	private static final long SEMAPHORE_POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(20);

	private final Object[] tasks;

	private final Object[] results;

	private final boolean settled;

	private final int maxConcurrency;

	private final @Nullable Semaphore semaphore;

	private final @Nullable PolicyEngine engine;

	private final @Nullable String agentId;

	/** The next task index to claim; may run past the end by at most one per worker. */
	private final AtomicInteger next = new AtomicInteger();

	/** Tasks claimed by a worker that then found no permit free, for the caller to run. */
	private final Queue<Integer> handedBack = new ConcurrentLinkedQueue<>();

	private GatherRun(Executor executor, Object[] tasks, boolean settled, int maxConcurrency,
			@Nullable Semaphore semaphore, @Nullable PolicyEngine engine, @Nullable String agentId) {
		super(executor);
		this.tasks = tasks;
		this.results = new Object[tasks.length];
		this.settled = settled;
		this.maxConcurrency = maxConcurrency;
		this.semaphore = semaphore;
		this.engine = engine;
		this.agentId = agentId;
	}

	static <T> GatherRun<T> bounded(Executor executor, Object[] tasks, boolean settled, int maxConcurrency) {
		return new GatherRun<>(executor, tasks, settled, maxConcurrency, null, null, null);
	}

	static <T> GatherRun<T> withSemaphore(Executor executor, Object[] tasks, boolean settled, Semaphore semaphore) {
		return new GatherRun<>(executor, tasks, settled, 0, semaphore, null, null);
	}

	static <T> GatherRun<T> forAgent(Executor executor, Object[] tasks, PolicyEngine engine, String agentId) {
		return new GatherRun<>(executor, tasks, false, 0, null, engine, agentId);
	}

	/**
	 * Run every task and return the results (or outcomes, when settled) in input order.
	 * @param <R> the element type of the result
	 * @return the results
	 */
	@SuppressWarnings("unchecked")
	<R> List<R> run() {
		if (this.semaphore == null && this.engine == null) {
			int workers = Math.min(this.maxConcurrency, this.tasks.length);
			for (int i = 0; i < workers && !stopped(); i++) {
				spawn(new GatherWorker(null, -1));
			}
		}
		else {
			dispatchWithSharedPermits();
		}
		awaitWorkers();
		throwIfFailed();
		return (List<R>) Collections.unmodifiableList(Arrays.asList(this.results));
	}

	/**
	 * Take permits on the calling thread and start a worker for each while tasks remain. An
	 * index is claimed before its permit is taken, so that every permit taken runs a task (the
	 * agent's {@code acquired} count equals the number of tasks run).
	 */
	private void dispatchWithSharedPermits() {
		while (!stopped()) {
			int index = claim();
			if (index < 0) {
				// Every index is claimed, but a worker that cannot take a permit for the index it
				// claimed hands it back: wait until the workers are gone or one handed back.
				int live = this.live.get();
				if (live == 0 && this.handedBack.isEmpty()) {
					return;
				}
				awaitAnyExit(live);
				continue;
			}
			Object permit;
			try {
				permit = acquirePermit();
			}
			catch (InterruptedException ex) {
				callerInterrupted(ex);
				return;
			}
			catch (RuntimeException ex) {
				if (Thread.interrupted()) {
					// the engine reports an interrupted wait as an unchecked exception with the
					// flag set; clear it so that waiting for the workers does not spin
					callerInterrupted(ex);
				}
				else {
					// a refusal by the quota: rethrown as it is, once nothing runs any more
					stop(Failure.raw(ex), null);
				}
				return;
			}
			if (permit == null) {
				return;
			}
			if (stopped()) {
				releasePermit(permit);
				return;
			}
			spawn(new GatherWorker(permit, index));
		}
	}

	/**
	 * Claim the next task to run: one handed back by a worker, else the next in input order.
	 * @return its index, or {@code -1} when every task has been claimed
	 */
	private int claim() {
		if (!this.handedBack.isEmpty()) {
			Integer index = this.handedBack.poll();
			if (index != null) {
				return index;
			}
		}
		if (this.next.get() >= this.tasks.length) {
			return -1;
		}
		int index = this.next.getAndIncrement();
		return (index < this.tasks.length) ? index : -1;
	}

	/**
	 * Take one permit on the calling thread, waiting as long as needed.
	 * @return the permit, or {@code null} when the run stopped while waiting
	 * @throws InterruptedException when the caller is interrupted
	 */
	private @Nullable Object acquirePermit() throws InterruptedException {
		Semaphore semaphore = this.semaphore;
		if (semaphore != null) {
			// Polls only when the semaphore is held elsewhere: a failed task of this call
			// releases its own permit, which wakes this wait at once.
			while (!semaphore.tryAcquire(SEMAPHORE_POLL_NANOS, TimeUnit.NANOSECONDS)) {
				if (stopped()) {
					return null;
				}
			}
			return semaphore;
		}
		PolicyEngine engine = this.engine;
		String agentId = this.agentId;
		while (!stopped()) {
			int live = this.live.get();
			if (live == 0) {
				// Nothing of this call runs, so no permit of ours will come back: be admitted as
				// any caller of the agent is (rate budget included), waiting up to the quota's
				// maxWait, or be refused.
				return engine.admit(agentId, null, null);
			}
			// A permit free now, through the full admission; none free is not a refusal here,
			// since our own tasks hold them and we wait for those below.
			Optional<Permit> permit = engine.tryAdmit(agentId, null);
			if (permit.isPresent()) {
				return permit.get();
			}
			// Our own tasks hold permits: wait until one of our workers gives its permit up (it
			// could not take it back), then try again.
			awaitAnyExit(live);
		}
		return null;
	}

	/**
	 * Take one more permit without waiting, on a worker between two tasks.
	 * @param worker the worker asking, which stops the run when the quota refuses it
	 * @return the permit, or {@code null} when none is free now or the run stopped
	 */
	private @Nullable Object tryAcquirePermit(Worker worker) {
		Semaphore semaphore = this.semaphore;
		if (semaphore != null) {
			try {
				// the timed form with zero honours the semaphore's fairness, tryAcquire() barges
				return semaphore.tryAcquire(0, TimeUnit.NANOSECONDS) ? semaphore : null;
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				return null;
			}
		}
		try {
			return this.engine.tryAdmit(this.agentId, null).orElse(null);
		}
		catch (RuntimeException ex) {
			// Refused (a spent budget, say), and the engine has already counted that refusal
			// and told the listeners. Handing the task back would make the caller ask again and
			// be counted a second time for the same task, so the refusal stops the run here and
			// the caller rethrows it as it is.
			stop(Failure.raw(ex), worker);
			return null;
		}
	}

	private void releasePermit(Object permit) {
		if (permit instanceof Semaphore semaphore) {
			semaphore.release();
		}
		else {
			((Permit) permit).close();
		}
	}

	@SuppressWarnings("unchecked")
	private void runTask(int index, Worker worker) {
		Callable<? extends T> task = (Callable<? extends T>) this.tasks[index];
		try {
			T value = task.call();
			this.results[index] = this.settled ? new Outcome.Success<>(value) : value;
		}
		catch (Throwable ex) {
			if (this.settled) {
				this.results[index] = new Outcome.Failure<T>(ex);
			}
			else {
				stop(Failure.task(index, ex), worker);
			}
		}
	}

	/**
	 * Runs tasks until none is left, the run stopped, or (with shared permits) no permit is free.
	 */
	private final class GatherWorker extends Worker {

		/** The permit held, {@code null} for a plain bound (the slot is the worker itself). */
		private @Nullable Object permit;

		/** The task claimed by the caller for this worker's permit, or {@code -1}. */
		private final int firstIndex;

		GatherWorker(@Nullable Object permit, int firstIndex) {
			super(GatherRun.this);
			this.permit = permit;
			this.firstIndex = firstIndex;
		}

		@Override
		void discard() {
			if (this.permit != null) {
				releasePermit(this.permit);
				this.permit = null;
			}
		}

		@Override
		void work() {
			try {
				if (this.permit == null) {
					runWithOwnSlot();
				}
				else {
					runWithSharedPermits();
				}
			}
			finally {
				discard();
			}
		}

		private void runWithOwnSlot() {
			int size = GatherRun.this.tasks.length;
			while (!stopped()) {
				int index = GatherRun.this.next.getAndIncrement();
				if (index >= size) {
					return;
				}
				runTask(index, this);
			}
		}

		private void runWithSharedPermits() {
			int index = this.firstIndex;
			while (!stopped()) {
				runTask(index, this);
				// One permit per task: give it back so that waiters of the shared bound get
				// their turn, and go on only if one is free at once.
				Object permit = this.permit;
				this.permit = null;
				releasePermit(permit);
				if (stopped()) {
					return;
				}
				index = claim();
				if (index < 0) {
					return;
				}
				this.permit = tryAcquirePermit(this);
				if (this.permit == null) {
					if (stopped()) {
						// refused: the run fails with that refusal, the task never runs
						return;
					}
					// the caller takes it over (and waits for a permit)
					GatherRun.this.handedBack.add(index);
					return;
				}
			}
		}

	}

}
