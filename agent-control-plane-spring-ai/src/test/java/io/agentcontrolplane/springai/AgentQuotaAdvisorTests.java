package io.agentcontrolplane.springai;

import java.net.ConnectException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import io.agentcontrolplane.quota.ActionType;
import io.agentcontrolplane.quota.Budget;
import io.agentcontrolplane.quota.BudgetUnit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.RejectionReason;
import io.agentcontrolplane.quota.ResourceQuota;
import io.agentcontrolplane.test.MutableClock;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Flux;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.messages.AssistantMessage;
import org.springframework.ai.chat.metadata.ChatResponseMetadata;
import org.springframework.ai.chat.metadata.DefaultUsage;
import org.springframework.ai.chat.metadata.RateLimit;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.chat.model.ChatResponse;
import org.springframework.ai.chat.model.Generation;
import org.springframework.ai.chat.model.ToolContext;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.content.MediaContent;
import org.springframework.ai.tokenizer.TokenCountEstimator;
import org.springframework.ai.tool.ToolCallback;
import org.springframework.ai.tool.function.FunctionToolCallback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * The advisor and tool governance against an in-process model that reports the rate-limit
 * figures Spring AI's OpenAI client leaves out.
 */
class AgentQuotaAdvisorTests {

	private final PolicyEngine engine = new PolicyEngine();

	private final MutableClock clock = new MutableClock();

	private final ProviderRateLimits limits = new ProviderRateLimits(this.clock);

	private final RecordingListener listener = new RecordingListener();

	@Test
	void pausesTheModelUntilTheProviderResetOnceItReportsNoRequestsLeft() {
		StubModel model = new StubModel(new Figures(100L, 0L, Duration.ofSeconds(30), 1000L, 500L, Duration.ofSeconds(5)));
		ChatClient client = client(model, advisor().pauseOnProviderLimit(true).build());
		assertThat(client.prompt("hi").call().content()).isEqualTo("ok");
		assertThatExceptionOfType(QuotaExceededException.class).isThrownBy(() -> client.prompt("hi").call().content())
			.satisfies((refusal) -> {
				assertThat(refusal.reason()).isEqualTo(RejectionReason.RATE_LIMIT);
				assertThat(refusal.retryAfter()).contains(Duration.ofSeconds(30));
			});
		assertThatExceptionOfType(QuotaExceededException.class)
			.isThrownBy(() -> client.prompt("hi").stream().content().blockLast(Duration.ofSeconds(10)));
		assertThat(model.calls).hasValue(1);
		this.clock.advance(Duration.ofSeconds(31));
		assertThat(client.prompt("hi").call().content()).isEqualTo("ok");
		assertThat(model.calls).hasValue(2);
	}

	@Test
	void keepsTheLastFiguresPerAgentAndModelWithoutPausingByDefault() {
		StubModel model = new StubModel(new Figures(100L, 0L, Duration.ofSeconds(30), 1000L, 500L, Duration.ofSeconds(5)));
		ChatClient client = client(model, advisor().build());
		client.prompt("hi").call().content();
		client.prompt("hi").call().content();
		assertThat(model.calls).hasValue(2);
		assertThat(this.limits.get("agent", "stub-model")).hasValueSatisfying((figures) -> {
			assertThat(figures.requestsLimit()).isEqualTo(100L);
			assertThat(figures.requestsRemaining()).isZero();
			assertThat(figures.requestsResetAt()).isEqualTo(this.clock.instant().plusSeconds(30));
			assertThat(figures.tokensRemaining()).isEqualTo(500L);
		});
		assertThat(this.limits.exhaustedFor("agent", "stub-model")).isEqualTo(Duration.ofSeconds(30));
	}

	@Test
	void ignoresAnEmptyRateLimit() {
		StubModel model = new StubModel(null);
		client(model, advisor().pauseOnProviderLimit(true).build()).prompt("hi").call().content();
		assertThat(this.limits.all()).isEmpty();
	}

	@Test
	void requestParameterWinsOverResolverAndDefault() {
		StubModel model = new StubModel(null);
		ChatClient client = client(model, advisor().agentIdResolver((request) -> "resolved").build());
		client.prompt("hi").advisors((a) -> a.param(AgentQuotaAdvisor.AGENT_ID, "named")).call().content();
		client.prompt("hi").call().content();
		assertThat(this.listener.usages).extracting(ModelCallUsage::agentId).containsExactly("named", "resolved");
		assertThat(this.listener.usages.get(0).promptTokens()).isEqualTo(3);
		assertThat(this.listener.usages.get(0).completionTokens()).isEqualTo(4);
		assertThat(this.listener.usages.get(0).model()).isEqualTo("stub-model");
	}

	@Test
	void refusesAModelRequestWhoseActionTheAgentMayNotTake() {
		this.engine.setQuota("agent", ResourceQuota.builder("agent").allowedActionTypes(ActionType.FILE_READ).build());
		StubModel model = new StubModel(null);
		ChatClient client = client(model, advisor().build());
		assertThatExceptionOfType(QuotaExceededException.class).isThrownBy(() -> client.prompt("hi").call().content())
			.satisfies((refusal) -> assertThat(refusal.reason()).isEqualTo(RejectionReason.ACTION_NOT_ALLOWED));
		assertThat(model.calls).hasValue(0);
	}

	@Test
	void stopsARunawayToolLoopTellingTheModelOnceThenThrowing() {
		AtomicInteger runs = new AtomicInteger();
		ToolGovernance governance = ToolGovernance.builder(this.engine).maxToolCallsPerCall(2).listener(this.listener).build();
		ToolCallback tool = governance.decorate(tool(runs));
		ToolContext context = new ToolContext(Map.of(AgentCallScope.TOOL_CONTEXT_KEY, new AgentCallScope("agent")));
		assertThat(tool.call("{\"city\":\"Paris\"}", context)).isEqualTo("\"sunny\"");
		assertThat(tool.call("{\"city\":\"Paris\"}", context)).isEqualTo("\"sunny\"");
		assertThat(tool.call("{\"city\":\"Paris\"}", context)).contains("tool_call_refused").contains("RATE_LIMIT")
			.contains("limit of 2 tool calls");
		assertThatExceptionOfType(ToolCallLimitExceededException.class)
			.isThrownBy(() -> tool.call("{\"city\":\"Paris\"}", context))
			.satisfies((refusal) -> assertThat(refusal.attempt()).isEqualTo(4));
		assertThat(runs).hasValue(2);
		assertThat(this.listener.refusals).hasSize(2).allSatisfy(
				(refusal) -> assertThat(refusal).isInstanceOf(ToolCallLimitExceededException.class));
	}

	@Test
	void stopsARunawayToolLoopAfterTheMaximumByThrowing() {
		AtomicInteger runs = new AtomicInteger();
		ToolGovernance governance = ToolGovernance.builder(this.engine).maxToolCallsPerCall(1)
			.refusalMode(ToolRefusalMode.THROW).build();
		ToolCallback tool = governance.decorate(tool(runs));
		ToolContext context = new ToolContext(Map.of(AgentCallScope.TOOL_CONTEXT_KEY, new AgentCallScope("agent")));
		tool.call("{\"city\":\"Paris\"}", context);
		assertThatExceptionOfType(ToolCallLimitExceededException.class)
			.isThrownBy(() -> tool.call("{\"city\":\"Paris\"}", context))
			.satisfies((refusal) -> assertThat(refusal.limit()).isEqualTo(1));
		assertThat(runs).hasValue(1);
	}

	@Test
	void toolCalledOutsideAnAdvisedCallRunsUnchecked() {
		AtomicInteger runs = new AtomicInteger();
		ToolGovernance governance = ToolGovernance.builder(this.engine).maxToolCallsPerCall(1).build();
		ToolCallback tool = governance.decorate(tool(runs));
		tool.call("{\"city\":\"Paris\"}", new ToolContext(Map.of()));
		tool.call("{\"city\":\"Paris\"}", new ToolContext(Map.of()));
		assertThat(runs).hasValue(2);
		assertThat(governance.decorate(tool)).isSameAs(tool);
		assertThat(governance.actionName("weather")).isEqualTo("tool:weather");
		assertThat(governance.quotaKey("weather")).isEqualTo("tool:weather");
	}

	@Test
	void settlesEachModelRequestToTheUsageItReported() {
		PolicyEngine budgeted = budgetedEngine(10_000);
		StubModel model = new StubModel(null);
		ChatClient client = client(model, AgentQuotaAdvisor.builder(budgeted).defaultAgentId("spender").build());
		client.prompt("hi").call().content();
		assertThat(tokensLeft(budgeted)).isEqualTo(10_000 - 7);
		client.prompt("hi").stream().content().blockLast(Duration.ofSeconds(10));
		assertThat(tokensLeft(budgeted)).isEqualTo(10_000 - 14);
		assertThat(budgeted.snapshot("spender").orElseThrow().inFlight()).isZero();
	}

	@Test
	void refundsTheEstimateWhenTheProviderWasNeverReached() {
		PolicyEngine budgeted = budgetedEngine(1000);
		ChatModel unreachable = new FailingModel(
				new IllegalStateException("I/O error", new ConnectException("Connection refused")));
		ChatClient client = client(unreachable,
				AgentQuotaAdvisor.builder(budgeted).defaultAgentId("spender").defaultMaxOutputTokens(100).build());
		assertThatExceptionOfType(IllegalStateException.class).isThrownBy(() -> client.prompt("hi").call().content());
		assertThatExceptionOfType(IllegalStateException.class)
			.isThrownBy(() -> client.prompt("hi").stream().content().blockLast(Duration.ofSeconds(10)));
		assertThat(tokensLeft(budgeted)).isEqualTo(1000);
	}

	@Test
	void keepsTheEstimateWhenACallFailsAfterReachingTheProvider() {
		PolicyEngine budgeted = budgetedEngine(1000);
		CountingEstimator estimator = new CountingEstimator(5);
		ChatModel failing = new FailingModel(new IllegalStateException("500 Internal Server Error"));
		ChatClient client = client(failing, AgentQuotaAdvisor.builder(budgeted)
			.defaultAgentId("spender")
			.defaultMaxOutputTokens(100)
			.tokenCountEstimator(estimator)
			.build());
		assertThatExceptionOfType(IllegalStateException.class).isThrownBy(() -> client.prompt("hi").call().content());
		assertThat(tokensLeft(budgeted)).isEqualTo(1000 - 105);
	}

	@Test
	void reservesThePromptsTokensAndTheMaxTokensOption() {
		PolicyEngine budgeted = budgetedEngine(1000);
		CountingEstimator estimator = new CountingEstimator(5);
		ChatClient client = client(new StubModel(null), AgentQuotaAdvisor.builder(budgeted)
			.defaultAgentId("spender")
			.tokenCountEstimator(estimator)
			.build());
		assertThatExceptionOfType(QuotaExceededException.class)
			.isThrownBy(() -> client.prompt("hi").options(ChatOptions.builder().maxTokens(996)).call().content())
			.satisfies((refusal) -> {
				assertThat(refusal.reason()).isEqualTo(RejectionReason.BUDGET_EXHAUSTED);
				assertThat(refusal.retryAfter()).isEmpty();
			});
		assertThat(client.prompt("hi").options(ChatOptions.builder().maxTokens(995)).call().content())
			.isEqualTo("ok");
		assertThat(tokensLeft(budgeted)).isEqualTo(1000 - 7);
	}

	@Test
	void countsNoTokensForAnAgentWithoutBudgets() {
		CountingEstimator estimator = new CountingEstimator(5);
		ChatClient client = client(new StubModel(null), advisor().tokenCountEstimator(estimator).build());
		client.prompt("hi").call().content();
		assertThat(estimator.calls).hasValue(0);
	}

	private PolicyEngine budgetedEngine(long tokensPerDay) {
		PolicyEngine budgeted = PolicyEngine.builder().clock(this.clock).build();
		budgeted.setQuota("spender", ResourceQuota.builder("spender")
			.budgets(Budget.builder(BudgetUnit.TOKENS).limit(tokensPerDay).per("day").build())
			.build());
		return budgeted;
	}

	private static long tokensLeft(PolicyEngine engine) {
		return engine.snapshot("spender").orElseThrow().budgets().get(0).remaining();
	}

	/** Counts every text as the same number of tokens, and how often it was asked. */
	static final class CountingEstimator implements TokenCountEstimator {

		final AtomicInteger calls = new AtomicInteger();

		private final int tokens;

		CountingEstimator(int tokens) {
			this.tokens = tokens;
		}

		@Override
		public int estimate(String text) {
			this.calls.incrementAndGet();
			return this.tokens;
		}

		@Override
		public int estimate(MediaContent content) {
			return estimate(content.getText());
		}

		@Override
		public int estimate(Iterable<MediaContent> contents) {
			int total = 0;
			for (MediaContent content : contents) {
				total += estimate(content);
			}
			return total;
		}

	}

	static final class FailingModel implements ChatModel {

		private final RuntimeException failure;

		FailingModel(RuntimeException failure) {
			this.failure = failure;
		}

		@Override
		public ChatResponse call(Prompt prompt) {
			throw this.failure;
		}

		@Override
		public Flux<ChatResponse> stream(Prompt prompt) {
			return Flux.error(this.failure);
		}

	}

	private static ToolCallback tool(AtomicInteger runs) {
		return FunctionToolCallback.builder("weather", (City city) -> {
			runs.incrementAndGet();
			return "sunny";
		}).description("The weather").inputType(City.class).build();
	}

	record City(String city) {
	}

	private AgentQuotaAdvisor.Builder advisor() {
		return AgentQuotaAdvisor.builder(this.engine).defaultAgentId("agent").providerRateLimits(this.limits)
			.listener(this.listener);
	}

	private static ChatClient client(ChatModel model, AgentQuotaAdvisor advisor) {
		return ChatClient.builder(model).defaultAdvisors(advisor).build();
	}

	record Figures(Long getRequestsLimit, Long getRequestsRemaining, Duration getRequestsReset, Long getTokensLimit,
			Long getTokensRemaining, Duration getTokensReset) implements RateLimit {
	}

	static final class StubModel implements ChatModel {

		final AtomicInteger calls = new AtomicInteger();

		private final RateLimit rateLimit;

		StubModel(RateLimit rateLimit) {
			this.rateLimit = rateLimit;
		}

		@Override
		public ChatResponse call(Prompt prompt) {
			this.calls.incrementAndGet();
			ChatResponseMetadata.Builder metadata = ChatResponseMetadata.builder().model("stub-model")
				.usage(new DefaultUsage(3, 4));
			if (this.rateLimit != null) {
				metadata.rateLimit(this.rateLimit);
			}
			return ChatResponse.builder().generations(List.of(new Generation(new AssistantMessage("ok"))))
				.metadata(metadata.build())
				.build();
		}

		@Override
		public Flux<ChatResponse> stream(Prompt prompt) {
			return Flux.defer(() -> Flux.just(call(prompt)));
		}

	}

}
