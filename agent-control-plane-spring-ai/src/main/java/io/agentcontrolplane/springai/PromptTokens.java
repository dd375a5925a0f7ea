package io.agentcontrolplane.springai;

import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.content.MediaContent;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import org.springframework.ai.tokenizer.TokenCountEstimator;
import org.springframework.ai.tool.ToolCallback;

/**
 * The input tokens of a model request as Spring AI's {@link TokenCountEstimator} counts them:
 * the text (and media) of every message, the tool calls the model made and the tool results in
 * the conversation, and the definitions of the tools offered to the model. An estimate: a
 * provider adds a few tokens per message and per tool of its own, which the settlement from the
 * response's usage corrects.
 */
final class PromptTokens {

	private PromptTokens() {
	}

	static long estimate(TokenCountEstimator estimator, Prompt prompt) {
		long tokens = 0;
		for (Message message : prompt.getInstructions()) {
			tokens += (message instanceof MediaContent content) ? estimator.estimate(content) : text(estimator,
					message.getText());
			if (message instanceof AssistantMessage assistant && assistant.hasToolCalls()) {
				for (AssistantMessage.ToolCall call : assistant.getToolCalls()) {
					tokens += text(estimator, call.name()) + text(estimator, call.arguments());
				}
			}
			if (message instanceof ToolResponseMessage results) {
				for (ToolResponseMessage.ToolResponse result : results.getResponses()) {
					tokens += text(estimator, result.name()) + text(estimator, result.responseData());
				}
			}
		}
		if (prompt.getOptions() instanceof ToolCallingChatOptions options) {
			List<ToolCallback> tools = options.getToolCallbacks();
			if (tools != null) {
				for (ToolCallback tool : tools) {
					var definition = tool.getToolDefinition();
					tokens += text(estimator, definition.name()) + text(estimator, definition.description())
							+ text(estimator, definition.inputSchema());
				}
			}
		}
		return tokens;
	}

	private static long text(TokenCountEstimator estimator, @Nullable String text) {
		return (text == null || text.isEmpty()) ? 0 : estimator.estimate(text);
	}

}
