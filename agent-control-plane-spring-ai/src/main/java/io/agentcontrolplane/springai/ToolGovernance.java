package io.agentcontrolplane.springai;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import io.agentcontrolplane.quota.ActionNames;
import io.agentcontrolplane.quota.ActionType;
import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.RejectionReason;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import org.springframework.ai.tool.ToolCallback;

/**
 * Puts tool calls under the quota of the agent that makes them. {@link #decorate(ToolCallback)}
 * wraps a {@link ToolCallback}; the {@link AgentQuotaAdvisor} wraps the tools of every
 * {@code ChatClient} request it sees (from {@code @Tool} methods, providers and
 * {@code ToolCallback}s given to the request or the client's defaults).
 *
 * <p>Each call of a wrapped tool, inside a {@code ChatClient} call that went through the
 * advisor:
 * <ol>
 * <li>counts against the maximum number of tool calls per {@code ChatClient} call
 * ({@link ToolCallLimitExceededException} beyond it; a model that calls again after being told
 * gets the exception thrown, whatever the refusal mode, as it would loop for ever);</li>
 * <li>checks the tool's action name against the agent's allowed actions through the engine
 * ({@link PolicyEngine#checkAction(String, String)}), so that a refusal
 * ({@link RejectionReason#ACTION_NOT_ALLOWED}) is counted in the agent's {@code rejected}, its
 * {@link io.agentcontrolplane.quota.QuotaListener}s, metrics and {@code /actuator/quotas} like
 * any other, under both refusal modes;</li>
 * <li>when the engine has a quota for the tool's quota key (default {@code tool:<tool-name>}),
 * takes a permit of that key for the duration of the tool call (its concurrency and request
 * budget, refusals as for any agent).</li>
 * </ol>
 * A refusal either becomes a tool result that tells the model why ({@link ToolRefusalMode#TELL_MODEL})
 * or propagates ({@link ToolRefusalMode#THROW}); either way listeners hear of it. A tool called
 * outside such a {@code ChatClient} call (no agent known) runs unchecked.
 *
 * <p><b>Action names.</b> Each tool has an action name, {@code tool:<tool-name>} unless set
 * otherwise ({@link Builder#actionName}, or {@link Builder#actionType} for one of the seven
 * {@link ActionType}s). An agent whose quota lists allowed actions may call a tool only when its
 * action name is among them ({@code allowed-actions: [api-call, tool:search]}), matched exactly
 * and case-sensitively as {@link io.agentcontrolplane.quota.ActionNames} says; an agent without
 * a restriction may call every tool.
 */
public final class ToolGovernance {

	/** The default prefix of a tool's action name and quota key. */
	public static final String DEFAULT_ACTION_PREFIX = "tool:";

	/** The default maximum number of tool calls in one {@code ChatClient} call. */
	public static final int DEFAULT_MAX_TOOL_CALLS_PER_CALL = 20;

	private static final Log logger = LogFactory.getLog(ToolGovernance.class);

	private static final Permit NO_PERMIT = new Permit() {

		@Override
		public String agentId() {
			return "";
		}

		@Override
		public void close() {
		}

	};

	private final PolicyEngine engine;

	private final Map<String, String> actionNames;

	private final Map<String, String> quotaKeys;

	private final int maxToolCallsPerCall;

	private final ToolRefusalMode refusalMode;

	private final @Nullable Duration maxWait;

	private final List<SpringAiQuotaListener> listeners;

	private ToolGovernance(Builder builder) {
		this.engine = builder.engine;
		this.actionNames = Map.copyOf(builder.actionNames);
		this.quotaKeys = Map.copyOf(builder.quotaKeys);
		this.maxToolCallsPerCall = builder.maxToolCallsPerCall;
		this.refusalMode = builder.refusalMode;
		this.maxWait = builder.maxWait;
		this.listeners = List.copyOf(builder.listeners);
	}

	/**
	 * Start building the governance of tools under the given engine.
	 * @param engine the engine that holds the agents' (and tools') quotas
	 * @return a builder
	 */
	public static Builder builder(PolicyEngine engine) {
		return new Builder(engine);
	}

	/**
	 * Wrap a tool so that its calls pass the calling agent's quota. A tool wrapped already is
	 * returned as it is.
	 * @param tool the tool
	 * @return the governed tool
	 */
	public ToolCallback decorate(ToolCallback tool) {
		Objects.requireNonNull(tool, "tool");
		if (tool instanceof GovernedToolCallback governed && governed.governance() == this) {
			return tool;
		}
		ToolCallback delegate = (tool instanceof GovernedToolCallback governed) ? governed.delegate() : tool;
		return new GovernedToolCallback(delegate, this);
	}

	/**
	 * Wrap each of the tools, see {@link #decorate(ToolCallback)}.
	 * @param tools the tools
	 * @return the governed tools, in the same order
	 */
	public List<ToolCallback> decorate(List<ToolCallback> tools) {
		List<ToolCallback> decorated = new ArrayList<>(tools.size());
		for (ToolCallback tool : tools) {
			decorated.add(decorate(tool));
		}
		return decorated;
	}

	/**
	 * The action name of a tool: the one set for it, or {@code tool:<tool-name>}.
	 * @param toolName the tool's name
	 * @return its action name
	 */
	public String actionName(String toolName) {
		return this.actionNames.getOrDefault(toolName, DEFAULT_ACTION_PREFIX + toolName);
	}

	/**
	 * The quota key of a tool: the one set for it, or its {@link #actionName action name}. The
	 * tool's own limits apply when the engine has a quota for this key.
	 * @param toolName the tool's name
	 * @return its quota key
	 */
	public String quotaKey(String toolName) {
		return this.quotaKeys.getOrDefault(toolName, actionName(toolName));
	}

	/**
	 * The maximum number of tool calls in one {@code ChatClient} call.
	 * @return the maximum, or {@code 0} for no maximum
	 */
	public int maxToolCallsPerCall() {
		return this.maxToolCallsPerCall;
	}

	/**
	 * What happens on a refusal.
	 * @return the refusal mode
	 */
	public ToolRefusalMode refusalMode() {
		return this.refusalMode;
	}

	/**
	 * Run one tool call under the agent's quota.
	 */
	String call(ToolCallback delegate, AgentCallScope scope, ToolCallInvocation invocation) {
		String toolName = delegate.getToolDefinition().name();
		String actionName = actionName(toolName);
		String agentId = scope.agentId();
		Permit permit;
		try {
			permit = admit(scope, toolName, actionName);
		}
		catch (QuotaExceededException refusal) {
			for (SpringAiQuotaListener listener : this.listeners) {
				notify(() -> listener.onToolCallRefused(agentId, toolName, actionName, refusal));
			}
			if (this.refusalMode == ToolRefusalMode.THROW || ignoredLimit(refusal)) {
				throw refusal;
			}
			return refusalResult(toolName, actionName, refusal);
		}
		try (permit) {
			for (SpringAiQuotaListener listener : this.listeners) {
				notify(() -> listener.onToolCallAllowed(agentId, toolName, actionName));
			}
			return invocation.call();
		}
	}

	/**
	 * Whether the model called a tool again after it was told that the limit was reached: it
	 * would go on for ever, so the loop is stopped.
	 */
	private static boolean ignoredLimit(QuotaExceededException refusal) {
		return refusal instanceof ToolCallLimitExceededException limit && limit.attempt() > limit.limit() + 1;
	}

	private Permit admit(AgentCallScope scope, String toolName, String actionName) {
		String agentId = scope.agentId();
		int attempt = scope.countToolCall();
		if (this.maxToolCallsPerCall > 0 && attempt > this.maxToolCallsPerCall) {
			throw new ToolCallLimitExceededException(agentId, toolName, this.maxToolCallsPerCall, attempt);
		}
		// The engine's check, so that a refused tool is counted like any refused call.
		this.engine.checkAction(agentId, actionName);
		String key = quotaKey(toolName);
		if (this.engine.getQuota(key).isPresent()) {
			return this.engine.admit(key, null, this.maxWait);
		}
		return NO_PERMIT;
	}

	private static String refusalResult(String toolName, String actionName, QuotaExceededException refusal) {
		StringBuilder json = new StringBuilder(256);
		json.append("{\"error\":\"tool_call_refused\",\"tool\":").append(quote(toolName));
		json.append(",\"action\":").append(quote(actionName));
		json.append(",\"reason\":").append(quote(refusal.reason().name()));
		refusal.retryAfter().ifPresent((retry) -> json.append(",\"retryAfterSeconds\":").append(retry.toSeconds()));
		json.append(",\"message\":").append(quote(String.valueOf(refusal.getMessage())));
		json.append(",\"instruction\":").append(quote("The tool was not run. Do not call it again for this request;"
				+ " answer without it or tell the user it is not available."));
		return json.append('}').toString();
	}

	private static String quote(String text) {
		StringBuilder quoted = new StringBuilder(text.length() + 2).append('"');
		for (int i = 0; i < text.length(); i++) {
			char c = text.charAt(i);
			switch (c) {
				case '"' -> quoted.append("\\\"");
				case '\\' -> quoted.append("\\\\");
				case '\n' -> quoted.append("\\n");
				case '\r' -> quoted.append("\\r");
				case '\t' -> quoted.append("\\t");
				default -> {
					if (c < 0x20) {
						quoted.append(String.format("\\u%04x", (int) c));
					}
					else {
						quoted.append(c);
					}
				}
			}
		}
		return quoted.append('"').toString();
	}

	private static void notify(Runnable call) {
		try {
			call.run();
		}
		catch (RuntimeException ex) {
			logger.warn("A SpringAiQuotaListener failed", ex);
		}
	}

	/** The tool call itself, run once the quota let it through. */
	@FunctionalInterface
	interface ToolCallInvocation {

		String call();

	}

	/**
	 * Builds a {@link ToolGovernance}.
	 */
	public static final class Builder {

		private final PolicyEngine engine;

		private final Map<String, String> actionNames = new HashMap<>();

		private final Map<String, String> quotaKeys = new HashMap<>();

		private int maxToolCallsPerCall = DEFAULT_MAX_TOOL_CALLS_PER_CALL;

		private ToolRefusalMode refusalMode = ToolRefusalMode.TELL_MODEL;

		private @Nullable Duration maxWait;

		private final List<SpringAiQuotaListener> listeners = new ArrayList<>();

		private Builder(PolicyEngine engine) {
			this.engine = Objects.requireNonNull(engine, "engine");
		}

		/**
		 * Set the action name of one tool (default {@code tool:<tool-name>}), checked against
		 * the calling agent's allowed actions.
		 * @param toolName the tool's name
		 * @param actionName its action name, such as {@code email.send}
		 * @return this builder
		 * @throws IllegalArgumentException naming the tool when the action name is not valid
		 * (blank, longer than {@value ActionNames#MAX_LENGTH} characters, control characters)
		 */
		public Builder actionName(String toolName, String actionName) {
			Objects.requireNonNull(toolName, "toolName");
			this.actionNames.put(toolName, ActionNames.canonical("actionName of tool '" + toolName + "'", actionName));
			return this;
		}

		/**
		 * Set the action of one tool to one of the seven {@link ActionType}s: the same as
		 * {@code actionName(toolName, actionType.actionName())}.
		 * @param toolName the tool's name
		 * @param actionType the action type
		 * @return this builder
		 */
		public Builder actionType(String toolName, ActionType actionType) {
			return actionName(toolName, Objects.requireNonNull(actionType, "actionType").actionName());
		}

		/**
		 * Set the quota key of one tool (default its action name).
		 * @param toolName the tool's name
		 * @param quotaKey the key of the tool's own quota in the engine
		 * @return this builder
		 */
		public Builder quotaKey(String toolName, String quotaKey) {
			this.quotaKeys.put(Objects.requireNonNull(toolName, "toolName"),
					Objects.requireNonNull(quotaKey, "quotaKey"));
			return this;
		}

		/**
		 * Set the maximum number of tool calls in one {@code ChatClient} call (default
		 * {@value ToolGovernance#DEFAULT_MAX_TOOL_CALLS_PER_CALL}).
		 * @param maxToolCallsPerCall the maximum, or {@code 0} for none
		 * @return this builder
		 */
		public Builder maxToolCallsPerCall(int maxToolCallsPerCall) {
			if (maxToolCallsPerCall < 0) {
				throw new IllegalArgumentException("maxToolCallsPerCall must be >= 0, was " + maxToolCallsPerCall);
			}
			this.maxToolCallsPerCall = maxToolCallsPerCall;
			return this;
		}

		/**
		 * Set what happens on a refusal (default {@link ToolRefusalMode#TELL_MODEL}).
		 * @param refusalMode the refusal mode
		 * @return this builder
		 */
		public Builder refusalMode(ToolRefusalMode refusalMode) {
			this.refusalMode = Objects.requireNonNull(refusalMode, "refusalMode");
			return this;
		}

		/**
		 * Set how long a tool call may wait for a permit of the tool's own quota (default: that
		 * quota's {@code maxWait}).
		 * @param maxWait the maximum wait, or {@code null} for the quota's own
		 * @return this builder
		 */
		public Builder maxWait(@Nullable Duration maxWait) {
			if (maxWait != null && maxWait.isNegative()) {
				throw new IllegalArgumentException("maxWait must be >= 0, was " + maxWait);
			}
			this.maxWait = maxWait;
			return this;
		}

		/**
		 * Add a listener that hears of tool calls allowed and refused.
		 * @param listener the listener
		 * @return this builder
		 */
		public Builder listener(SpringAiQuotaListener listener) {
			this.listeners.add(Objects.requireNonNull(listener, "listener"));
			return this;
		}

		/**
		 * Build the governance.
		 * @return the governance
		 */
		public ToolGovernance build() {
			return new ToolGovernance(this);
		}

	}

}
