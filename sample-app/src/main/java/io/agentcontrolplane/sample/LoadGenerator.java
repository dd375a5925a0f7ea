package io.agentcontrolplane.sample;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaExceededException;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.http.HttpStatus;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.ResponseStatus;
import org.springframework.web.bind.annotation.RestController;

/**
 * Makes the dashboard come alive: {@code POST /load} fires a burst of think calls and drafts at
 * every agent from the server side (a browser opens only a handful of connections per host, too
 * few to fill the quotas) and a tool fan-out, and answers at once. The drafts spend the agents'
 * token and cost budgets.
 */
@RestController
public class LoadGenerator implements DisposableBean {

	private static final int MAX_BURST = 400;

	private final AgentService agents;

	private final AgentDrafts drafts;

	private final PolicyEngine engine;

	// Bounds the calls this generator has in flight, so repeated clicks cannot pile up threads.
	private final Semaphore inFlight = new Semaphore(MAX_BURST);

	private final ExecutorService threads = Executors.newCachedThreadPool((runnable) -> {
		Thread thread = new Thread(runnable, "load-generator");
		thread.setDaemon(true);
		return thread;
	});

	/**
	 * Create the load generator.
	 * @param agents the agents
	 * @param drafts the agents' drafts
	 * @param engine the quota engine, for the list of agents
	 */
	public LoadGenerator(AgentService agents, AgentDrafts drafts, PolicyEngine engine) {
		this.agents = agents;
		this.drafts = drafts;
		this.engine = engine;
	}

	/**
	 * Fire a burst of think calls and half as many drafts at every agent but the tool runner,
	 * plus one tool fan-out.
	 * @param calls think calls per agent (1 to 50)
	 * @param tools tool calls in the fan-out (0 to 200)
	 * @return how many calls were started, by agent
	 */
	@PostMapping("/load")
	@ResponseStatus(HttpStatus.ACCEPTED)
	public Map<String, Integer> burst(@RequestParam(defaultValue = "8") int calls,
			@RequestParam(defaultValue = "30") int tools) {
		int perAgent = Math.max(1, Math.min(calls, 50));
		Map<String, Integer> started = new LinkedHashMap<>();
		for (String agent : this.engine.snapshots().keySet()) {
			if (!AgentService.TOOL_RUNNER.equals(agent)) {
				int thinks = start(perAgent, () -> this.agents.think(agent, "load"));
				int drafts = start(Math.max(1, perAgent / 2), () -> this.drafts.write(agent, "load"));
				started.put(agent, thinks + drafts);
			}
		}
		if (tools > 0) {
			int toolCalls = Math.min(tools, 200);
			started.put(AgentService.TOOL_RUNNER, start(1, () -> this.agents.runTools("load", toolCalls)));
		}
		return started;
	}

	private int start(int count, Runnable call) {
		AtomicInteger started = new AtomicInteger();
		for (int i = 0; i < count && this.inFlight.tryAcquire(); i++) {
			started.incrementAndGet();
			this.threads.execute(() -> {
				try {
					// Spread the burst over a moment, as real traffic arrives.
					Thread.sleep(ThreadLocalRandom.current().nextLong(0, 300));
					call.run();
				}
				catch (QuotaExceededException ex) {
					// Refused by the quota: that is what the dashboard shows.
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
				finally {
					this.inFlight.release();
				}
			});
		}
		return started.get();
	}

	@Override
	public void destroy() {
		this.threads.shutdownNow();
	}

}
