package io.agentcontrolplane.springai;

import java.time.Duration;
import java.time.Instant;

import org.jspecify.annotations.Nullable;

/**
 * The last rate-limit figures a model provider reported for one agent and model. A figure the
 * provider did not report is {@code null}.
 *
 * @param agentId the agent
 * @param model the model
 * @param requestsLimit the provider's request limit
 * @param requestsRemaining the requests left until {@code requestsResetAt}
 * @param requestsResetAt when the request limit resets, on the integration's clock
 * @param tokensLimit the provider's token limit
 * @param tokensRemaining the tokens left until {@code tokensResetAt}
 * @param tokensResetAt when the token limit resets, on the integration's clock
 * @param observedAt when the figures arrived
 */
public record ProviderRateLimit(String agentId, String model, @Nullable Long requestsLimit,
		@Nullable Long requestsRemaining, @Nullable Instant requestsResetAt, @Nullable Long tokensLimit,
		@Nullable Long tokensRemaining, @Nullable Instant tokensResetAt, Instant observedAt) {

	/**
	 * How long until the provider accepts requests again when the requests or tokens left have
	 * reached zero and their reset lies after {@code now}.
	 * @param now the current instant
	 * @return the time until the later of the exhausted limits resets, or {@link Duration#ZERO}
	 * when none is exhausted
	 */
	public Duration exhaustedFor(Instant now) {
		Duration wait = Duration.ZERO;
		if (this.requestsRemaining != null && this.requestsRemaining <= 0 && this.requestsResetAt != null
				&& this.requestsResetAt.isAfter(now)) {
			wait = Duration.between(now, this.requestsResetAt);
		}
		if (this.tokensRemaining != null && this.tokensRemaining <= 0 && this.tokensResetAt != null
				&& this.tokensResetAt.isAfter(now)) {
			Duration tokens = Duration.between(now, this.tokensResetAt);
			if (tokens.compareTo(wait) > 0) {
				wait = tokens;
			}
		}
		return wait;
	}

}
