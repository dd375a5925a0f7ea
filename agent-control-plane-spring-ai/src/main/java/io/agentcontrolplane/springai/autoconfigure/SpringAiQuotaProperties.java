package io.agentcontrolplane.springai.autoconfigure;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import io.agentcontrolplane.quota.ActionType;
import io.agentcontrolplane.springai.PermitScope;
import io.agentcontrolplane.springai.ToolGovernance;
import io.agentcontrolplane.springai.ToolRefusalMode;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Settings of the Spring AI integration.
 */
@ConfigurationProperties("agent-control-plane.spring-ai")
public class SpringAiQuotaProperties {

	/**
	 * Whether to create the quota advisor, tool governance and provider rate-limit figures.
	 */
	private boolean enabled = true;

	/**
	 * Agent of ChatClient requests that name none (advisor parameter) and that no
	 * AgentIdResolver places. Without one, such requests fail.
	 */
	private @Nullable String defaultAgentId;

	/**
	 * What one permit covers: each model request (a tool round trip takes two) or a whole
	 * ChatClient call including its tool round trips.
	 */
	private PermitScope permitScope = PermitScope.MODEL_REQUEST;

	/**
	 * Action type a model request is checked as against the agent's allowed actions.
	 */
	private ActionType action = ActionType.API_CALL;

	/**
	 * Maximum time a model request waits for a permit. Defaults to the quota's own.
	 */
	private @Nullable Duration maxWait;

	/**
	 * Whether to add the quota advisor to every ChatClient built from the auto-configured
	 * ChatClient.Builder. When false, add the AgentQuotaAdvisor bean to the clients that need it.
	 */
	private boolean customizeChatClients = false;

	private final Tools tools = new Tools();

	private final Provider provider = new Provider();

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public @Nullable String getDefaultAgentId() {
		return this.defaultAgentId;
	}

	public void setDefaultAgentId(@Nullable String defaultAgentId) {
		this.defaultAgentId = defaultAgentId;
	}

	public PermitScope getPermitScope() {
		return this.permitScope;
	}

	public void setPermitScope(PermitScope permitScope) {
		this.permitScope = permitScope;
	}

	public ActionType getAction() {
		return this.action;
	}

	public void setAction(ActionType action) {
		this.action = action;
	}

	public @Nullable Duration getMaxWait() {
		return this.maxWait;
	}

	public void setMaxWait(@Nullable Duration maxWait) {
		this.maxWait = maxWait;
	}

	public boolean isCustomizeChatClients() {
		return this.customizeChatClients;
	}

	public void setCustomizeChatClients(boolean customizeChatClients) {
		this.customizeChatClients = customizeChatClients;
	}

	public Tools getTools() {
		return this.tools;
	}

	public Provider getProvider() {
		return this.provider;
	}

	/**
	 * Settings of tool governance.
	 */
	public static class Tools {

		/**
		 * Whether tool calls pass the calling agent's quota.
		 */
		private boolean enabled = true;

		/**
		 * Maximum number of tool calls in one ChatClient call, to stop runaway tool loops. 0 for
		 * no maximum.
		 */
		private int maxCallsPerChatClientCall = ToolGovernance.DEFAULT_MAX_TOOL_CALLS_PER_CALL;

		/**
		 * What happens when the quota refuses a tool call: tell the model (a tool result that
		 * says why) or throw (the ChatClient call fails with the refusal).
		 */
		private ToolRefusalMode refusal = ToolRefusalMode.TELL_MODEL;

		/**
		 * Action type a tool's action is checked as against the agent's allowed actions, until
		 * allowed actions accept action names.
		 */
		private ActionType defaultActionType = ActionType.API_CALL;

		/**
		 * Maximum time a tool call waits for a permit of the tool's own quota. Defaults to that
		 * quota's own.
		 */
		private @Nullable Duration maxWait;

		/**
		 * Per-tool settings, by tool name.
		 */
		private final Map<String, Tool> byName = new LinkedHashMap<>();

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		public int getMaxCallsPerChatClientCall() {
			return this.maxCallsPerChatClientCall;
		}

		public void setMaxCallsPerChatClientCall(int maxCallsPerChatClientCall) {
			this.maxCallsPerChatClientCall = maxCallsPerChatClientCall;
		}

		public ToolRefusalMode getRefusal() {
			return this.refusal;
		}

		public void setRefusal(ToolRefusalMode refusal) {
			this.refusal = refusal;
		}

		public ActionType getDefaultActionType() {
			return this.defaultActionType;
		}

		public void setDefaultActionType(ActionType defaultActionType) {
			this.defaultActionType = defaultActionType;
		}

		public @Nullable Duration getMaxWait() {
			return this.maxWait;
		}

		public void setMaxWait(@Nullable Duration maxWait) {
			this.maxWait = maxWait;
		}

		public Map<String, Tool> getByName() {
			return this.byName;
		}

	}

	/**
	 * Settings of one tool.
	 */
	public static class Tool {

		/**
		 * Action name of the tool. Defaults to "tool:" followed by the tool's name.
		 */
		private @Nullable String actionName;

		/**
		 * Action type the tool's action is checked as. Defaults to the tools' default action
		 * type.
		 */
		private @Nullable ActionType actionType;

		/**
		 * Key of the tool's own quota (concurrency, request budget) in the policy engine.
		 * Defaults to the action name; the tool has limits of its own only when the engine has a
		 * quota for this key.
		 */
		private @Nullable String quotaKey;

		public @Nullable String getActionName() {
			return this.actionName;
		}

		public void setActionName(@Nullable String actionName) {
			this.actionName = actionName;
		}

		public @Nullable ActionType getActionType() {
			return this.actionType;
		}

		public void setActionType(@Nullable ActionType actionType) {
			this.actionType = actionType;
		}

		public @Nullable String getQuotaKey() {
			return this.quotaKey;
		}

		public void setQuotaKey(@Nullable String quotaKey) {
			this.quotaKey = quotaKey;
		}

	}

	/**
	 * Settings of the providers' rate-limit feedback.
	 */
	public static class Provider {

		/**
		 * Whether model requests for a model are refused, with a retry after the provider's
		 * reset, once the provider reported no requests or tokens left for it.
		 */
		private boolean pauseOnLimit = false;

		public boolean isPauseOnLimit() {
			return this.pauseOnLimit;
		}

		public void setPauseOnLimit(boolean pauseOnLimit) {
			this.pauseOnLimit = pauseOnLimit;
		}

	}

}
