package io.agentcontrolplane.springai;

import org.springframework.ai.chat.prompt.ChatOptions;

/**
 * Changes the options of each model request the {@link AgentQuotaAdvisor} lets through, knowing
 * the agent it runs for: for example to tag the HTTP request with the agent so that a model
 * client's interceptor can attribute the provider's rate-limit headers to it.
 */
@FunctionalInterface
public interface ModelRequestCustomizer {

	/**
	 * The options to send the model request with.
	 * @param options the request's options
	 * @param agentId the agent the request runs for
	 * @return the options to use, or {@code options} itself
	 */
	ChatOptions customize(ChatOptions options, String agentId);

}
