package io.agentcontrolplane.autoconfigure.web;

import io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration;
import io.agentcontrolplane.quota.ActionType;
import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.RejectionReason;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpHeaders;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.config.EnableWebFlux;
import org.springframework.web.servlet.config.annotation.EnableWebMvc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;

/**
 * What a client of a Spring MVC or WebFlux application receives for each kind of refusal: a
 * status that says whether retrying can help, {@code Retry-After} when a wait is known, the IETF
 * {@code RateLimit} fields for a rate budget, and never any detail of the infrastructure.
 */
class QuotaRefusalStatusTests {

	private static final String[] QUOTAS = { "agent-control-plane.unknown-agent=reject",
			"agent-control-plane.quotas.reader.allowed-action-types=file-read",
			"agent-control-plane.quotas.rated.max-requests-per-minute=1",
			"agent-control-plane.quotas.busy.max-concurrent-executions=0",
			"agent-control-plane.quotas.spender.budgets[0].unit=requests",
			"agent-control-plane.quotas.spender.budgets[0].limit=1",
			"agent-control-plane.quotas.spender.budgets[0].per=1h" };

	private static final String LEAKY_MESSAGE = "Agent 'stored' refused (STORE_UNAVAILABLE): Unable to connect to"
			+ " Redis server: redis.internal.example/10.0.0.7:6379, key {acp}:stored:permits, script"
			+ " EVALSHA 9f1c local n = redis.call('ZCARD', KEYS[1])";

	@Nested
	class SpringMvc {

		private final WebApplicationContextRunner contextRunner = new WebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(AgentControlPlaneAutoConfiguration.class,
					AgentControlPlaneWebMvcAutoConfiguration.class))
			.withUserConfiguration(MvcConfiguration.class)
			.withPropertyValues(QUOTAS);

		@Test
		void actionNotAllowedAndUnknownAgentAreForbiddenBecauseRetryingCannotHelp() {
			this.contextRunner.run((context) -> {
				MockMvc mvc = MockMvcBuilders.webAppContextSetup(context).build();
				MvcResult action = mvc.perform(get("/action")).andReturn();
				assertThat(action.getResponse().getStatus()).isEqualTo(403);
				assertThat(action.getResponse().getContentAsString()).contains("\"reason\":\"ACTION_NOT_ALLOWED\"",
						"\"title\":\"Forbidden\"");
				MvcResult unknown = mvc.perform(get("/unknown")).andReturn();
				assertThat(unknown.getResponse().getStatus()).isEqualTo(403);
				assertThat(unknown.getResponse().getContentAsString()).contains("\"reason\":\"UNKNOWN_AGENT\"");
			});
		}

		@Test
		void concurrencyLimitIsTooManyRequests() {
			this.contextRunner.run((context) -> {
				MockMvc mvc = MockMvcBuilders.webAppContextSetup(context).build();
				MvcResult busy = mvc.perform(get("/busy")).andReturn();
				assertThat(busy.getResponse().getStatus()).isEqualTo(429);
				assertThat(busy.getResponse().getContentAsString()).contains("\"reason\":\"CONCURRENCY_LIMIT\"");
			});
		}

		@Test
		void exhaustedRateBudgetIsTooManyRequestsWithRetryAfterAndRateLimitFields() {
			this.contextRunner.run((context) -> {
				MockMvc mvc = MockMvcBuilders.webAppContextSetup(context).build();
				assertThat(mvc.perform(get("/rated")).andReturn().getResponse().getStatus()).isEqualTo(200);
				MvcResult refused = mvc.perform(get("/rated")).andReturn();
				assertThat(refused.getResponse().getStatus()).isEqualTo(429);
				assertThat(refused.getResponse().getHeader(HttpHeaders.RETRY_AFTER)).isNotBlank();
				assertThat(refused.getResponse().getHeader("RateLimit-Policy")).isEqualTo("\"per-minute\";q=1;w=60");
				assertThat(refused.getResponse().getHeader("RateLimit"))
					.matches("\"per-minute\";r=0;t=\\d+");
			});
		}

		@Test
		void anAgentIdLongerThanTheMaximumIsABadRequestNamingTheLimit() {
			this.contextRunner.run((context) -> {
				MockMvc mvc = MockMvcBuilders.webAppContextSetup(context).build();
				MvcResult tooLong = mvc.perform(get("/tenant/" + "x".repeat(300))).andReturn();
				assertThat(tooLong.getResponse().getStatus()).isEqualTo(400);
				String body = tooLong.getResponse().getContentAsString();
				assertThat(body).contains("\"reason\":\"INVALID_AGENT_ID\"");
				// The detail names the limit and quotes only the start of the id.
				String detail = body.substring(body.indexOf("\"detail\""), body.indexOf("\"instance\""));
				assertThat(detail).contains("at most 256 characters").doesNotContain("x".repeat(40));
			});
		}

		@Test
		void exhaustedBudgetIsTooManyRequestsWithRetryAfterAndTheBudgetNamed() {
			this.contextRunner.run((context) -> {
				MockMvc mvc = MockMvcBuilders.webAppContextSetup(context).build();
				assertThat(mvc.perform(get("/spender")).andReturn().getResponse().getStatus()).isEqualTo(200);
				MvcResult refused = mvc.perform(get("/spender")).andReturn();
				assertThat(refused.getResponse().getStatus()).isEqualTo(429);
				// One request per hour refills in 3600 s.
				assertThat(refused.getResponse().getHeader(HttpHeaders.RETRY_AFTER)).isEqualTo("3600");
				assertThat(refused.getResponse().getHeader("RateLimit-Policy"))
					.isEqualTo("\"requests-per-1h\";q=1;w=3600");
				assertThat(refused.getResponse().getHeader("RateLimit")).isEqualTo("\"requests-per-1h\";r=0;t=3600");
				assertThat(refused.getResponse().getContentAsString()).contains("\"reason\":\"BUDGET_EXHAUSTED\"",
						"requests budget of 1 per 1h");
			});
		}

		@Test
		void storeOutageIsServiceUnavailableWithRetryAfterAndNoInfrastructureDetail() {
			this.contextRunner.run((context) -> {
				MockMvc mvc = MockMvcBuilders.webAppContextSetup(context).build();
				MvcResult outage = mvc.perform(get("/store")).andReturn();
				assertThat(outage.getResponse().getStatus()).isEqualTo(503);
				assertThat(outage.getResponse().getHeader(HttpHeaders.RETRY_AFTER)).isEqualTo("1");
				assertThat(outage.getResponse().getContentAsString()).contains("\"reason\":\"STORE_UNAVAILABLE\"")
					.contains("quota store is unavailable")
					.doesNotContain("redis.internal", "10.0.0.7", "6379", "{acp}", "EVALSHA", "ZCARD", "KEYS");
			});
		}

	}

	@Nested
	class SpringWebFlux {

		private final ReactiveWebApplicationContextRunner contextRunner = new ReactiveWebApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(AgentControlPlaneAutoConfiguration.class,
					AgentControlPlaneWebFluxAutoConfiguration.class))
			.withUserConfiguration(FluxConfiguration.class)
			.withPropertyValues(QUOTAS);

		@Test
		void eachReasonGetsItsStatus() {
			this.contextRunner.run((context) -> {
				WebTestClient client = WebTestClient.bindToApplicationContext(context).build();
				client.get().uri("/action").exchange().expectStatus().isForbidden();
				client.get().uri("/unknown").exchange().expectStatus().isForbidden();
				client.get().uri("/busy").exchange().expectStatus().isEqualTo(429);
				client.get().uri("/tenant/" + "x".repeat(300)).exchange().expectStatus().isBadRequest();
				client.get().uri("/rated").exchange().expectStatus().isOk();
				client.get().uri("/spender").exchange().expectStatus().isOk();
				client.get()
					.uri("/spender")
					.exchange()
					.expectStatus()
					.isEqualTo(429)
					.expectHeader()
					.valueEquals(HttpHeaders.RETRY_AFTER, "3600");
				client.get()
					.uri("/rated")
					.exchange()
					.expectStatus()
					.isEqualTo(429)
					.expectHeader()
					.valueEquals("RateLimit-Policy", "\"per-minute\";q=1;w=60")
					.expectHeader()
					.valueMatches("RateLimit", "\"per-minute\";r=0;t=\\d+");
				String body = client.get()
					.uri("/store")
					.exchange()
					.expectStatus()
					.isEqualTo(503)
					.expectHeader()
					.valueEquals(HttpHeaders.RETRY_AFTER, "1")
					.expectBody(String.class)
					.returnResult()
					.getResponseBody();
				assertThat(body).contains("STORE_UNAVAILABLE").doesNotContain("10.0.0.7", "6379", "EVALSHA", "{acp}");
			});
		}

	}

	@Configuration(proxyBeanMethods = false)
	@EnableWebMvc
	@Import(RefusingController.class)
	static class MvcConfiguration {

	}

	@Configuration(proxyBeanMethods = false)
	@EnableWebFlux
	@Import(RefusingController.class)
	static class FluxConfiguration {

	}

	@RestController
	static class RefusingController {

		private final PolicyEngine engine;

		RefusingController(PolicyEngine engine) {
			this.engine = engine;
		}

		@GetMapping("/action")
		String action() {
			return run("reader", ActionType.API_CALL);
		}

		@GetMapping("/unknown")
		String unknown() {
			return run("nobody", null);
		}

		@GetMapping("/busy")
		String busy() {
			return run("busy", null);
		}

		@GetMapping("/rated")
		String rated() {
			return run("rated", null);
		}

		@GetMapping("/tenant/{tenant}")
		String tenant(@PathVariable String tenant) {
			return run("tenant-" + tenant, null);
		}

		@GetMapping("/spender")
		String spender() {
			return run("spender", null);
		}

		@GetMapping("/store")
		String store() {
			throw new QuotaExceededException("stored", RejectionReason.STORE_UNAVAILABLE, LEAKY_MESSAGE, null);
		}

		private String run(String agentId, ActionType action) {
			try (Permit permit = this.engine.admit(agentId, action, null)) {
				return "ok";
			}
		}

	}

}
