package io.agentcontrolplane.sample;

import java.util.List;
import java.util.Map;

import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.sample.AgentService.Thought;
import org.jspecify.annotations.Nullable;

import reactor.core.publisher.Flux;

import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;

/**
 * The sample's REST API. A call refused by an agent's quota answers {@code 429 Too Many
 * Requests} through the starter's error mapping. The agents run on Spring AI
 * {@code ChatClient}s (see {@link AgentService}).
 */
@RestController
@RequestMapping("/agents/{agent}")
public class AgentController {

	private final AgentService agents;

	private final AgentDrafts drafts;

	private final PolicyEngine engine;

	/**
	 * Create the controller.
	 * @param agents the agents
	 * @param drafts the agents' drafts, straight model calls under their budgets
	 * @param engine the quota engine, to tell unknown agents apart
	 */
	public AgentController(AgentService agents, AgentDrafts drafts, PolicyEngine engine) {
		this.agents = agents;
		this.drafts = drafts;
		this.engine = engine;
	}

	/**
	 * Let an agent think.
	 * @param agent the agent id
	 * @param request the prompt, optional
	 * @return the thought
	 */
	@PostMapping("/think")
	public Thought think(@PathVariable String agent, @RequestBody(required = false) @Nullable ThinkRequest request) {
		requireKnown(agent);
		String prompt = (request != null && request.prompt() != null) ? request.prompt() : "what to do next";
		return this.agents.think(agent, prompt);
	}

	/**
	 * Let an agent write a draft: one model call that spends the agent's token and cost budgets
	 * (a refusal by an exhausted budget answers {@code 429} with {@code Retry-After}).
	 * @param agent the agent id
	 * @param request the topic, optional
	 * @return the draft and what it spent
	 */
	@PostMapping("/draft")
	public AgentDrafts.Draft draft(@PathVariable String agent,
			@RequestBody(required = false) @Nullable ThinkRequest request) {
		requireKnown(agent);
		String topic = (request != null && request.prompt() != null) ? request.prompt() : "the plan for this week";
		return this.drafts.write(agent, topic);
	}

	/**
	 * Let an agent think and stream the answer as server-sent events, a few words an event.
	 * The agent's permit is returned when the stream ends or the client goes away.
	 * @param agent the agent id
	 * @param prompt the prompt
	 * @return the answer's chunks
	 */
	@GetMapping(path = "/think/stream", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
	public Flux<String> thinkStreaming(@PathVariable String agent,
			@RequestParam(defaultValue = "what to do next") String prompt) {
		requireKnown(agent);
		return this.agents.thinkStreaming(agent, prompt);
	}

	/**
	 * Fan out tool calls for an agent through the bounded executor.
	 * @param agent the agent id
	 * @param calls how many tool calls (1 to 500)
	 * @return the results
	 */
	@PostMapping("/tools")
	public ResponseEntity<Map<String, Object>> tools(@PathVariable String agent,
			@RequestParam(defaultValue = "20") int calls) {
		requireKnown(agent);
		if (calls < 1 || calls > 500) {
			throw new ResponseStatusException(HttpStatus.BAD_REQUEST, "calls must be between 1 and 500, was " + calls);
		}
		List<String> results = this.agents.runTools(agent, calls);
		return ResponseEntity.ok(Map.of("agent", agent, "calls", calls, "results", results));
	}

	private void requireKnown(String agent) {
		if (this.engine.getQuota(agent).isEmpty()) {
			throw new ResponseStatusException(HttpStatus.NOT_FOUND, "No agent '" + agent + "'");
		}
	}

	/**
	 * What to think about.
	 *
	 * @param prompt the prompt
	 */
	public record ThinkRequest(@Nullable String prompt) {

	}

}
