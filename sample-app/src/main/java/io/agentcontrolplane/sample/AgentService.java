package io.agentcontrolplane.sample;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;

import io.agentcontrolplane.concurrent.BoundedExecutor;
import io.agentcontrolplane.springai.AgentQuotaAdvisor;
import reactor.core.publisher.Flux;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import org.springframework.stereotype.Service;

/**
 * What the sample's agents do: think (a Spring AI {@link ChatClient} call, one tool round trip
 * under the agent's quota) and fan out tool calls (bounded by the {@code tool-runner} quota).
 *
 * <p>Each agent has its own {@code ChatClient}, built with the {@link AgentQuotaAdvisor} and the
 * agent as its default agent id; every model request of the client takes one of the agent's
 * permits and every tool call is governed. The critic is given the {@code send-email} tool,
 * which it is not allowed: its tool calls are refused and counted, and the model is told.
 */
@Service
public class AgentService {

	/** The agent whose quota bounds every tool fan-out. */
	public static final String TOOL_RUNNER = "tool-runner";

	/** The agent whose tool ({@code send-email}) is not allowed. */
	public static final String CRITIC = "critic";

	/** The most tokens the model may answer to one request of an agent's {@code ChatClient}. */
	public static final int MAX_OUTPUT_TOKENS = 200;

	private final ChatModel model;

	private final AgentQuotaAdvisor quotas;

	private final SearchTools search;

	private final EmailTools email;

	private final BoundedExecutor executor;

	private final Map<String, ChatClient> clients = new ConcurrentHashMap<>();

	/**
	 * Create the service.
	 * @param model the model agents call
	 * @param quotas the advisor that puts model and tool calls under the agents' quotas
	 * @param search the {@code search} tool
	 * @param email the {@code send-email} tool
	 * @param executor the bounded executor for tool fan-out
	 */
	public AgentService(ChatModel model, AgentQuotaAdvisor quotas, SearchTools search, EmailTools email,
			BoundedExecutor executor) {
		this.model = model;
		this.quotas = quotas;
		this.search = search;
		this.email = email;
		this.executor = executor;
	}

	/**
	 * Let an agent think about a prompt: one {@code ChatClient} call, which makes two model
	 * requests (each holding one of the agent's permits) and one governed tool call between them.
	 * @param agent the agent id
	 * @param prompt the prompt
	 * @return the thought
	 */
	public Thought think(String agent, String prompt) {
		long start = System.nanoTime();
		ChatResponse response = client(agent).prompt(prompt).call().chatResponse();
		String answer = (response != null && response.getResult() != null) ? response.getResult().getOutput().getText()
				: null;
		String modelName = (response != null) ? response.getMetadata().getModel() : null;
		return new Thought(agent, prompt, (answer != null) ? answer : "", (modelName != null) ? modelName : "",
				(System.nanoTime() - start) / 1_000_000);
	}

	/**
	 * Let an agent think about a prompt and stream the answer as it comes. The permit of each
	 * model request is held until its stream completes, fails or is cancelled.
	 * @param agent the agent id
	 * @param prompt the prompt
	 * @return the answer's chunks
	 */
	public Flux<String> thinkStreaming(String agent, String prompt) {
		return client(agent).prompt(prompt).stream().content();
	}

	/**
	 * Run tool calls for an agent, at most as many at once as the {@code tool-runner} quota
	 * allows; the permits show in {@code /actuator/quotas} while they run.
	 * @param agent the agent asking
	 * @param calls how many tool calls
	 * @return the results, in call order
	 */
	public List<String> runTools(String agent, int calls) {
		List<Callable<String>> tasks = new ArrayList<>(calls);
		for (int i = 0; i < calls; i++) {
			int call = i;
			tasks.add(() -> toolCall(agent, call));
		}
		return this.executor.gatherForAgent(TOOL_RUNNER, tasks);
	}

	private ChatClient client(String agent) {
		return this.clients.computeIfAbsent(agent, (id) -> ChatClient.builder(this.model)
			.defaultSystem("You are the " + id + " agent. Use your tool once, then answer.")
			// A bound on each answer, which also bounds what a model request may be estimated to spend.
			.defaultOptions(ToolCallingChatOptions.builder().maxTokens(MAX_OUTPUT_TOKENS))
			.defaultAdvisors(this.quotas.withDefaultAgentId(id))
			.defaultTools(CRITIC.equals(id) ? this.email : this.search)
			.build());
	}

	private String toolCall(String agent, int call) throws InterruptedException {
		long millis = ThreadLocalRandom.current().nextLong(100, 401);
		// The sleep stands in for a tool's I/O (a search, a file read, an HTTP call).
		Thread.sleep(millis);
		return agent + " tool call #" + call + " took " + millis + " ms";
	}

	/**
	 * One thought of an agent.
	 *
	 * @param agent the agent
	 * @param prompt the prompt
	 * @param answer what the model answered
	 * @param model the model that answered
	 * @param latencyMillis how long the {@code ChatClient} call took
	 */
	public record Thought(String agent, String prompt, String answer, String model, long latencyMillis) {

	}

}
