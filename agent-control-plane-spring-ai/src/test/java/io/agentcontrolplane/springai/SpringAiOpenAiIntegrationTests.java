package io.agentcontrolplane.springai;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.Pricing;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.QuotaListener;
import io.agentcontrolplane.quota.QuotaSnapshot;
import io.agentcontrolplane.quota.RejectionReason;
import io.agentcontrolplane.quota.ResourceQuota;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.ai.tool.annotation.Tool;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.awaitility.Awaitility.await;

/**
 * Spring AI's real OpenAI client against a fake OpenAI-compatible server on 127.0.0.1, with the
 * quota advisor and tool governance in between.
 */
@SpringBootTest(classes = SpringAiOpenAiIntegrationTests.TestApplication.class,
		properties = { "spring.ai.openai.api-key=test-key", "spring.ai.openai.max-retries=0",
				"spring.ai.model.embedding=none", "spring.ai.model.image=none", "spring.ai.model.audio.speech=none",
				"spring.ai.model.audio.transcription=none", "spring.ai.model.moderation=none" })
class SpringAiOpenAiIntegrationTests {

	private static final FakeOpenAiServer server = new FakeOpenAiServer();

	private static final Duration BOUND = Duration.ofSeconds(20);

	/** Price of a million input tokens of the fake model. */
	static final String PRICE_INPUT = "1.50";

	/** Price of a million output tokens of the fake model. */
	static final String PRICE_OUTPUT = "6.00";

	@DynamicPropertySource
	static void openAi(DynamicPropertyRegistry registry) {
		registry.add("spring.ai.openai.base-url", server::baseUrl);
	}

	@AfterAll
	static void stopServer() {
		server.close();
	}

	@Autowired
	private PolicyEngine engine;

	@Autowired
	private ChatModel chatModel;

	@Autowired
	private ChatClient.Builder chatClientBuilder;

	@Autowired
	private AgentQuotaAdvisor autoConfiguredAdvisor;

	@Autowired
	private ProviderRateLimits providerRateLimits;

	private final RecordingListener listener = new RecordingListener();

	private final WeatherTools weather = new WeatherTools();

	@BeforeEach
	void resetServer() {
		server.reset();
	}

	@Test
	void plainCallPassesTheAgentsQuotaAndReportsUsage() {
		this.engine.setQuota("plain", ResourceQuota.of("plain", 2));
		ChatClient client = this.chatClientBuilder.build();
		String answer = client.prompt("hi")
			.advisors((a) -> a.advisors(this.autoConfiguredAdvisor).param(AgentQuotaAdvisor.AGENT_ID, "plain"))
			.call()
			.content();
		assertThat(answer).isEqualTo("Hello from the fake model");
		assertThat(this.engine.statistics("plain").orElseThrow().acquired()).isEqualTo(1);
		assertThat(this.engine.snapshot("plain").orElseThrow().inFlight()).isZero();
		assertThat(TestApplication.LISTENER.usages).anySatisfy((usage) -> {
			assertThat(usage.agentId()).isEqualTo("plain");
			assertThat(usage.model()).isEqualTo(FakeOpenAiServer.MODEL);
			assertThat(usage.promptTokens()).isEqualTo(FakeOpenAiServer.PROMPT_TOKENS);
			assertThat(usage.completionTokens()).isEqualTo(FakeOpenAiServer.COMPLETION_TOKENS);
			assertThat(usage.streamed()).isFalse();
		});
	}

	@Test
	void callWithoutAnAgentFails() {
		ChatClient client = this.chatClientBuilder.defaultAdvisors(this.autoConfiguredAdvisor).build();
		assertThatExceptionOfType(IllegalStateException.class).isThrownBy(() -> client.prompt("hi").call().content())
			.withMessageContaining("AgentQuotaAdvisor.AGENT_ID");
		assertThat(server.requests()).isZero();
	}

	@Test
	void limitHoldsUnderTwentyParallelCalls() throws Exception {
		this.engine.setQuota("parallel",
				ResourceQuota.builder("parallel").maxConcurrentExecutions(3).maxWait(Duration.ofSeconds(30)).build());
		ChatClient client = client(advisor("parallel").build());
		server.holdRequests();
		ExecutorService callers = Executors.newFixedThreadPool(20);
		try {
			List<CompletableFuture<String>> answers = new ArrayList<>();
			for (int i = 0; i < 20; i++) {
				answers.add(CompletableFuture.supplyAsync(() -> client.prompt("hi").call().content(), callers));
			}
			assertThat(server.awaitArrivals(3)).isTrue();
			await().atMost(BOUND).until(() -> this.engine.snapshot("parallel").orElseThrow().waiting() == 17);
			assertThat(server.inFlight()).isEqualTo(3);
			server.openRequests();
			CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).get(BOUND.toSeconds(), TimeUnit.SECONDS);
			assertThat(answers).allSatisfy((answer) -> assertThat(answer.join()).isEqualTo("Hello from the fake model"));
		}
		finally {
			server.openRequests();
			callers.shutdownNow();
		}
		assertThat(server.requests()).isEqualTo(20);
		assertThat(server.maxInFlight()).isEqualTo(3);
		assertThat(this.engine.statistics("parallel").orElseThrow().acquired()).isEqualTo(20);
		assertThat(this.engine.snapshot("parallel").orElseThrow().inFlight()).isZero();
	}

	@Test
	void streamHoldsItsPermitUntilItCompletesAndReportsUsage() {
		this.engine.setQuota("streaming", ResourceQuota.of("streaming", 1));
		ChatClient client = client(advisor("streaming").build());
		server.holdStreamsAfterFirstChunk();
		List<String> parts = new ArrayList<>();
		Flux<String> content = client.prompt("hi").stream().content();
		Disposable subscription = content.subscribe(parts::add);
		try {
			await().atMost(BOUND).until(() -> parts.size() == 1);
			assertThat(this.engine.snapshot("streaming").orElseThrow().inFlight()).isEqualTo(1);
			server.openStreams();
			await().atMost(BOUND).until(subscription::isDisposed);
		}
		finally {
			subscription.dispose();
		}
		assertThat(String.join("", parts)).isEqualTo("Hello world");
		await().atMost(BOUND).until(() -> this.engine.snapshot("streaming").orElseThrow().inFlight() == 0);
		assertThat(this.listener.usages).singleElement().satisfies((usage) -> {
			assertThat(usage.streamed()).isTrue();
			assertThat(usage.promptTokens()).isEqualTo(FakeOpenAiServer.PROMPT_TOKENS);
			assertThat(usage.completionTokens()).isEqualTo(FakeOpenAiServer.COMPLETION_TOKENS);
		});
	}

	@Test
	void streamCancelledMidwayReleasesItsPermit() throws Exception {
		this.engine.setQuota("cancelled", ResourceQuota.of("cancelled", 1));
		ChatClient client = client(advisor("cancelled").build());
		server.holdStreamsAfterFirstChunk();
		List<String> parts = new ArrayList<>();
		Disposable subscription = client.prompt("hi").stream().content().subscribe(parts::add);
		await().atMost(BOUND).until(() -> parts.size() == 1);
		assertThat(this.engine.snapshot("cancelled").orElseThrow().inFlight()).isEqualTo(1);
		// Spring AI's OpenAI client blocks the cancelling thread until its pending read returns,
		// so cancel from another thread; the permit must come back before the server goes on.
		CompletableFuture<Void> cancelled = CompletableFuture.runAsync(subscription::dispose);
		await().atMost(BOUND).until(() -> this.engine.snapshot("cancelled").orElseThrow().inFlight() == 0);
		server.openStreams();
		cancelled.get(BOUND.toSeconds(), TimeUnit.SECONDS);
		assertThat(parts).containsExactly("Hello");
		assertThat(this.engine.tryAcquire("cancelled")).hasValueSatisfying((permit) -> permit.close());
	}

	@Test
	void modelRequestScopeTakesOnePermitPerModelRequestOfAToolRoundTrip() {
		this.engine.setQuota("per-request", ResourceQuota.of("per-request", 1));
		ChatClient client = client(advisor("per-request").permitScope(PermitScope.MODEL_REQUEST).build());
		String answer = client.prompt("Please use the weather tool for Paris").tools(this.weather).call().content();
		assertThat(answer).isEqualTo("It is sunny in Paris.");
		assertThat(this.weather.calls).hasValue(1);
		assertThat(server.requests()).isEqualTo(2);
		assertThat(this.engine.statistics("per-request").orElseThrow().acquired()).isEqualTo(2);
		assertThat(this.listener.usages).hasSize(2);
		assertThat(this.listener.allowedTools).containsExactly("per-request/weather/tool:weather");
	}

	@Test
	void streamWithAToolRoundTripTakesOnePermitPerModelRequest() {
		this.engine.setQuota("stream-tool", ResourceQuota.of("stream-tool", 1));
		ChatClient client = client(advisor("stream-tool").permitScope(PermitScope.MODEL_REQUEST).build());
		List<String> parts = client.prompt("Please use the weather tool for Paris")
			.tools(this.weather)
			.stream()
			.content()
			.collectList()
			.block(BOUND);
		assertThat(parts).isNotNull();
		assertThat(String.join("", parts)).isEqualTo("Hello world");
		assertThat(this.weather.calls).hasValue(1);
		assertThat(server.requests()).isEqualTo(2);
		assertThat(this.engine.statistics("stream-tool").orElseThrow().acquired()).isEqualTo(2);
		await().atMost(BOUND).until(() -> this.engine.snapshot("stream-tool").orElseThrow().inFlight() == 0);
	}

	@Test
	void chatClientCallScopeTakesOnePermitForAToolRoundTrip() {
		this.engine.setQuota("per-call", ResourceQuota.of("per-call", 1));
		ChatClient client = client(advisor("per-call").permitScope(PermitScope.CHAT_CLIENT_CALL).build());
		String answer = client.prompt("Please use the weather tool for Paris").tools(this.weather).call().content();
		assertThat(answer).isEqualTo("It is sunny in Paris.");
		assertThat(this.weather.calls).hasValue(1);
		assertThat(server.requests()).isEqualTo(2);
		assertThat(this.engine.statistics("per-call").orElseThrow().acquired()).isEqualTo(1);
		assertThat(this.listener.usages).hasSize(2);
	}

	@Test
	void refusedToolIsToldToTheModelAndCountedByTheEngine() {
		this.engine.setQuota("told", ResourceQuota.builder("told").allowedActions("api-call", "tool:search").build());
		ToolGovernance governance = governance().refusalMode(ToolRefusalMode.TELL_MODEL).build();
		ChatClient client = client(advisor("told").toolGovernance(governance).build());
		String answer = client.prompt("Please use the weather tool for Paris").tools(this.weather).call().content();
		assertThat(answer).isEqualTo("I cannot check the weather right now.");
		assertThat(this.weather.calls).hasValue(0);
		assertThat(server.requests()).isEqualTo(2);
		assertThat(server.bodies().get(1)).contains("tool_call_refused").contains("ACTION_NOT_ALLOWED");
		assertThat(this.listener.refusals).singleElement()
			.satisfies((refusal) -> assertThat(refusal.reason()).isEqualTo(RejectionReason.ACTION_NOT_ALLOWED));
		assertRefusedOnceByTheEngine("told");
	}

	@Test
	void refusedToolIsThrownToTheCallerAndCountedByTheEngine() {
		this.engine.setQuota("thrown", ResourceQuota.builder("thrown").allowedActions("api-call").build());
		ToolGovernance governance = governance().refusalMode(ToolRefusalMode.THROW).build();
		ChatClient client = client(advisor("thrown").toolGovernance(governance).build());
		assertThatExceptionOfType(QuotaExceededException.class)
			.isThrownBy(() -> client.prompt("Please use the weather tool for Paris").tools(this.weather).call().content())
			.satisfies((refusal) -> {
				assertThat(refusal.agentId()).isEqualTo("thrown");
				assertThat(refusal.reason()).isEqualTo(RejectionReason.ACTION_NOT_ALLOWED);
				assertThat(refusal.getMessage()).contains("'tool:weather'");
			});
		assertThat(this.weather.calls).hasValue(0);
		assertThat(server.requests()).isEqualTo(1);
		assertThat(this.listener.refusals).hasSize(1);
		assertThat(this.engine.snapshot("thrown").orElseThrow().inFlight()).isZero();
		assertRefusedOnceByTheEngine("thrown");
	}

	@Test
	void toolWhoseActionNameIsAllowedRuns() {
		this.engine.setQuota("allowed",
				ResourceQuota.builder("allowed").allowedActions("api-call", "weather.read").build());
		ToolGovernance governance = governance().actionName("weather", "weather.read").build();
		ChatClient client = client(advisor("allowed").toolGovernance(governance).build());
		String answer = client.prompt("Please use the weather tool for Paris").tools(this.weather).call().content();
		assertThat(answer).isEqualTo("It is sunny in Paris.");
		assertThat(this.weather.calls).hasValue(1);
		assertThat(this.engine.snapshot("allowed").orElseThrow().rejected()).isZero();
		assertThat(this.listener.allowedTools).containsExactly("allowed/weather/weather.read");
	}

	private void assertRefusedOnceByTheEngine(String agentId) {
		QuotaSnapshot snapshot = this.engine.snapshot(agentId).orElseThrow();
		assertThat(snapshot.rejected()).isEqualTo(1);
		assertThat(snapshot.rejectedByReason()).containsEntry(RejectionReason.ACTION_NOT_ALLOWED, 1L);
		assertThat(TestApplication.ENGINE_REFUSALS).contains(agentId + "/ACTION_NOT_ALLOWED");
	}

	@Test
	void runawayToolLoopIsStoppedOnceTheModelIgnoresTheRefusal() {
		ToolGovernance governance = governance().maxToolCallsPerCall(2).build();
		ChatClient client = client(advisor("runaway").toolGovernance(governance).build());
		assertThatExceptionOfType(ToolCallLimitExceededException.class)
			.isThrownBy(() -> client.prompt("Please keep calling the weather tool").tools(this.weather).call().content())
			.satisfies((refusal) -> {
				assertThat(refusal.limit()).isEqualTo(2);
				assertThat(refusal.attempt()).isEqualTo(4);
			});
		assertThat(this.weather.calls).hasValue(2);
		assertThat(server.requests()).isEqualTo(4);
		assertThat(server.bodies().get(3)).contains("tool_call_refused");
		assertThat(this.listener.refusals).hasSize(2);
	}

	@Test
	void toolWithItsOwnQuotaKeyIsRefusedWhenItsSlotsAreTaken() {
		this.engine.setQuota("tool:weather", ResourceQuota.of("tool:weather", 1));
		this.engine.setQuota("keyed", ResourceQuota.of("keyed", 2));
		ChatClient client = client(advisor("keyed").toolGovernance(governance().build()).build());
		try (var held = this.engine.tryAcquire("tool:weather").orElseThrow()) {
			String answer = client.prompt("Please use the weather tool for Paris").tools(this.weather).call().content();
			assertThat(answer).isEqualTo("I cannot check the weather right now.");
		}
		finally {
			this.engine.removeQuota("tool:weather");
		}
		assertThat(this.weather.calls).hasValue(0);
		assertThat(this.listener.refusals).singleElement()
			.satisfies((refusal) -> assertThat(refusal.reason()).isEqualTo(RejectionReason.CONCURRENCY_LIMIT));
	}

	@Test
	void pausesTheModelUntilTheResetOnceTheRateLimitHeadersReportNoRequestsLeft() {
		// Spring AI 2.0.1's OpenAI client leaves RateLimit out of the response metadata; the
		// auto-configured OpenAiRateLimitHeaders reads the headers instead.
		server.header("x-ratelimit-limit-requests", "100");
		server.header("x-ratelimit-remaining-requests", "0");
		server.header("x-ratelimit-reset-requests", "5s");
		server.header("x-ratelimit-limit-tokens", "40000");
		server.header("x-ratelimit-remaining-tokens", "39000");
		server.header("x-ratelimit-reset-tokens", "6m0s");
		ChatClient client = client(
				this.autoConfiguredAdvisor.mutate().defaultAgentId("headers").pauseOnProviderLimit(true).build());
		assertThat(client.prompt("hi").call().content()).isEqualTo("Hello from the fake model");
		assertThat(this.providerRateLimits.all()).filteredOn((limit) -> limit.agentId().equals("headers"))
			.singleElement()
			.satisfies((limit) -> {
				assertThat(limit.requestsLimit()).isEqualTo(100L);
				assertThat(limit.requestsRemaining()).isZero();
				assertThat(limit.tokensRemaining()).isEqualTo(39000L);
			});
		assertThatExceptionOfType(QuotaExceededException.class).isThrownBy(() -> client.prompt("hi").call().content())
			.satisfies((refusal) -> {
				assertThat(refusal.reason()).isEqualTo(RejectionReason.RATE_LIMIT);
				assertThat(refusal.retryAfter()).hasValueSatisfying(
						(retry) -> assertThat(retry).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(5)));
			});
		assertThat(server.requests()).isEqualTo(1);
		assertThat(server.taggedRequests()).isZero();
		server.header("x-ratelimit-remaining-requests", "99");
		await().atMost(BOUND).ignoreException(QuotaExceededException.class)
			.until(() -> client.prompt("hi").call().content().equals("Hello from the fake model"));
		assertThat(server.requests()).isEqualTo(2);
	}

	private AgentQuotaAdvisor.Builder advisor(String agentId) {
		return AgentQuotaAdvisor.builder(this.engine)
			.defaultAgentId(agentId)
			.toolGovernance(governance().build())
			.listener(this.listener);
	}

	private ToolGovernance.Builder governance() {
		return ToolGovernance.builder(this.engine).listener(this.listener);
	}

	private ChatClient client(AgentQuotaAdvisor advisor) {
		return ChatClient.builder(this.chatModel).defaultAdvisors(advisor).build();
	}

	static final class WeatherTools {

		final AtomicInteger calls = new AtomicInteger();

		@Tool(description = "The current weather in a city")
		String weather(String city) {
			this.calls.incrementAndGet();
			return "sunny in " + city;
		}

	}

	@SpringBootConfiguration
	@EnableAutoConfiguration
	static class TestApplication {

		static final RecordingListener LISTENER = new RecordingListener();

		/** What the engine's listeners heard refused, as agent/reason. */
		static final List<String> ENGINE_REFUSALS = new CopyOnWriteArrayList<>();

		@Bean
		PolicyEngine policyEngine() {
			PolicyEngine engine = PolicyEngine.builder()
				.pricing(Pricing.builder("USD").model(FakeOpenAiServer.MODEL, PRICE_INPUT, PRICE_OUTPUT).build())
				.build();
			engine.addListener(new QuotaListener() {

				@Override
				public void onRejected(String agentId, RejectionReason reason, long waitNanos) {
					ENGINE_REFUSALS.add(agentId + "/" + reason);
				}

			});
			return engine;
		}

		@Bean
		RecordingListener recordingListener() {
			return LISTENER;
		}

	}

}
