package io.agentcontrolplane.springai;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

import io.agentcontrolplane.quota.ActionType;
import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.RejectionReason;
import io.agentcontrolplane.quota.ResourceQuota;
import io.agentcontrolplane.quota.Usage;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.ai.chat.client.ChatClientRequest;
import org.springframework.ai.chat.client.ChatClientResponse;
import org.springframework.ai.chat.client.advisor.ToolCallingAdvisor;
import org.springframework.ai.chat.client.advisor.api.BaseAdvisorChain;
import org.springframework.ai.chat.client.advisor.api.CallAdvisor;
import org.springframework.ai.chat.client.advisor.api.CallAdvisorChain;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisor;
import org.springframework.ai.chat.client.advisor.api.StreamAdvisorChain;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.model.tool.ToolCallingChatOptions;
import org.springframework.ai.tokenizer.JTokkitTokenCountEstimator;
import org.springframework.ai.tokenizer.TokenCountEstimator;
import org.springframework.ai.tool.ToolCallback;

/**
 * Puts {@code ChatClient} calls under the quota of the agent they run for, for
 * {@code call()} and {@code stream()}.
 *
 * <p><b>The agent.</b> In this order: the advisor parameter {@link #AGENT_ID} of the request
 * ({@code .advisors(a -> a.param(AgentQuotaAdvisor.AGENT_ID, "support-bot"))}), the
 * {@link AgentIdResolver}, the advisor's default agent ({@link Builder#defaultAgentId}, one
 * advisor per {@code ChatClient} via {@link #withDefaultAgentId}). A request with none fails
 * with {@link IllegalStateException}, so that no call slips past its quota unnoticed.
 *
 * <p><b>Admission.</b> {@link PolicyEngine#admitAction}/{@link PolicyEngine#admitActionAsync}
 * with the advisor's action ({@code api-call}, {@link ActionType#API_CALL}, by default; any
 * action name with {@link Builder#actionName}): allowed action, concurrency permit, one request
 * from the request budget, and the estimate from the token and cost budgets (below). The permit is held until the response; for a
 * stream until the {@code Flux} completes, fails or is cancelled. What one permit covers is the
 * {@link PermitScope}: each model request (default; the permit is taken inside Spring AI's
 * tool-calling loop, so a tool round trip takes two) or the whole {@code ChatClient} call.
 * Refusals are {@link QuotaExceededException}s thrown from {@code call()} or signalled by the
 * {@code Flux}.
 *
 * <p><b>Placement.</b> The advisor orders itself just outside Spring AI's
 * {@link ToolCallingAdvisor} ({@link #DEFAULT_ORDER}); for every request it adds an inner
 * advisor of its own inside the tool-calling loop, which sees each model request and
 * response. It also wraps the request's tools with its {@link ToolGovernance}, if any, and
 * tells them the agent through the tool context.
 *
 * <p><b>Budgets.</b> For an agent whose quota has {@link ResourceQuota#budgets() budgets}
 * (tokens, cost), each permit reserves an estimate at admission
 * ({@link PolicyEngine#admitAction(String, String, Usage, Duration)}): the prompt's tokens as
 * Spring AI's {@link TokenCountEstimator} counts them (by default
 * {@link JTokkitTokenCountEstimator}, the messages, tool calls, tool results and tool
 * definitions), and the request's {@link ChatOptions#getMaxTokens() max-tokens} option for the
 * answer, or {@link Builder#defaultMaxOutputTokens} (default
 * {@value #DEFAULT_MAX_OUTPUT_TOKENS}) when the request sets none. The estimate names no model,
 * so a cost budget prices it at the highest prices of the engine's pricing. When the call ends
 * the permit {@linkplain Permit#settle(Usage) settles} the usage the responses reported
 * ({@code ChatResponse.getMetadata().getUsage()}, priced for the model
 * {@code getModel()} names; a model without a price is charged the highest prices), so each
 * budget ends at what the provider reported. A stream settles the usage its chunks reported
 * (providers send it in the last chunk); a stream that reports none, or is cancelled before
 * its end, keeps the estimate charged, as does a call that fails after it reached the provider:
 * its real usage is unknown, and the estimate is the most it could have spent. A call that
 * fails before it reached the provider (connection refused, unknown host) is
 * {@linkplain Permit#refund() refunded} in full. Under {@link PermitScope#CHAT_CLIENT_CALL} the
 * permit reserves the estimate of the first model request and settles the usage of all of
 * them. Agents without budgets pay nothing for this: no tokens are counted.
 *
 * <p><b>Usage and provider feedback.</b> Each model response's usage (prompt and completion
 * tokens, model name) goes to the {@link SpringAiQuotaListener}s; its {@code RateLimit} goes
 * to the {@link ProviderRateLimits}, if any. With {@link Builder#pauseOnProviderLimit}, a
 * model request for a model whose provider reported no requests or tokens left is refused
 * ({@link RejectionReason#RATE_LIMIT}, retry after the provider's reset) until that reset.
 */
public final class AgentQuotaAdvisor implements CallAdvisor, StreamAdvisor {

	/** The advisor parameter that names the agent of one request. */
	public static final String AGENT_ID = "agent-control-plane.agent-id";

	/** Just outside Spring AI's tool-calling loop, inside chat-memory advisors. */
	public static final int DEFAULT_ORDER = ToolCallingAdvisor.DEFAULT_ORDER - 50;

	/** The output tokens a model request is expected to spend when it sets no max-tokens. */
	public static final int DEFAULT_MAX_OUTPUT_TOKENS = 4096;

	/** Inside Spring AI's tool-calling loop: runs once per model request. */
	static final int MODEL_REQUEST_ORDER = ToolCallingAdvisor.DEFAULT_ORDER + 50;

	private static final Log logger = LogFactory.getLog(AgentQuotaAdvisor.class);

	private final PolicyEngine engine;

	private final @Nullable String defaultAgentId;

	private final @Nullable AgentIdResolver agentIdResolver;

	private final PermitScope permitScope;

	private final @Nullable String action;

	private final @Nullable Duration maxWait;

	private final @Nullable ToolGovernance toolGovernance;

	private final @Nullable ProviderRateLimits providerRateLimits;

	private final boolean pauseOnProviderLimit;

	private final List<SpringAiQuotaListener> listeners;

	private final List<ModelRequestCustomizer> requestCustomizers;

	private final int order;

	private final @Nullable TokenCountEstimator tokenCountEstimator;

	private final int defaultMaxOutputTokens;

	private final ModelCallBudgets budgets;

	private final ModelRequestAdvisor modelRequestAdvisor = new ModelRequestAdvisor();

	private AgentQuotaAdvisor(Builder builder) {
		this.engine = builder.engine;
		this.defaultAgentId = builder.defaultAgentId;
		this.agentIdResolver = builder.agentIdResolver;
		this.permitScope = builder.permitScope;
		this.action = builder.action;
		this.maxWait = builder.maxWait;
		this.toolGovernance = builder.toolGovernance;
		this.providerRateLimits = builder.providerRateLimits;
		this.pauseOnProviderLimit = builder.pauseOnProviderLimit;
		this.listeners = List.copyOf(builder.listeners);
		this.requestCustomizers = List.copyOf(builder.requestCustomizers);
		this.order = builder.order;
		this.tokenCountEstimator = builder.tokenCountEstimator;
		this.defaultMaxOutputTokens = builder.defaultMaxOutputTokens;
		TokenCountEstimator estimator = builder.tokenCountEstimator;
		this.budgets = new ModelCallBudgets(builder.engine,
				(estimator != null) ? () -> estimator : DefaultEstimator::get, builder.defaultMaxOutputTokens);
	}

	/**
	 * Start building an advisor that admits calls through the given engine.
	 * @param engine the engine that holds the agents' quotas
	 * @return a builder
	 */
	public static Builder builder(PolicyEngine engine) {
		return new Builder(engine);
	}

	/**
	 * A builder with this advisor's settings, to derive another advisor from it.
	 * @return a builder
	 */
	public Builder mutate() {
		Builder builder = new Builder(this.engine);
		builder.defaultAgentId = this.defaultAgentId;
		builder.agentIdResolver = this.agentIdResolver;
		builder.permitScope = this.permitScope;
		builder.action = this.action;
		builder.maxWait = this.maxWait;
		builder.toolGovernance = this.toolGovernance;
		builder.providerRateLimits = this.providerRateLimits;
		builder.pauseOnProviderLimit = this.pauseOnProviderLimit;
		builder.listeners.addAll(this.listeners);
		builder.requestCustomizers.addAll(this.requestCustomizers);
		builder.order = this.order;
		builder.tokenCountEstimator = this.tokenCountEstimator;
		builder.defaultMaxOutputTokens = this.defaultMaxOutputTokens;
		return builder;
	}

	/**
	 * This advisor with another default agent: the way to give one {@code ChatClient} its
	 * agent ({@code builder.defaultAdvisors(advisor.withDefaultAgentId("support-bot"))}).
	 * @param agentId the default agent
	 * @return a new advisor
	 */
	public AgentQuotaAdvisor withDefaultAgentId(String agentId) {
		return mutate().defaultAgentId(agentId).build();
	}

	/**
	 * What one permit covers.
	 * @return the permit scope
	 */
	public PermitScope permitScope() {
		return this.permitScope;
	}

	@Override
	public String getName() {
		return "AgentQuotaAdvisor";
	}

	@Override
	public int getOrder() {
		return this.order;
	}

	@Override
	public ChatClientResponse adviseCall(ChatClientRequest request, CallAdvisorChain chain) {
		String agentId = agentIdOf(request);
		AgentCallScope scope = new AgentCallScope(agentId);
		ChatClientRequest scoped = withScope(request, scope);
		CallAdvisorChain next = chain.copy(this);
		boolean inner = next instanceof BaseAdvisorChain;
		if (next instanceof BaseAdvisorChain base) {
			next = base.mutate().push(this.modelRequestAdvisor).build();
		}
		if (this.permitScope == PermitScope.CHAT_CLIENT_CALL || !inner) {
			UsageTally tally = scope.usage();
			Permit permit = admit(agentId, modelOf(request), request);
			try {
				ChatClientResponse response = next.nextCall(scoped);
				if (!inner) {
					add(tally, recordResponse(agentId, modelOf(request), response, false));
				}
				this.budgets.settle(permit, tally);
				return response;
			}
			catch (RuntimeException | Error ex) {
				this.budgets.failed(permit, ex, tally);
				throw ex;
			}
			finally {
				permit.close();
			}
		}
		return next.nextCall(scoped);
	}

	@Override
	public Flux<ChatClientResponse> adviseStream(ChatClientRequest request, StreamAdvisorChain chain) {
		String agentId = agentIdOf(request);
		AgentCallScope scope = new AgentCallScope(agentId);
		ChatClientRequest scoped = withScope(request, scope);
		StreamAdvisorChain copy = chain.copy(this);
		boolean inner = copy instanceof BaseAdvisorChain;
		StreamAdvisorChain next = (copy instanceof BaseAdvisorChain base)
				? base.mutate().push(this.modelRequestAdvisor).build() : copy;
		if (this.permitScope == PermitScope.CHAT_CLIENT_CALL || !inner) {
			UsageTally tally = scope.usage();
			return holding(admitAsync(agentId, modelOf(request), request), tally, () -> inner
					? next.nextStream(scoped) : recordingStream(agentId, modelOf(request), next.nextStream(scoped), tally));
		}
		return next.nextStream(scoped);
	}

	private String agentIdOf(ChatClientRequest request) {
		if (request.context().get(AGENT_ID) instanceof String agentId && !agentId.isBlank()) {
			return agentId;
		}
		if (this.agentIdResolver != null) {
			String resolved = this.agentIdResolver.resolve(request);
			if (resolved != null && !resolved.isBlank()) {
				return resolved;
			}
		}
		if (this.defaultAgentId != null) {
			return this.defaultAgentId;
		}
		throw new IllegalStateException("No agent for this ChatClient request: set the advisor parameter "
				+ "AgentQuotaAdvisor.AGENT_ID (.advisors(a -> a.param(AgentQuotaAdvisor.AGENT_ID, \"my-agent\"))), "
				+ "define an AgentIdResolver bean, or give the ChatClient an advisor with a default agent "
				+ "(advisor.withDefaultAgentId(\"my-agent\"))");
	}

	private ChatClientRequest withScope(ChatClientRequest request, AgentCallScope scope) {
		Prompt prompt = request.prompt();
		// Without governance the tools are left alone, their tool context included.
		if (this.toolGovernance != null && prompt.getOptions() instanceof ToolCallingChatOptions options) {
			ToolCallingChatOptions.Builder<?> builder = options.mutate();
			List<ToolCallback> tools = options.getToolCallbacks();
			if (tools != null && !tools.isEmpty()) {
				builder.toolCallbacks(this.toolGovernance.decorate(tools));
			}
			builder.toolContext(AgentCallScope.TOOL_CONTEXT_KEY, scope);
			prompt = prompt.mutate().chatOptions(builder.build()).build();
		}
		return request.mutate().prompt(prompt).context(AgentCallScope.TOOL_CONTEXT_KEY, scope).build();
	}

	private static @Nullable String modelOf(ChatClientRequest request) {
		ChatOptions options = request.prompt().getOptions();
		String model = (options != null) ? options.getModel() : null;
		return (model != null && !model.isBlank()) ? model : null;
	}

	private Permit admit(String agentId, @Nullable String model, ChatClientRequest request) {
		checkProvider(agentId, model);
		Usage estimate = this.budgets.estimate(agentId, request.prompt());
		return (estimate != null) ? this.engine.admitAction(agentId, this.action, estimate, this.maxWait)
				: this.engine.admitAction(agentId, this.action, this.maxWait);
	}

	private Mono<Permit> admitAsync(String agentId, @Nullable String model, ChatClientRequest request) {
		return Mono.defer(() -> {
			checkProvider(agentId, model);
			Usage estimate = this.budgets.estimate(agentId, request.prompt());
			return Mono.fromFuture(() -> (estimate != null)
					? this.engine.admitActionAsync(agentId, this.action, estimate, this.maxWait)
					: this.engine.admitActionAsync(agentId, this.action, this.maxWait));
		});
	}

	private static void add(UsageTally tally, @Nullable ModelCallUsage usage) {
		if (usage != null) {
			tally.add(usage);
		}
	}

	private void checkProvider(String agentId, @Nullable String model) {
		if (!this.pauseOnProviderLimit || this.providerRateLimits == null) {
			return;
		}
		Duration wait = this.providerRateLimits.exhaustedFor(agentId, model);
		if (wait.isZero()) {
			return;
		}
		throw new QuotaExceededException(agentId, RejectionReason.RATE_LIMIT,
				"The provider reported no requests or tokens left for agent '" + agentId + "'"
						+ ((model != null) ? " and model '" + model + "'" : "") + " until its reset in " + wait,
				wait);
	}

	private ChatClientRequest customized(ChatClientRequest request, String agentId) {
		ChatOptions options = request.prompt().getOptions();
		if (this.requestCustomizers.isEmpty() || options == null) {
			return request;
		}
		ChatOptions customized = options;
		for (ModelRequestCustomizer customizer : this.requestCustomizers) {
			customized = customizer.customize(customized, agentId);
		}
		if (customized == options) {
			return request;
		}
		return request.mutate().prompt(request.prompt().mutate().chatOptions(customized).build()).build();
	}

	/**
	 * The responses, with the permit held until they complete, fail or are cancelled, and
	 * settled from the tally when they complete or fail. On cancel the permit is returned
	 * (keeping its estimate) before the cancel travels upstream, as a model client may block the
	 * cancelling thread until its pending read returns.
	 */
	private Flux<ChatClientResponse> holding(Mono<Permit> admission, UsageTally tally,
			Supplier<Flux<ChatClientResponse>> responses) {
		return Flux.usingWhen(admission, (permit) -> responses.get().doOnCancel(permit::close),
				(permit) -> Mono.fromRunnable(() -> closeAfter(permit, () -> this.budgets.settle(permit, tally))),
				(permit, failure) -> Mono.fromRunnable(
						() -> closeAfter(permit, () -> this.budgets.failed(permit, failure, tally))),
				(permit) -> Mono.fromRunnable(permit::close));
	}

	private static void closeAfter(Permit permit, Runnable settlement) {
		try {
			settlement.run();
		}
		finally {
			permit.close();
		}
	}

	private Flux<ChatClientResponse> recordingStream(String agentId, @Nullable String requestModel,
			Flux<ChatClientResponse> responses, UsageTally... tallies) {
		return Flux.defer(() -> {
			StreamedResponse last = new StreamedResponse();
			return responses.doOnNext(last::add).doOnComplete(() -> {
				ModelCallUsage usage = last.record(this, agentId, requestModel);
				for (UsageTally tally : tallies) {
					add(tally, usage);
				}
			});
		});
	}

	@Nullable ModelCallUsage recordResponse(String agentId, @Nullable String requestModel,
			@Nullable ChatClientResponse response, boolean streamed) {
		if (response == null || response.chatResponse() == null) {
			return null;
		}
		var metadata = response.chatResponse().getMetadata();
		String responseModel = metadata.getModel();
		String model = (responseModel != null && !responseModel.isBlank()) ? responseModel : requestModel;
		var usage = metadata.getUsage();
		ModelCallUsage callUsage = new ModelCallUsage(agentId, model, (usage != null) ? usage.getPromptTokens() : null,
				(usage != null) ? usage.getCompletionTokens() : null, streamed);
		for (SpringAiQuotaListener listener : this.listeners) {
			try {
				listener.onModelResponse(callUsage);
			}
			catch (RuntimeException ex) {
				logger.warn("A SpringAiQuotaListener failed", ex);
			}
		}
		String rateModel = (requestModel != null) ? requestModel : model;
		if (this.providerRateLimits != null && rateModel != null) {
			this.providerRateLimits.record(agentId, rateModel, metadata.getRateLimit());
		}
		return (usage != null) ? callUsage : null;
	}

	/**
	 * Keeps what a stream's chunks reported: the usage (which providers send in the last chunk
	 * or two), the model and the rate limit. One per subscription.
	 */
	private static final class StreamedResponse {

		private @Nullable ChatClientResponse withUsage;

		private @Nullable ChatClientResponse lastWithMetadata;

		void add(ChatClientResponse response) {
			if (response.chatResponse() == null) {
				return;
			}
			var metadata = response.chatResponse().getMetadata();
			var usage = metadata.getUsage();
			if (usage != null && (usage.getPromptTokens() != null && usage.getPromptTokens() > 0
					|| usage.getCompletionTokens() != null && usage.getCompletionTokens() > 0)) {
				this.withUsage = response;
			}
			this.lastWithMetadata = response;
		}

		@Nullable ModelCallUsage record(AgentQuotaAdvisor advisor, String agentId, @Nullable String requestModel) {
			ChatClientResponse response = (this.withUsage != null) ? this.withUsage : this.lastWithMetadata;
			ModelCallUsage usage = advisor.recordResponse(agentId, requestModel, response, true);
			// A stream that reported no tokens reported no usage: its estimate stays charged.
			return (this.withUsage != null) ? usage : null;
		}

	}

	/**
	 * The advisor inside Spring AI's tool-calling loop: admits each model request (under
	 * {@link PermitScope#MODEL_REQUEST}) and records each model response.
	 */
	private final class ModelRequestAdvisor implements CallAdvisor, StreamAdvisor {

		@Override
		public String getName() {
			return "AgentQuotaAdvisor.ModelRequest";
		}

		@Override
		public int getOrder() {
			return MODEL_REQUEST_ORDER;
		}

		@Override
		public ChatClientResponse adviseCall(ChatClientRequest request, CallAdvisorChain chain) {
			if (!(request.context().get(AgentCallScope.TOOL_CONTEXT_KEY) instanceof AgentCallScope scope)) {
				return chain.nextCall(request);
			}
			String agentId = scope.agentId();
			String model = modelOf(request);
			request = customized(request, agentId);
			if (AgentQuotaAdvisor.this.permitScope == PermitScope.MODEL_REQUEST) {
				UsageTally tally = new UsageTally();
				Permit permit = admit(agentId, model, request);
				try {
					ChatClientResponse response = chain.nextCall(request);
					add(tally, recordResponse(agentId, model, response, false));
					AgentQuotaAdvisor.this.budgets.settle(permit, tally);
					return response;
				}
				catch (RuntimeException | Error ex) {
					AgentQuotaAdvisor.this.budgets.failed(permit, ex, tally);
					throw ex;
				}
				finally {
					permit.close();
				}
			}
			ChatClientResponse response = chain.nextCall(request);
			add(scope.usage(), recordResponse(agentId, model, response, false));
			return response;
		}

		@Override
		public Flux<ChatClientResponse> adviseStream(ChatClientRequest request, StreamAdvisorChain chain) {
			if (!(request.context().get(AgentCallScope.TOOL_CONTEXT_KEY) instanceof AgentCallScope scope)) {
				return chain.nextStream(request);
			}
			String agentId = scope.agentId();
			String model = modelOf(request);
			ChatClientRequest customized = customized(request, agentId);
			if (AgentQuotaAdvisor.this.permitScope == PermitScope.MODEL_REQUEST) {
				return Flux.defer(() -> {
					UsageTally tally = new UsageTally();
					return holding(admitAsync(agentId, model, customized), tally,
							() -> recordingStream(agentId, model, chain.nextStream(customized), tally));
				});
			}
			return recordingStream(agentId, model, chain.nextStream(customized), scope.usage());
		}

	}

	/** The default estimator, created on first use: loading its encoding takes a while. */
	private static final class DefaultEstimator {

		private static final TokenCountEstimator INSTANCE = new JTokkitTokenCountEstimator();

		static TokenCountEstimator get() {
			return INSTANCE;
		}

	}

	/**
	 * Builds an {@link AgentQuotaAdvisor}.
	 */
	public static final class Builder {

		private final PolicyEngine engine;

		private @Nullable String defaultAgentId;

		private @Nullable AgentIdResolver agentIdResolver;

		private PermitScope permitScope = PermitScope.MODEL_REQUEST;

		private @Nullable String action = ActionType.API_CALL.actionName();

		private @Nullable Duration maxWait;

		private @Nullable ToolGovernance toolGovernance;

		private @Nullable ProviderRateLimits providerRateLimits;

		private boolean pauseOnProviderLimit;

		private final List<SpringAiQuotaListener> listeners = new ArrayList<>();

		private final List<ModelRequestCustomizer> requestCustomizers = new ArrayList<>();

		private int order = DEFAULT_ORDER;

		private @Nullable TokenCountEstimator tokenCountEstimator;

		private int defaultMaxOutputTokens = DEFAULT_MAX_OUTPUT_TOKENS;

		private Builder(PolicyEngine engine) {
			this.engine = Objects.requireNonNull(engine, "engine");
		}

		/**
		 * Set the agent of requests that name none and that the resolver does not place.
		 * @param defaultAgentId the default agent, or {@code null} for none
		 * @return this builder
		 */
		public Builder defaultAgentId(@Nullable String defaultAgentId) {
			if (defaultAgentId != null && defaultAgentId.isBlank()) {
				throw new IllegalArgumentException("defaultAgentId must not be blank");
			}
			this.defaultAgentId = defaultAgentId;
			return this;
		}

		/**
		 * Set the resolver asked for the agent of requests that carry no {@link #AGENT_ID}
		 * parameter.
		 * @param agentIdResolver the resolver, or {@code null} for none
		 * @return this builder
		 */
		public Builder agentIdResolver(@Nullable AgentIdResolver agentIdResolver) {
			this.agentIdResolver = agentIdResolver;
			return this;
		}

		/**
		 * Set what one permit covers (default {@link PermitScope#MODEL_REQUEST}).
		 * @param permitScope the permit scope
		 * @return this builder
		 */
		public Builder permitScope(PermitScope permitScope) {
			this.permitScope = Objects.requireNonNull(permitScope, "permitScope");
			return this;
		}

		/**
		 * Set the action checked against the agent's allowed actions (default
		 * {@link ActionType#API_CALL}).
		 * @param action the action, or {@code null} for no check
		 * @return this builder
		 */
		public Builder action(@Nullable ActionType action) {
			this.action = (action != null) ? action.actionName() : null;
			return this;
		}

		/**
		 * Set the action, by name, checked against the agent's allowed actions (default
		 * {@code api-call}), such as {@code model:chat}; matched as
		 * {@link io.agentcontrolplane.quota.ActionNames} says.
		 * @param actionName the action name, or {@code null} for no check
		 * @return this builder
		 * @throws IllegalArgumentException when the name is not a valid action name
		 */
		public Builder actionName(@Nullable String actionName) {
			this.action = (actionName != null)
					? io.agentcontrolplane.quota.ActionNames.canonical("actionName", actionName) : null;
			return this;
		}

		/**
		 * Set the estimator of a prompt's tokens, for the estimate a model request reserves from
		 * the agent's token and cost budgets (default a {@link JTokkitTokenCountEstimator},
		 * created when first needed).
		 * @param tokenCountEstimator the estimator, or {@code null} for the default
		 * @return this builder
		 */
		public Builder tokenCountEstimator(@Nullable TokenCountEstimator tokenCountEstimator) {
			this.tokenCountEstimator = tokenCountEstimator;
			return this;
		}

		/**
		 * Set the output tokens a model request that sets no max-tokens option is expected to
		 * spend (default {@value AgentQuotaAdvisor#DEFAULT_MAX_OUTPUT_TOKENS}). Only the
		 * estimate depends on it: the settlement charges what the response reported.
		 * @param defaultMaxOutputTokens the tokens, {@code >= 0}
		 * @return this builder
		 */
		public Builder defaultMaxOutputTokens(int defaultMaxOutputTokens) {
			if (defaultMaxOutputTokens < 0) {
				throw new IllegalArgumentException(
						"defaultMaxOutputTokens must be >= 0, was " + defaultMaxOutputTokens);
			}
			this.defaultMaxOutputTokens = defaultMaxOutputTokens;
			return this;
		}

		/**
		 * Set how long a request may wait for a permit (default: the quota's {@code maxWait}).
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
		 * Set the governance that wraps the tools of each request.
		 * @param toolGovernance the governance, or {@code null} to leave tools alone
		 * @return this builder
		 */
		public Builder toolGovernance(@Nullable ToolGovernance toolGovernance) {
			this.toolGovernance = toolGovernance;
			return this;
		}

		/**
		 * Set where the providers' rate-limit figures are kept.
		 * @param providerRateLimits the figures, or {@code null} to keep none
		 * @return this builder
		 */
		public Builder providerRateLimits(@Nullable ProviderRateLimits providerRateLimits) {
			this.providerRateLimits = providerRateLimits;
			return this;
		}

		/**
		 * Set whether model requests are refused until the provider's reset once it reported
		 * no requests or tokens left (default {@code false}). Needs
		 * {@link #providerRateLimits}.
		 * @param pauseOnProviderLimit whether to pause
		 * @return this builder
		 */
		public Builder pauseOnProviderLimit(boolean pauseOnProviderLimit) {
			this.pauseOnProviderLimit = pauseOnProviderLimit;
			return this;
		}

		/**
		 * Add a listener that hears of each model response's usage.
		 * @param listener the listener
		 * @return this builder
		 */
		public Builder listener(SpringAiQuotaListener listener) {
			this.listeners.add(Objects.requireNonNull(listener, "listener"));
			return this;
		}

		/**
		 * Add a customizer of each model request's options, applied in the order added.
		 * @param customizer the customizer
		 * @return this builder
		 */
		public Builder modelRequestCustomizer(ModelRequestCustomizer customizer) {
			this.requestCustomizers.add(Objects.requireNonNull(customizer, "customizer"));
			return this;
		}

		/**
		 * Set the advisor's order (default {@link AgentQuotaAdvisor#DEFAULT_ORDER}). It must
		 * stay below {@link ToolCallingAdvisor#DEFAULT_ORDER} for tools to be governed.
		 * @param order the order
		 * @return this builder
		 */
		public Builder order(int order) {
			this.order = order;
			return this;
		}

		/**
		 * Build the advisor.
		 * @return the advisor
		 * @throws IllegalStateException when pausing on provider limits without a place to
		 * keep them
		 */
		public AgentQuotaAdvisor build() {
			if (this.pauseOnProviderLimit && this.providerRateLimits == null) {
				throw new IllegalStateException("pauseOnProviderLimit needs providerRateLimits");
			}
			return new AgentQuotaAdvisor(this);
		}

	}

}
