package io.agentcontrolplane.springai;

import io.agentcontrolplane.quota.Usage;
import org.jspecify.annotations.Nullable;

/**
 * The usage the model responses of one permit reported, added up: one model request under
 * {@link PermitScope#MODEL_REQUEST}, every model request of a {@code ChatClient} call under
 * {@link PermitScope#CHAT_CLIENT_CALL}. Thread-safe (a stream reports on the thread of its last
 * chunk, the caller settles on another).
 */
final class UsageTally {

	private long requests;

	private long promptTokens;

	private long completionTokens;

	private @Nullable String model;

	/**
	 * Add what one model response reported.
	 * @param usage the response's usage; figures it did not report count as zero
	 */
	synchronized void add(ModelCallUsage usage) {
		this.requests++;
		this.promptTokens += (usage.promptTokens() != null) ? Math.max(0, usage.promptTokens()) : 0;
		this.completionTokens += (usage.completionTokens() != null) ? Math.max(0, usage.completionTokens()) : 0;
		if (usage.model() != null) {
			this.model = usage.model();
		}
	}

	/**
	 * Whether any model response reported its usage.
	 * @return {@code true} when something was added
	 */
	synchronized boolean isEmpty() {
		return this.requests == 0;
	}

	/**
	 * What was reported, as the engine settles it: one request (the permit's own, whatever the
	 * number of model requests it covered) and the tokens, under the model the last response
	 * named.
	 * @param named whether to name the model (it prices the tokens); without it the tokens are
	 * priced at the highest prices of the engine's pricing
	 * @return the usage, or {@code null} when nothing was reported
	 */
	synchronized @Nullable Usage usage(boolean named) {
		if (this.requests == 0) {
			return null;
		}
		// Usage.estimate is the one factory without a model; it counts one request like Usage.of.
		return (named && this.model != null) ? Usage.of(this.model, this.promptTokens, this.completionTokens)
				: Usage.estimate(this.promptTokens, this.completionTokens);
	}

}
