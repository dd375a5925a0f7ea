package io.agentcontrolplane.sample;

import java.util.List;

import io.agentcontrolplane.annotation.BoundedExecution;

import org.springframework.ai.chat.messages.SystemMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.metadata.Usage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.stereotype.Service;

/**
 * An agent writes a draft: one model call made straight on the {@link ChatModel}, the way code
 * calls a model through any SDK, budgeted by {@code @BoundedExecution}. Before the call the
 * estimate (the prompt's tokens at about four characters a token, plus the most the model may
 * answer) is reserved from the agent's token, output-token, cost and request budgets; after it,
 * the usage the model reported is settled, so the budgets end at what the call really spent.
 */
@Service
public class AgentDrafts {

	/** The most tokens a draft may have: the request's {@code maxTokens}. */
	public static final int MAX_OUTPUT_TOKENS = 200;

	// What the agent writes from: a prompt of a few hundred tokens, as a real draft has.
	private static final String CONTEXT = String.join("\n",
			"Notes from the week: the team ships weekly and reviews the budget on Friday.",
			"Customers asked for exports to CSV, a faster search over old tickets, and fewer emails.",
			"Two incidents last month came from retries without limits against a paid API.",
			"The new model costs four times more per output token than the old one.",
			"Support wants a summary of each escalated ticket before the morning stand-up.",
			"Sales asks for a weekly digest of the accounts that used the product less.",
			"Security reviews every tool that can send email or change a customer record.",
			"The research agent reads about forty pages a day; the coder agent opens ten pull requests.",
			"Open questions: who owns the prompt library, and how long drafts are kept.",
			"Decisions: budgets per agent, a warning at 80 percent, and a daily report of spending.");

	private final ChatModel model;

	/**
	 * Create the drafts service.
	 * @param model the model
	 */
	public AgentDrafts(ChatModel model) {
		this.model = model;
	}

	/**
	 * Let an agent write a draft about a topic, under its quota and budgets.
	 * @param agent the agent id
	 * @param topic what to write about
	 * @return the draft and what it spent
	 */
	@BoundedExecution(agent = "#{#agent}", estimate = "@agentDrafts.estimate(#agent, #topic)",
			usage = "T(io.agentcontrolplane.quota.Usage).of(#result.model(), #result.inputTokens(), #result.outputTokens())")
	public Draft write(String agent, String topic) {
		ChatResponse response = this.model.call(prompt(agent, topic));
		Usage usage = response.getMetadata().getUsage();
		String text = response.getResult().getOutput().getText();
		return new Draft(agent, (text != null) ? text : "", response.getMetadata().getModel(),
				usage.getPromptTokens(), usage.getCompletionTokens());
	}

	/**
	 * What a draft is expected to spend, reserved before the call: the prompt's tokens, counted
	 * the way the simulated model counts them (a real application would use its provider's
	 * tokenizer, or Spring AI's {@code JTokkitTokenCountEstimator}), and the most the model may
	 * answer.
	 * @param agent the agent id
	 * @param topic what to write about
	 * @return the estimate
	 */
	public io.agentcontrolplane.quota.Usage estimate(String agent, String topic) {
		long characters = 0;
		for (var message : prompt(agent, topic).getInstructions()) {
			characters += (message.getText() != null) ? message.getText().length() : 0;
		}
		return io.agentcontrolplane.quota.Usage.estimate(SimulatedChatModel.MODEL, 40 + (characters + 3) / 4,
				MAX_OUTPUT_TOKENS);
	}

	private static Prompt prompt(String agent, String topic) {
		return new Prompt(
				List.of(new SystemMessage("You are the " + agent + " agent. Write a short draft."),
						new UserMessage(topic + "\n" + CONTEXT)),
				ChatOptions.builder().model(SimulatedChatModel.MODEL).maxTokens(MAX_OUTPUT_TOKENS).build());
	}

	/**
	 * A draft and what its model call spent.
	 *
	 * @param agent the agent
	 * @param text the draft
	 * @param model the model that wrote it
	 * @param inputTokens the prompt's tokens, as the model reported them
	 * @param outputTokens the draft's tokens, as the model reported them
	 */
	public record Draft(String agent, String text, String model, long inputTokens, long outputTokens) {

	}

}
