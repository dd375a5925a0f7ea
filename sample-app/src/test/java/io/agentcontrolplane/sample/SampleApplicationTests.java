package io.agentcontrolplane.sample;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import com.jayway.jsonpath.JsonPath;
import io.agentcontrolplane.quota.Budget;
import io.agentcontrolplane.quota.BudgetUnit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.ResourceQuota;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The sample's REST API over HTTP, with the model held by the test where it matters.
 */
@SpringBootTest(classes = SampleApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT)
@Import(GatedModelConfiguration.class)
class SampleApplicationTests {

	@LocalServerPort
	private int port;

	@Autowired
	private GatedModelLatency model;

	@Autowired
	private SimulatedChatModel chatModel;

	@Autowired
	private AgentService agents;

	@Autowired
	private EmailTools email;

	@Autowired
	private PolicyEngine engine;

	private SampleHttp http;

	@BeforeEach
	void createClient() {
		this.http = new SampleHttp(this.port);
	}

	@AfterEach
	void openModel() {
		this.model.open();
	}

	@Test
	void agentThinks() {
		HttpResponse<String> response = this.http.post("/agents/planner/think");
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(JsonPath.<String>read(response.body(), "$.agent")).isEqualTo("planner");
		assertThat(JsonPath.<String>read(response.body(), "$.answer")).contains("plan the next step");
	}

	@Test
	void aQuestionMakesOneToolRoundTripThroughTheSimulatedModel() {
		long requests = this.chatModel.requests();
		long acquired = quota("planner", "acquired");
		long toolCalls = usage("planner", "toolCalls");
		HttpResponse<String> response = this.http.post("/agents/planner/think");
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(JsonPath.<String>read(response.body(), "$.answer")).startsWith("Using search for 'plan the next step'")
			.contains("top result");
		assertThat(JsonPath.<String>read(response.body(), "$.model")).isEqualTo(SimulatedChatModel.MODEL);
		assertThat(this.chatModel.requests() - requests).as("model requests").isEqualTo(2);
		assertThat(usage("planner", "toolCalls") - toolCalls).as("tool calls").isEqualTo(1);
		assertThat(quota("planner", "acquired") - acquired).as("permits, one per model request").isEqualTo(2);
		assertThat(quota("planner", "inFlight")).isZero();
	}

	@Test
	void theCriticsEmailToolIsRefusedAndCounted() {
		long refusals = usage("critic", "toolRefusals");
		HttpResponse<String> response = this.http.post("/agents/critic/think");
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(JsonPath.<String>read(response.body(), "$.answer")).startsWith("I was not allowed to use send-email")
			.contains("ACTION_NOT_ALLOWED");
		assertThat(usage("critic", "toolRefusals") - refusals).isEqualTo(1);
		assertThat(JsonPath.<String>read(this.http.get("/usage").body(), "$.critic.lastRefusal"))
			.isEqualTo("send-email: ACTION_NOT_ALLOWED");
		assertThat(this.email.sent()).isZero();
		String scrape = this.http.get("/actuator/prometheus").body();
		assertThat(scrape).containsPattern(
				"agent_control_plane_tool_calls_total\\{agent=\"critic\",outcome=\"refused\",reason=\"ACTION_NOT_ALLOWED\",tool=\"send-email\"} [1-9]");
	}

	@Test
	void tokensShowUpPerAgent() {
		assertThat(this.http.post("/agents/researcher/think").statusCode()).isEqualTo(200);
		String usage = this.http.get("/usage").body();
		assertThat(JsonPath.<Integer>read(usage, "$.researcher.tokensPerMinute")).isPositive();
		assertThat(JsonPath.<Integer>read(usage, "$.researcher.promptTokens")).isPositive();
		assertThat(JsonPath.<Integer>read(usage, "$.researcher.completionTokens")).isPositive();
		assertThat(JsonPath.<Integer>read(usage, "$.researcher.modelRequests")).isGreaterThanOrEqualTo(2);
		assertThat(JsonPath.<String>read(usage, "$.researcher.model")).isEqualTo(SimulatedChatModel.MODEL);
		assertThat(JsonPath.<Double>read(usage, "$.researcher.costToday")).isPositive();
	}

	@Test
	void streamingAnswersOverSseAndReleasesItsPermit() {
		long requests = this.chatModel.requests();
		HttpResponse<String> response = this.http.get("/agents/coder/think/stream?prompt=refactor");
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(response.headers().firstValue("Content-Type")).hasValueSatisfying(
				(type) -> assertThat(type).startsWith("text/event-stream"));
		assertThat(response.body()).contains("data:Using ").contains("search");
		assertThat(this.chatModel.requests() - requests).isEqualTo(2);
		assertThat(quota("coder", "inFlight")).isZero();
	}

	@Test
	void aCancelledStreamReleasesItsPermit() throws InterruptedException {
		this.model.close();
		CountDownLatch failed = new CountDownLatch(1);
		Disposable stream = this.agents.thinkStreaming("critic", "review")
			.subscribe((chunk) -> { }, (error) -> failed.countDown());
		assertThat(this.model.awaitEntered(1, Duration.ofSeconds(10))).isTrue();
		assertThat(quota("critic", "inFlight")).isEqualTo(1);
		stream.dispose();
		awaitTrue("the critic's permit is returned", () -> quota("critic", "inFlight") == 0);
		this.model.open();
		assertThat(this.http.post("/agents/critic/think").statusCode()).isEqualTo(200);
		assertThat(failed.getCount()).isEqualTo(1);
	}

	@Test
	void unknownAgentIsNotFound() {
		assertThat(this.http.post("/agents/nobody/think").statusCode()).isEqualTo(404);
	}

	@Test
	void callBeyondTheQuotaIsTooManyRequests() throws InterruptedException {
		this.model.close();
		CompletableFuture<HttpResponse<String>> held = this.http.postAsync("/agents/critic/think");
		assertThat(this.model.awaitEntered(1, Duration.ofSeconds(10))).isTrue();
		HttpResponse<String> refused = this.http.post("/agents/critic/think");
		assertThat(refused.statusCode()).isEqualTo(429);
		assertThat(refused.body()).contains("critic");
		this.model.open();
		assertThat(SampleHttp.join(held).statusCode()).isEqualTo(200);
	}

	@Test
	void toolCallsFanOutThroughTheBoundedExecutorInOrder() {
		HttpResponse<String> response = this.http.post("/agents/researcher/tools?calls=12");
		assertThat(response.statusCode()).isEqualTo(200);
		List<String> results = JsonPath.read(response.body(), "$.results");
		assertThat(results).hasSize(12);
		for (int i = 0; i < results.size(); i++) {
			assertThat(results.get(i)).startsWith("researcher tool call #" + i + " ");
		}
		String toolRunner = this.http.get("/actuator/quotas/tool-runner").body();
		assertThat(JsonPath.<Integer>read(toolRunner, "$.acquired")).isGreaterThanOrEqualTo(12);
		assertThat(JsonPath.<Integer>read(toolRunner, "$.inFlight")).isZero();
	}

	@Test
	void prometheusShowsTheAgentMeters() {
		assertThat(this.http.post("/agents/coder/think").statusCode()).isEqualTo(200);
		String scrape = this.http.get("/actuator/prometheus").body();
		assertThat(scrape).contains("agent_quota_limit_permits{agent=\"coder\"} 3.0")
			.contains("agent_quota_limit_permits{agent=\"critic\"} 1.0")
			.containsPattern("agent_quota_calls_total\\{agent=\"coder\",outcome=\"permitted\",reason=\"none\"} [1-9]");
	}

	@Test
	void theThinkingAgentsHaveTokenAndCostBudgetsTheEndpointShows() {
		String quotas = this.http.get("/actuator/quotas").body();
		for (String agent : List.of("planner", "researcher", "coder", "critic")) {
			List<String> units = JsonPath.read(quotas, "$.agents['" + agent + "'].budgets[*].unit");
			assertThat(units).as(agent).contains("tokens", "cost");
			List<Object> resets = JsonPath.read(quotas, "$.agents['" + agent + "'].budgets[*].resetsAt");
			assertThat(resets).as(agent).hasSameSizeAs(units).doesNotContainNull();
		}
		assertThat(JsonPath.<List<String>>read(quotas, "$.agents.planner.budgets[*].unit"))
			.containsExactly("tokens", "output-tokens", "cost", "requests");
		assertThat(JsonPath.<List<String>>read(quotas, "$.agents.planner.budgets[*].window"))
			.containsExactly("1m", "1m", "day", "1h");
		assertThat(JsonPath.<List<Number>>read(quotas, "$.agents.planner.budgets[?(@.unit == 'cost')].warnAt"))
			.extracting(Number::doubleValue)
			.containsExactly(0.8);
		assertThat(JsonPath.<List<Object>>read(quotas, "$.agents['tool-runner'].budgets")).isEmpty();
	}

	@Test
	void aDraftSpendsWhatTheModelReportedFromTheTokenAndCostBudgets() {
		BigDecimal costBefore = budget("coder", "cost", "day", "spent");
		HttpResponse<String> response = this.http.post("/agents/coder/draft");
		assertThat(response.statusCode()).isEqualTo(200);
		long input = JsonPath.<Number>read(response.body(), "$.inputTokens").longValue();
		long output = JsonPath.<Number>read(response.body(), "$.outputTokens").longValue();
		assertThat(input).isGreaterThan(200);
		assertThat(output).isBetween(40L, (long) AgentDrafts.MAX_OUTPUT_TOKENS);
		// Priced at 2.50 (input) and 10.00 (output) per million tokens, rounded up to millionths.
		BigDecimal cost = BigDecimal.valueOf(input * 2_500_000L + output * 10_000_000L)
			.divide(BigDecimal.valueOf(1_000_000_000_000L), 6, RoundingMode.CEILING);
		assertThat(budget("coder", "cost", "day", "spent").subtract(costBefore)).isEqualByComparingTo(cost);
		// The token budgets refill over the minute (3000 and 900 a minute): right after the call
		// they are below their limits by about what it spent.
		assertThat(budget("coder", "tokens", "1m", "remaining")).isLessThan(BigDecimal.valueOf(3000 - input / 2));
		assertThat(budget("coder", "output-tokens", "1m", "remaining"))
			.isLessThanOrEqualTo(BigDecimal.valueOf(900 - output / 2));
		String scrape = this.http.get("/actuator/prometheus").body();
		assertThat(scrape).containsPattern("agent_quota_usage_cost_total\\{agent=\"coder\",unit=\"cost\"} [0-9.E-]+")
			.contains("agent_quota_budget_remaining_tokens{agent=\"coder\",unit=\"tokens\",window=\"1m\"}");
	}

	@Test
	void anExhaustedBudgetRefusesADraftWithTooManyRequestsAndRetryAfter() {
		ResourceQuota original = this.engine.getQuota("coder").orElseThrow();
		try {
			this.engine.updateQuota("coder", (quota) -> quota.toBuilder("coder")
				.budgets(Budget.builder(BudgetUnit.REQUESTS).limit(1).per("week").build())
				.build());
			assertThat(this.http.post("/agents/coder/draft").statusCode()).isEqualTo(200);
			HttpResponse<String> refused = this.http.post("/agents/coder/draft");
			assertThat(refused.statusCode()).isEqualTo(429);
			assertThat(refused.headers().firstValue("Retry-After")).hasValueSatisfying(
					(seconds) -> assertThat(Long.parseLong(seconds)).isBetween(1L, 7 * 24 * 3600L));
			assertThat(refused.body()).contains("BUDGET_EXHAUSTED").contains("requests budget of 1 per week");
		}
		finally {
			this.engine.updateQuota("coder", (quota) -> original);
		}
	}

	private BigDecimal budget(String agent, String unit, String window, String field) {
		String body = this.http.get("/actuator/quotas/" + agent).body();
		List<Object> values = JsonPath.read(body,
				"$.budgets[?(@.unit == '" + unit + "' && @.window == '" + window + "')]." + field);
		assertThat(values).as(agent + " " + unit + " per " + window).hasSize(1);
		return new BigDecimal(values.get(0).toString());
	}

	private long quota(String agent, String field) {
		return JsonPath.<Number>read(this.http.get("/actuator/quotas/" + agent).body(), "$." + field).longValue();
	}

	private long usage(String agent, String field) {
		String body = this.http.get("/usage").body();
		List<Number> value = JsonPath.read(body, "$..['" + agent + "']." + field);
		return value.isEmpty() ? 0 : value.get(0).longValue();
	}

	private static void awaitTrue(String what, BooleanSupplier condition) {
		Awaitility.await(what).atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
			.until(condition::getAsBoolean);
	}

	@Test
	void dashboardIsServed() {
		HttpResponse<String> page = this.http.get("/");
		assertThat(page.statusCode()).isEqualTo(200);
		assertThat(page.body()).contains("dashboard.js").doesNotContain("https://");
		assertThat(this.http.get("/dashboard.js").statusCode()).isEqualTo(200);
		assertThat(this.http.get("/dashboard.css").statusCode()).isEqualTo(200);
	}

}
