package io.agentcontrolplane.quota;

import java.util.Objects;
import java.util.Optional;

import org.jspecify.annotations.Nullable;

/**
 * What one call spends, or is expected to spend: requests, input tokens, output tokens and,
 * when known, the model (which prices the call for {@link BudgetUnit#COST} budgets). Immutable.
 * <p>
 * Before a call an estimate is reserved ({@link #estimate(long, long)}: the prompt's tokens and
 * the most the model may answer); after it, the real usage ({@link #of(String, long, long)}) is
 * settled, and the difference is refunded or charged.
 */
public final class Usage {

	private final @Nullable String model;

	private final long requests;

	private final long inputTokens;

	private final long outputTokens;

	private Usage(@Nullable String model, long requests, long inputTokens, long outputTokens) {
		this.model = model;
		this.requests = requests;
		this.inputTokens = inputTokens;
		this.outputTokens = outputTokens;
	}

	/**
	 * The estimate of one call whose model is not named: its cost is estimated at the highest
	 * prices of the {@link Pricing}, so that the estimate never falls short.
	 * @param inputTokens the tokens of the prompt, {@code >= 0}
	 * @param maxOutputTokens the most tokens the model may answer, {@code >= 0}
	 * @return the estimate, counting one request
	 */
	public static Usage estimate(long inputTokens, long maxOutputTokens) {
		return create(null, 1, inputTokens, maxOutputTokens, "maxOutputTokens");
	}

	/**
	 * The estimate of one call to the given model.
	 * @param model the model, not blank
	 * @param inputTokens the tokens of the prompt, {@code >= 0}
	 * @param maxOutputTokens the most tokens the model may answer, {@code >= 0}
	 * @return the estimate, counting one request
	 */
	public static Usage estimate(String model, long inputTokens, long maxOutputTokens) {
		return create(requireModel(model), 1, inputTokens, maxOutputTokens, "maxOutputTokens");
	}

	/**
	 * The real usage of one call to the given model, as the provider reported it.
	 * @param model the model, not blank
	 * @param inputTokens the input tokens, {@code >= 0}
	 * @param outputTokens the output tokens, {@code >= 0}
	 * @return the usage, counting one request
	 */
	public static Usage of(String model, long inputTokens, long outputTokens) {
		return create(requireModel(model), 1, inputTokens, outputTokens, "outputTokens");
	}

	/**
	 * Requests only, no tokens: the usage of a call that is not a model call, or of a batch.
	 * @param requests the number of requests, {@code >= 0}
	 * @return the usage
	 */
	public static Usage requests(long requests) {
		return create(null, requests, 0, 0, "outputTokens");
	}

	private static Usage create(@Nullable String model, long requests, long inputTokens, long outputTokens,
			String outputName) {
		if (requests < 0) {
			throw new IllegalArgumentException("requests must be >= 0, was " + requests);
		}
		if (inputTokens < 0) {
			throw new IllegalArgumentException("inputTokens must be >= 0, was " + inputTokens);
		}
		if (outputTokens < 0) {
			throw new IllegalArgumentException(outputName + " must be >= 0, was " + outputTokens);
		}
		try {
			Math.addExact(inputTokens, outputTokens);
		}
		catch (ArithmeticException ex) {
			throw new IllegalArgumentException("inputTokens + " + outputName + " must fit in a long, was "
					+ inputTokens + " + " + outputTokens, ex);
		}
		return new Usage(model, requests, inputTokens, outputTokens);
	}

	private static String requireModel(String model) {
		if (model == null || model.isBlank()) {
			throw new IllegalArgumentException(
					"model must not be null or blank, was " + ((model == null) ? "null" : "'" + model + "'"));
		}
		return model;
	}

	/**
	 * The same usage for the given model.
	 * @param model the model, not blank
	 * @return a usage with the model set
	 */
	public Usage withModel(String model) {
		return new Usage(requireModel(model), this.requests, this.inputTokens, this.outputTokens);
	}

	/**
	 * The same usage counting the given number of requests.
	 * @param requests the number of requests, {@code >= 0}
	 * @return a usage with the request count set
	 */
	public Usage withRequests(long requests) {
		return create(this.model, requests, this.inputTokens, this.outputTokens, "outputTokens");
	}

	/**
	 * The model that served or will serve the call.
	 * @return the model, empty when not named
	 */
	public Optional<String> model() {
		return Optional.ofNullable(this.model);
	}

	/**
	 * The number of requests.
	 * @return {@code >= 0}
	 */
	public long requests() {
		return this.requests;
	}

	/**
	 * The input (prompt) tokens.
	 * @return {@code >= 0}
	 */
	public long inputTokens() {
		return this.inputTokens;
	}

	/**
	 * The output tokens (for an estimate, the most the model may answer).
	 * @return {@code >= 0}
	 */
	public long outputTokens() {
		return this.outputTokens;
	}

	/**
	 * Input and output tokens together.
	 * @return {@code >= 0}
	 */
	public long totalTokens() {
		return this.inputTokens + this.outputTokens;
	}

	@Override
	public boolean equals(@Nullable Object obj) {
		return (this == obj) || (obj instanceof Usage other && Objects.equals(this.model, other.model)
				&& this.requests == other.requests && this.inputTokens == other.inputTokens
				&& this.outputTokens == other.outputTokens);
	}

	@Override
	public int hashCode() {
		return Objects.hash(this.model, this.requests, this.inputTokens, this.outputTokens);
	}

	@Override
	public String toString() {
		return "Usage[model=" + ((this.model != null) ? this.model : "unnamed") + ", requests=" + this.requests
				+ ", inputTokens=" + this.inputTokens + ", outputTokens=" + this.outputTokens + "]";
	}

}
