package io.agentcontrolplane.springai;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.agentcontrolplane.quota.Budget;
import io.agentcontrolplane.quota.BudgetStatus;
import io.agentcontrolplane.quota.BudgetUnit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.Pricing;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.RejectionReason;
import io.agentcontrolplane.quota.ResourceQuota;
import io.agentcontrolplane.test.MutableClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Token and cost budgets of model calls with Spring AI's real OpenAI client against a fake
 * OpenAI-compatible server on 127.0.0.1: every budget ends at exactly the usage the server
 * reported ({@value FakeOpenAiServer#PROMPT_TOKENS} prompt and
 * {@value FakeOpenAiServer#COMPLETION_TOKENS} completion tokens per response), and an estimate
 * that does not fit is refused before the server sees the request.
 */
@SpringBootTest(classes = SpringAiOpenAiIntegrationTests.TestApplication.class,
		properties = { "spring.ai.openai.api-key=test-key", "spring.ai.openai.max-retries=0",
				"spring.ai.model.embedding=none", "spring.ai.model.image=none", "spring.ai.model.audio.speech=none",
				"spring.ai.model.audio.transcription=none", "spring.ai.model.moderation=none" })
class SpringAiBudgetIntegrationTests {

	private static final FakeOpenAiServer server = new FakeOpenAiServer();

	private static final Duration BOUND = Duration.ofSeconds(20);

	private static final long TOKENS_PER_RESPONSE = FakeOpenAiServer.PROMPT_TOKENS + FakeOpenAiServer.COMPLETION_TOKENS;

	/**
	 * The cost of one response in millionths of a dollar: 11 x 1.50 + 7 x 6.00 = 58.5, rounded
	 * up.
	 */
	private static final long COST_PER_RESPONSE = 59;

	private static final int MAX_OUTPUT_TOKENS = 500;

	@DynamicPropertySource
	static void openAi(DynamicPropertyRegistry registry) {
		registry.add("spring.ai.openai.base-url", server::baseUrl);
	}

	@AfterAll
	static void stopServer() {
		server.close();
	}

	@Autowired
	private ChatModel chatModel;

	private final MutableClock clock = new MutableClock();

	private final PolicyEngine engine = PolicyEngine.builder()
		.clock(this.clock)
		.pricing(Pricing.builder("USD")
			.model(FakeOpenAiServer.MODEL, SpringAiOpenAiIntegrationTests.PRICE_INPUT,
					SpringAiOpenAiIntegrationTests.PRICE_OUTPUT)
			.build())
		.build();

	private final SpringAiOpenAiIntegrationTests.WeatherTools weather = new SpringAiOpenAiIntegrationTests.WeatherTools();

	@BeforeEach
	void resetServer() {
		server.reset();
	}

	@Test
	void callReservesTheEstimateThenEndsEachBudgetAtTheReportedUsage() throws Exception {
		budgets("spender", 10_000);
		ChatClient client = client(advisor("spender"));
		server.holdRequests();
		CompletableFuture<String> answer = CompletableFuture.supplyAsync(() -> client.prompt("hi").call().content());
		try {
			assertThat(server.awaitArrivals(1)).isTrue();
			// While the request runs, the estimate is reserved: the prompt's tokens and the answer's maximum.
			assertThat(tokens("spender").remaining()).isLessThanOrEqualTo(10_000 - MAX_OUTPUT_TOKENS)
				.isGreaterThan(10_000 - MAX_OUTPUT_TOKENS - 50);
		}
		finally {
			server.openRequests();
		}
		assertThat(answer.get(BOUND.toSeconds(), TimeUnit.SECONDS)).isEqualTo("Hello from the fake model");
		assertThat(tokens("spender").spent()).isEqualTo(TOKENS_PER_RESPONSE);
		assertThat(tokens("spender").remaining()).isEqualTo(10_000 - TOKENS_PER_RESPONSE);
		assertThat(cost("spender").spent()).isEqualTo(COST_PER_RESPONSE);
		assertThat(cost("spender").remainingAmount()).isEqualByComparingTo("0.999941");
		assertThat(this.engine.snapshot("spender").orElseThrow().inFlight()).isZero();
	}

	@Test
	void streamEndsEachBudgetAtTheUsageOfItsLastChunk() {
		budgets("streamer", 10_000);
		ChatClient client = client(advisor("streamer"));
		List<String> parts = client.prompt("hi").stream().content().collectList().block(BOUND);
		assertThat(parts).containsExactly("Hello", " world");
		assertThat(tokens("streamer").spent()).isEqualTo(TOKENS_PER_RESPONSE);
		assertThat(cost("streamer").spent()).isEqualTo(COST_PER_RESPONSE);
		assertThat(this.engine.snapshot("streamer").orElseThrow().inFlight()).isZero();
	}

	@Test
	void modelRequestScopeSettlesEachRequestOfAToolRoundTrip() {
		budgets("per-request", 10_000);
		ChatClient client = client(advisor("per-request").permitScope(PermitScope.MODEL_REQUEST));
		assertThat(client.prompt("Please use the weather tool for Paris").tools(this.weather).call().content())
			.isEqualTo("It is sunny in Paris.");
		assertThat(server.requests()).isEqualTo(2);
		assertThat(tokens("per-request").spent()).isEqualTo(2 * TOKENS_PER_RESPONSE);
		assertThat(cost("per-request").spent()).isEqualTo(2 * COST_PER_RESPONSE);
		assertThat(this.engine.statistics("per-request").orElseThrow().acquired()).isEqualTo(2);
	}

	@Test
	void chatClientCallScopeSettlesEveryRequestOfAToolRoundTripOnItsOnePermit() {
		budgets("per-call", 10_000);
		ChatClient client = client(advisor("per-call").permitScope(PermitScope.CHAT_CLIENT_CALL));
		assertThat(client.prompt("Please use the weather tool for Paris").tools(this.weather).stream().content()
			.collectList().block(BOUND)).isNotEmpty();
		assertThat(server.requests()).isEqualTo(2);
		assertThat(tokens("per-call").spent()).isEqualTo(2 * TOKENS_PER_RESPONSE);
		// One settlement of 22 input and 14 output tokens: 22 x 1.50 + 14 x 6.00 = 117, exact.
		assertThat(cost("per-call").spent()).isEqualTo(117);
		assertThat(this.engine.statistics("per-call").orElseThrow().acquired()).isEqualTo(1);
	}

	@Test
	void estimateLargerThanTheBudgetIsRefusedBeforeTheServerSeesIt() {
		budgets("small", MAX_OUTPUT_TOKENS);
		ChatClient client = client(advisor("small"));
		assertThatExceptionOfType(QuotaExceededException.class).isThrownBy(() -> client.prompt("hi").call().content())
			.satisfies((refusal) -> {
				assertThat(refusal.reason()).isEqualTo(RejectionReason.BUDGET_EXHAUSTED);
				assertThat(refusal.retryAfter()).isEmpty();
			});
		assertThatExceptionOfType(QuotaExceededException.class)
			.isThrownBy(() -> client.prompt("hi").stream().content().blockLast(BOUND))
			.satisfies((refusal) -> assertThat(refusal.reason()).isEqualTo(RejectionReason.BUDGET_EXHAUSTED));
		assertThat(server.requests()).isZero();
		assertThat(tokens("small").spent()).isZero();
		assertThat(this.engine.snapshot("small").orElseThrow().rejectedByReason())
			.containsEntry(RejectionReason.BUDGET_EXHAUSTED, 2L);
	}

	@Test
	void estimateThatDoesNotFitBesideAnotherCallsReservationWaitsForTheNextWindow() throws Exception {
		budgets("busy", MAX_OUTPUT_TOKENS + 100);
		ChatClient client = client(advisor("busy"));
		server.holdRequests();
		CompletableFuture<String> first = CompletableFuture.supplyAsync(() -> client.prompt("hi").call().content());
		try {
			assertThat(server.awaitArrivals(1)).isTrue();
			assertThatExceptionOfType(QuotaExceededException.class)
				.isThrownBy(() -> client.prompt("hi").call().content())
				.satisfies((refusal) -> {
					assertThat(refusal.reason()).isEqualTo(RejectionReason.BUDGET_EXHAUSTED);
					// A calendar day: the whole limit comes back at the next midnight of the clock.
					assertThat(refusal.retryAfter()).contains(Duration.ofDays(1));
				});
		}
		finally {
			server.openRequests();
		}
		first.get(BOUND.toSeconds(), TimeUnit.SECONDS);
		assertThat(server.requests()).isEqualTo(1);
		assertThat(tokens("busy").spent()).isEqualTo(TOKENS_PER_RESPONSE);
		assertThat(client.prompt("hi").call().content()).isEqualTo("Hello from the fake model");
		assertThat(tokens("busy").spent()).isEqualTo(2 * TOKENS_PER_RESPONSE);
	}

	private void budgets(String agentId, long tokensPerDay) {
		this.engine.setQuota(agentId, ResourceQuota.builder(agentId)
			.maxConcurrentExecutions(2)
			.budgets(Budget.builder(BudgetUnit.TOKENS).limit(tokensPerDay).per("day").build(),
					Budget.builder(BudgetUnit.COST).limit("1.00").per("day").build())
			.build());
	}

	private BudgetStatus tokens(String agentId) {
		return status(agentId, BudgetUnit.TOKENS);
	}

	private BudgetStatus cost(String agentId) {
		return status(agentId, BudgetUnit.COST);
	}

	private BudgetStatus status(String agentId, BudgetUnit unit) {
		return this.engine.snapshot(agentId).orElseThrow().budgets().stream()
			.filter((status) -> status.budget().unit() == unit)
			.findFirst()
			.orElseThrow();
	}

	private AgentQuotaAdvisor.Builder advisor(String agentId) {
		return AgentQuotaAdvisor.builder(this.engine)
			.defaultAgentId(agentId)
			.defaultMaxOutputTokens(MAX_OUTPUT_TOKENS)
			.toolGovernance(ToolGovernance.builder(this.engine).build());
	}

	private ChatClient client(AgentQuotaAdvisor.Builder advisor) {
		return ChatClient.builder(this.chatModel).defaultAdvisors(advisor.build()).build();
	}

}
