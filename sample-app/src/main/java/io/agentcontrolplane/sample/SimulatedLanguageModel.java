package io.agentcontrolplane.sample;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.stereotype.Component;

/**
 * A {@link LanguageModel} that answers after a random latency between
 * {@code sample.model.min-latency} and {@code sample.model.max-latency}, the way a hosted model
 * call takes a few hundred milliseconds to a few seconds.
 */
@Component
public class SimulatedLanguageModel implements LanguageModel {

	private final Latency latency;

	/**
	 * Create a model with the given latency range.
	 * @param latency the latency range
	 */
	public SimulatedLanguageModel(Latency latency) {
		this.latency = latency;
	}

	@Override
	public String complete(String agent, String prompt) {
		long min = this.latency.minLatency().toMillis();
		long max = Math.max(min, this.latency.maxLatency().toMillis());
		long millis = ThreadLocalRandom.current().nextLong(min, max + 1);
		try {
			// The sleep stands in for the network round trip of a model call.
			Thread.sleep(millis);
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while " + agent + " was thinking", ex);
		}
		return agent + " thought about '" + prompt + "' for " + millis + " ms";
	}

	/**
	 * The latency range of the simulated model.
	 *
	 * @param minLatency the shortest call
	 * @param maxLatency the longest call
	 */
	@ConfigurationProperties("sample.model")
	public record Latency(Duration minLatency, Duration maxLatency) {

	}

}
