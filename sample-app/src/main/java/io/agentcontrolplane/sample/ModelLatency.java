package io.agentcontrolplane.sample;

import java.time.Duration;

/**
 * How the {@link SimulatedChatModel} spends a model request's latency. The sample sleeps, as a
 * hosted model's network round trip takes that long; tests hold requests instead.
 */
@FunctionalInterface
public interface ModelLatency {

	/**
	 * Spend the latency of one model request.
	 * @param latency the latency the model drew for this request
	 * @throws InterruptedException if the thread is interrupted while waiting
	 */
	void await(Duration latency) throws InterruptedException;

	/**
	 * The latency of a hosted model: sleeps for it.
	 * @return a latency that sleeps
	 */
	static ModelLatency sleeping() {
		return (latency) -> Thread.sleep(latency.toMillis());
	}

}
