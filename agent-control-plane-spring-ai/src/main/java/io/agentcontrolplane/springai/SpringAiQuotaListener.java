package io.agentcontrolplane.springai;

import io.agentcontrolplane.quota.QuotaExceededException;

/**
 * Hears what the Spring AI integration sees: the usage of each model response and each tool
 * call let through or refused. Every method has an empty default; implementations must be
 * thread-safe and quick, as they run on the calling (or streaming) thread. A listener that
 * throws is logged and ignored.
 */
public interface SpringAiQuotaListener {

	/**
	 * A model response arrived (for a stream: the stream completed) with its usage.
	 * @param usage the usage and model name
	 */
	default void onModelResponse(ModelCallUsage usage) {
	}

	/**
	 * A tool call passed the quota and is about to run.
	 * @param agentId the agent
	 * @param toolName the tool's name
	 * @param actionName the tool's action name, for example {@code tool:search}
	 */
	default void onToolCallAllowed(String agentId, String toolName, String actionName) {
	}

	/**
	 * A tool call was refused; it did not run.
	 * @param agentId the agent
	 * @param toolName the tool's name
	 * @param actionName the tool's action name
	 * @param refusal why it was refused
	 */
	default void onToolCallRefused(String agentId, String toolName, String actionName,
			QuotaExceededException refusal) {
	}

}
