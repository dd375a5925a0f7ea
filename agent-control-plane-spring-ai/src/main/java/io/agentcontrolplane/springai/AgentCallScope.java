package io.agentcontrolplane.springai;

import java.util.concurrent.atomic.AtomicInteger;

/**
 * What the tools of one {@code ChatClient} call need to know: the agent, and how many tool calls
 * the call has made so far; and the usage its model responses reported. Travels in the tool context.
 */
final class AgentCallScope {

	/** The tool-context key of the scope. */
	static final String TOOL_CONTEXT_KEY = AgentCallScope.class.getName();

	private final String agentId;

	private final AtomicInteger toolCalls = new AtomicInteger();

	private final UsageTally usage = new UsageTally();

	AgentCallScope(String agentId) {
		this.agentId = agentId;
	}

	String agentId() {
		return this.agentId;
	}

	/** Count one more tool call and return the count so far, this one included. */
	int countToolCall() {
		return this.toolCalls.incrementAndGet();
	}

	/** What the model responses of this call reported, for a permit that covers the whole call. */
	UsageTally usage() {
		return this.usage;
	}

	int toolCalls() {
		return this.toolCalls.get();
	}

}
