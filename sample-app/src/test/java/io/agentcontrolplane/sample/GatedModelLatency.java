package io.agentcontrolplane.sample;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * A {@link ModelLatency} that tests can hold: while closed, every model request blocks (holding
 * its agent's permit) until the gate opens, so a test knows exactly how many requests are in
 * flight. Open, the simulated model answers at once.
 */
class GatedModelLatency implements ModelLatency {

	private volatile CountDownLatch gate = new CountDownLatch(0);

	private final Semaphore entered = new Semaphore(0);

	/**
	 * Hold every call from now on until {@link #open()}.
	 */
	void close() {
		this.entered.drainPermits();
		this.gate = new CountDownLatch(1);
	}

	/**
	 * Let every held call, and every later one, finish.
	 */
	void open() {
		this.gate.countDown();
	}

	/**
	 * Wait until the given number of model requests reached the model since {@link #close()}.
	 * @param calls how many
	 * @param timeout how long to wait at most
	 * @return whether they did
	 */
	boolean awaitEntered(int calls, Duration timeout) throws InterruptedException {
		return this.entered.tryAcquire(calls, timeout.toMillis(), TimeUnit.MILLISECONDS);
	}

	@Override
	public void await(Duration latency) throws InterruptedException {
		CountDownLatch current = this.gate;
		this.entered.release();
		if (!current.await(60, TimeUnit.SECONDS)) {
			throw new IllegalStateException("The test never opened the gate");
		}
	}

}
