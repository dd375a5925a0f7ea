package io.agentcontrolplane.sample;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;

import io.agentcontrolplane.annotation.BoundedExecution;
import io.agentcontrolplane.concurrent.BoundedExecutor;

import org.springframework.stereotype.Service;

/**
 * What the sample's agents do: think (one model call under the agent's quota) and fan out tool
 * calls (bounded by the {@code tool-runner} quota).
 */
@Service
public class AgentService {

	/** The agent whose quota bounds every tool fan-out. */
	public static final String TOOL_RUNNER = "tool-runner";

	private final LanguageModel model;

	private final BoundedExecutor executor;

	/**
	 * Create the service.
	 * @param model the model agents call
	 * @param executor the bounded executor for tool fan-out
	 */
	public AgentService(LanguageModel model, BoundedExecutor executor) {
		this.model = model;
		this.executor = executor;
	}

	/**
	 * Let an agent think about a prompt: one model call, holding one of the agent's permits.
	 * @param agent the agent id (the SpEL template takes it from the argument)
	 * @param prompt the prompt
	 * @return the thought
	 */
	@BoundedExecution(agent = "#{#agent}")
	public Thought think(String agent, String prompt) {
		long start = System.nanoTime();
		String answer = this.model.complete(agent, prompt);
		return new Thought(agent, prompt, answer, (System.nanoTime() - start) / 1_000_000);
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
	 * @param latencyMillis how long the model call took
	 */
	public record Thought(String agent, String prompt, String answer, long latencyMillis) {

	}

}
