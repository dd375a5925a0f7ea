package io.agentcontrolplane.sample;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.messages.Message;
import org.springframework.ai.chat.messages.ToolResponseMessage;
import org.springframework.ai.chat.messages.UserMessage;
import org.springframework.ai.chat.metadata.ChatGenerationMetadata;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.metadata.DefaultUsage;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import org.springframework.ai.tool.ToolCallback;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.json.JsonParserFactory;

/**
 * A Spring AI {@link ChatModel} that needs no external service, so the sample starts anywhere.
 * Each request takes a latency drawn from a seeded random between
 * {@code sample.model.min-latency} and {@code sample.model.max-latency} and reports real
 * {@link org.springframework.ai.chat.metadata.Usage} (about four characters a token) and its
 * model name in the response metadata. Every question makes one tool round trip: when the
 * request offers tools, the first response asks for the first tool, with each of the tool's
 * parameters set to the question; the second request, carrying the tool's result, is answered
 * from that result. A request without tools is answered with 40 to 160 tokens of text (at most
 * its {@code maxTokens}). {@link #stream(Prompt)} sends the answer a few words at a time, with
 * the usage in the last chunk, as hosted models do.
 */
public class SimulatedChatModel implements ChatModel {

	/** The model name the simulated model reports. */
	public static final String MODEL = "simulated-gpt";

	private static final String[] FILLER = { "First, list what is known.", "Then weigh the options.",
			"The cheapest step comes first.", "Each step is checked before the next.",
			"Risks are written down with their owners.", "The result is summarised for the team." };

	private final Settings settings;

	private final ModelLatency latency;

	private final Random random;

	private final AtomicLong requests = new AtomicLong();

	private final AtomicLong toolCallIds = new AtomicLong();

	/**
	 * Create the model.
	 * @param settings the latency range and random seed
	 * @param latency how the latency is spent
	 */
	public SimulatedChatModel(Settings settings, ModelLatency latency) {
		this.settings = settings;
		this.latency = latency;
		this.random = new Random(settings.seed());
	}

	/**
	 * How many model requests this model has answered or started answering.
	 * @return the count of requests
	 */
	public long requests() {
		return this.requests.get();
	}

	@Override
	public ChatOptions getDefaultOptions() {
		return ToolCallingChatOptions.builder().model(MODEL).build();
	}

	@Override
	public ChatOptions getOptions() {
		return getDefaultOptions();
	}

	@Override
	public ChatResponse call(Prompt prompt) {
		this.requests.incrementAndGet();
		try {
			this.latency.await(nextLatency());
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException("Interrupted while the model was answering", ex);
		}
		return answer(prompt);
	}

	@Override
	public Flux<ChatResponse> stream(Prompt prompt) {
		return Mono.fromCallable(() -> call(prompt)).subscribeOn(Schedulers.boundedElastic()).flatMapMany((full) -> {
			AssistantMessage output = full.getResult().getOutput();
			if (output.hasToolCalls() || output.getText() == null) {
				return Flux.just(full);
			}
			List<ChatResponse> chunks = new ArrayList<>();
			String[] words = output.getText().split("(?<= )");
			for (int i = 0; i < words.length; i++) {
				boolean last = i == words.length - 1;
				ChatResponseMetadata metadata = last ? full.getMetadata()
						: ChatResponseMetadata.builder().model(MODEL).build();
				chunks.add(ChatResponse.builder()
					.generations(List.of(new Generation(new AssistantMessage(words[i]),
							ChatGenerationMetadata.builder().finishReason(last ? "stop" : null).build())))
					.metadata(metadata)
					.build());
			}
			return Flux.fromIterable(chunks).delayElements(Duration.ofMillis(15));
		});
	}

	private Duration nextLatency() {
		long min = this.settings.minLatency().toMillis();
		long max = Math.max(min, this.settings.maxLatency().toMillis());
		return Duration.ofMillis(min + this.random.nextLong(max - min + 1));
	}

	private ChatResponse answer(Prompt prompt) {
		List<Message> messages = prompt.getInstructions();
		Message last = messages.isEmpty() ? null : messages.get(messages.size() - 1);
		String question = question(messages);
		int promptTokens = tokens(messages);
		if (last instanceof ToolResponseMessage toolResult) {
			StringBuilder text = new StringBuilder();
			for (ToolResponseMessage.ToolResponse response : toolResult.getResponses()) {
				String data = response.responseData();
				text.append(data.contains("tool_call_refused") ? "I was not allowed to use " + response.name()
						+ " for '" + question + "': " + data
						: "Using " + response.name() + " for '" + question + "': " + data);
			}
			return response(new AssistantMessage(text.toString()), promptTokens, "stop");
		}
		ToolCallback tool = firstTool(prompt.getOptions());
		if (tool != null) {
			String name = tool.getToolDefinition().name();
			AssistantMessage.ToolCall call = new AssistantMessage.ToolCall("call_" + this.toolCallIds.incrementAndGet(),
					"function", name, arguments(tool, question));
			return response(AssistantMessage.builder().content("").toolCalls(List.of(call)).build(), promptTokens,
					"tool_calls");
		}
		return response(new AssistantMessage(answerWithoutTools(question, prompt.getOptions())), promptTokens, "stop");
	}

	/**
	 * A request without tools is answered at some length, as a model writes a draft: between 40
	 * and 160 tokens, never more than the request's {@code maxTokens}.
	 */
	private String answerWithoutTools(String question, @Nullable ChatOptions options) {
		int tokens = 40 + this.random.nextInt(121);
		Integer maxTokens = (options != null) ? options.getMaxTokens() : null;
		if (maxTokens != null && maxTokens > 0) {
			tokens = Math.min(tokens, maxTokens);
		}
		String topic = question.lines().findFirst().orElse("");
		StringBuilder text = new StringBuilder("Thought about '").append(topic).append("'.");
		for (int i = 0; text.length() < tokens * 4; i++) {
			text.append(' ').append(FILLER[i % FILLER.length]);
		}
		return text.substring(0, Math.max(1, Math.min(text.length(), tokens * 4)));
	}

	private ChatResponse response(AssistantMessage output, int promptTokens, String finishReason) {
		String text = (output.getText() != null) ? output.getText() : "";
		int completionTokens = Math.max(1, (text.length() + 3) / 4) + 10 * output.getToolCalls().size();
		ChatResponseMetadata metadata = ChatResponseMetadata.builder()
			.model(MODEL)
			.usage(new DefaultUsage(promptTokens, completionTokens))
			.build();
		return ChatResponse.builder()
			.generations(List.of(new Generation(output, ChatGenerationMetadata.builder().finishReason(finishReason).build())))
			.metadata(metadata)
			.build();
	}

	private static @Nullable ToolCallback firstTool(@Nullable ChatOptions options) {
		if (options instanceof ToolCallingChatOptions tools && tools.getToolCallbacks() != null
				&& !tools.getToolCallbacks().isEmpty()) {
			return tools.getToolCallbacks().get(0);
		}
		return null;
	}

	private static String question(List<Message> messages) {
		for (int i = messages.size() - 1; i >= 0; i--) {
			if (messages.get(i) instanceof UserMessage user && user.getText() != null) {
				return user.getText();
			}
		}
		return "";
	}

	private static int tokens(List<Message> messages) {
		int chars = 0;
		for (Message message : messages) {
			chars += (message.getText() != null) ? message.getText().length() : 0;
			if (message instanceof ToolResponseMessage toolResult) {
				for (ToolResponseMessage.ToolResponse response : toolResult.getResponses()) {
					chars += response.responseData().length();
				}
			}
		}
		// A system prompt and the tool definitions cost tokens too.
		return 40 + (chars + 3) / 4;
	}

	private static String arguments(ToolCallback tool, String question) {
		Map<String, Object> schema = JsonParserFactory.getJsonParser().parseMap(tool.getToolDefinition().inputSchema());
		StringBuilder json = new StringBuilder("{");
		if (schema.get("properties") instanceof Map<?, ?> properties) {
			for (Object name : properties.keySet()) {
				if (json.length() > 1) {
					json.append(',');
				}
				json.append('"').append(escape(String.valueOf(name))).append("\":\"").append(escape(question)).append('"');
			}
		}
		return json.append('}').toString();
	}

	private static String escape(String text) {
		StringBuilder escaped = new StringBuilder(text.length());
		for (char c : text.toCharArray()) {
			switch (c) {
				case '"' -> escaped.append("\\\"");
				case '\\' -> escaped.append("\\\\");
				default -> {
					if (c < 0x20) {
						escaped.append(String.format("\\u%04x", (int) c));
					}
					else {
						escaped.append(c);
					}
				}
			}
		}
		return escaped.toString();
	}

	/**
	 * The simulated model's settings.
	 *
	 * @param minLatency the shortest request
	 * @param maxLatency the longest request
	 * @param seed the seed of the latency's random, so runs repeat
	 */
	@ConfigurationProperties("sample.model")
	public record Settings(Duration minLatency, Duration maxLatency, long seed) {

	}

}
