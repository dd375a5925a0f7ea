package io.agentcontrolplane.springai.autoconfigure;

import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import io.agentcontrolplane.quota.ActionType;
import io.agentcontrolplane.springai.AgentQuotaAdvisor;
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
	 * Action a model request is checked as against the agent's allowed actions: one of the
	 * seven action types (such as api-call) or any other action name (such as model:chat).
	 */
	private String action = ActionType.API_CALL.actionName();

	/**
	 * Output tokens a model request that sets no max-tokens option is expected to spend, for the
	 * estimate it reserves from the agent's token and cost budgets. The settlement charges what
	 * the response reported.
	 */
	private int defaultMaxOutputTokens = AgentQuotaAdvisor.DEFAULT_MAX_OUTPUT_TOKENS;

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

	/**
	 * Whether to create the quota advisor, tool governance and provider rate-limit figures.
	 * @return the setting
	 */
	public boolean isEnabled() {
		return this.enabled;
	}

	/**
	 * Set: whether to create the quota advisor, tool governance and provider rate-limit figures.
	 * @param enabled the setting
	 */
	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	/**
	 * Agent of ChatClient requests that name none (advisor parameter) and that no AgentIdResolver places.
	 * @return the setting
	 */
	public @Nullable String getDefaultAgentId() {
		return this.defaultAgentId;
	}

	/**
	 * Set: agent of ChatClient requests that name none (advisor parameter) and that no AgentIdResolver places.
	 * @param defaultAgentId the setting
	 */
	public void setDefaultAgentId(@Nullable String defaultAgentId) {
		this.defaultAgentId = defaultAgentId;
	}

	/**
	 * What one permit covers: each model request (a tool round trip takes two) or a whole ChatClient call including its tool round trips.
	 * @return the setting
	 */
	public PermitScope getPermitScope() {
		return this.permitScope;
	}

	/**
	 * Set: what one permit covers: each model request (a tool round trip takes two) or a whole ChatClient call including its tool round trips.
	 * @param permitScope the setting
	 */
	public void setPermitScope(PermitScope permitScope) {
		this.permitScope = permitScope;
	}

	/**
	 * Action a model request is checked as against the agent's allowed actions.
	 * @return the setting
	 */
	public String getAction() {
		return this.action;
	}

	/**
	 * Set: action a model request is checked as against the agent's allowed actions.
	 * @param action the setting
	 */
	public void setAction(String action) {
		this.action = action;
	}

	/**
	 * Output tokens a model request that sets no max-tokens option is expected to spend.
	 * @return the setting
	 */
	public int getDefaultMaxOutputTokens() {
		return this.defaultMaxOutputTokens;
	}

	/**
	 * Set: output tokens a model request that sets no max-tokens option is expected to spend.
	 * @param defaultMaxOutputTokens the setting
	 */
	public void setDefaultMaxOutputTokens(int defaultMaxOutputTokens) {
		this.defaultMaxOutputTokens = defaultMaxOutputTokens;
	}

	/**
	 * Maximum time a tool call waits for a permit of the tool's own quota.
	 * @return the setting
	 */
	public @Nullable Duration getMaxWait() {
		return this.maxWait;
	}

	/**
	 * Set: maximum time a tool call waits for a permit of the tool's own quota.
	 * @param maxWait the setting
	 */
	public void setMaxWait(@Nullable Duration maxWait) {
		this.maxWait = maxWait;
	}

	/**
	 * Whether to add the quota advisor to every ChatClient built from the auto-configured ChatClient.Builder.
	 * @return the setting
	 */
	public boolean isCustomizeChatClients() {
		return this.customizeChatClients;
	}

	/**
	 * Set: whether to add the quota advisor to every ChatClient built from the auto-configured ChatClient.Builder.
	 * @param customizeChatClients the setting
	 */
	public void setCustomizeChatClients(boolean customizeChatClients) {
		this.customizeChatClients = customizeChatClients;
	}

	/**
	 * Settings of tool governance.
	 * @return the setting
	 */
	public Tools getTools() {
		return this.tools;
	}

	/**
	 * Settings of the providers' rate-limit feedback.
	 * @return the setting
	 */
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
		 * Maximum time a tool call waits for a permit of the tool's own quota. Defaults to that
		 * quota's own.
		 */
		private @Nullable Duration maxWait;

		/**
		 * Per-tool settings, by tool name.
		 */
		private final Map<String, Tool> byName = new LinkedHashMap<>();

		/**
		 * Whether tool calls pass the calling agent's quota.
		 * @return the setting
		 */
		public boolean isEnabled() {
			return this.enabled;
		}

		/**
		 * Set: whether tool calls pass the calling agent's quota.
		 * @param enabled the setting
		 */
		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

		/**
		 * Maximum number of tool calls in one ChatClient call, to stop runaway tool loops.
		 * @return the setting
		 */
		public int getMaxCallsPerChatClientCall() {
			return this.maxCallsPerChatClientCall;
		}

		/**
		 * Set: maximum number of tool calls in one ChatClient call, to stop runaway tool loops.
		 * @param maxCallsPerChatClientCall the setting
		 */
		public void setMaxCallsPerChatClientCall(int maxCallsPerChatClientCall) {
			this.maxCallsPerChatClientCall = maxCallsPerChatClientCall;
		}

		/**
		 * What happens when the quota refuses a tool call: tell the model (a tool result that says why) or throw (the ChatClient call fails with the refusal).
		 * @return the setting
		 */
		public ToolRefusalMode getRefusal() {
			return this.refusal;
		}

		/**
		 * Set: what happens when the quota refuses a tool call: tell the model (a tool result that says why) or throw (the ChatClient call fails with the refusal).
		 * @param refusal the setting
		 */
		public void setRefusal(ToolRefusalMode refusal) {
			this.refusal = refusal;
		}

		/**
		 * Maximum time a tool call waits for a permit of the tool's own quota.
		 * @return the setting
		 */
		public @Nullable Duration getMaxWait() {
			return this.maxWait;
		}

		/**
		 * Set: maximum time a tool call waits for a permit of the tool's own quota.
		 * @param maxWait the setting
		 */
		public void setMaxWait(@Nullable Duration maxWait) {
			this.maxWait = maxWait;
		}

		/**
		 * Per-tool settings, by tool name.
		 * @return the setting
		 */
		public Map<String, Tool> getByName() {
			return this.byName;
		}

	}

	/**
	 * Settings of one tool.
	 */
	public static class Tool {

		/**
		 * Action name of the tool, checked against the calling agent's allowed actions.
		 * Defaults to "tool:" followed by the tool's name.
		 */
		private @Nullable String actionName;

		/**
		 * Shorthand for an action name that is one of the seven action types (action-type:
		 * workflow-trigger is action-name: workflow-trigger). Set this or action-name, not both.
		 */
		private @Nullable ActionType actionType;

		/**
		 * Key of the tool's own quota (concurrency, request budget) in the policy engine.
		 * Defaults to the action name; the tool has limits of its own only when the engine has a
		 * quota for this key.
		 */
		private @Nullable String quotaKey;

		/**
		 * Action name of the tool.
		 * @return the setting
		 */
		public @Nullable String getActionName() {
			return this.actionName;
		}

		/**
		 * Set: action name of the tool.
		 * @param actionName the setting
		 */
		public void setActionName(@Nullable String actionName) {
			this.actionName = actionName;
		}

		/**
		 * Shorthand for an action name that is one of the seven action types.
		 * @return the setting
		 */
		public @Nullable ActionType getActionType() {
			return this.actionType;
		}

		/**
		 * Set: shorthand for an action name that is one of the seven action types.
		 * @param actionType the setting
		 */
		public void setActionType(@Nullable ActionType actionType) {
			this.actionType = actionType;
		}

		/**
		 * Key of the tool's own quota (concurrency, request budget) in the policy engine.
		 * @return the setting
		 */
		public @Nullable String getQuotaKey() {
			return this.quotaKey;
		}

		/**
		 * Set: key of the tool's own quota (concurrency, request budget) in the policy engine.
		 * @param quotaKey the setting
		 */
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

		/**
		 * Whether model requests for a model are refused, with a retry after the provider's reset, once the provider reported no requests or tokens left for it.
		 * @return the setting
		 */
		public boolean isPauseOnLimit() {
			return this.pauseOnLimit;
		}

		/**
		 * Set: whether model requests for a model are refused, with a retry after the provider's reset, once the provider reported no requests or tokens left for it.
		 * @param pauseOnLimit the setting
		 */
		public void setPauseOnLimit(boolean pauseOnLimit) {
			this.pauseOnLimit = pauseOnLimit;
		}

	}

}
