package io.agentcontrolplane.springai;

import org.jspecify.annotations.Nullable;
import org.springframework.ai.chat.client.ChatClientRequest;

/**
 * Finds the agent a {@code ChatClient} request runs for when the request carries no
 * {@link AgentQuotaAdvisor#AGENT_ID} parameter, for example the tenant of the current security
 * context.
 */
@FunctionalInterface
public interface AgentIdResolver {

	/**
	 * The agent the request runs for.
	 * @param request the request as it enters the advisor chain
	 * @return the agent id, or {@code null} to fall back to the advisor's default agent
	 */
	@Nullable String resolve(ChatClientRequest request);

}
