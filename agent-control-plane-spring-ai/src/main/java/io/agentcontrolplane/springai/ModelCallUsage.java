package io.agentcontrolplane.springai;

import org.jspecify.annotations.Nullable;

/**
 * The usage one model response reported, as seen by the {@link AgentQuotaAdvisor}.
 *
 * @param agentId the agent the request ran for
 * @param model the model that answered, as the response names it (or the request, when the
 * response does not), or {@code null} when neither names one
 * @param promptTokens the prompt (input) tokens, or {@code null} when not reported
 * @param completionTokens the completion (output) tokens, or {@code null} when not reported
 * @param streamed whether the response was streamed
 */
public record ModelCallUsage(String agentId, @Nullable String model, @Nullable Integer promptTokens,
		@Nullable Integer completionTokens, boolean streamed) {

	/**
	 * The total tokens, counting a missing figure as zero.
	 * @return prompt plus completion tokens
	 */
	public int totalTokens() {
		return ((this.promptTokens != null) ? this.promptTokens : 0)
				+ ((this.completionTokens != null) ? this.completionTokens : 0);
	}

}
