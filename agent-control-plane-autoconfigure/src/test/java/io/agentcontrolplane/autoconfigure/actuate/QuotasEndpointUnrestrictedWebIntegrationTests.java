package io.agentcontrolplane.autoconfigure.actuate;

import java.net.http.HttpResponse;
import java.util.List;

import com.jayway.jsonpath.JsonPath;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.ResourceQuota;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Web tests of writes to the {@code quotas} endpoint with
 * {@code management.endpoint.quotas.access=unrestricted}.
 */
@SpringBootTest(classes = QuotasTestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "management.endpoints.web.exposure.include=quotas",
				"management.endpoint.quotas.access=unrestricted" })
class QuotasEndpointUnrestrictedWebIntegrationTests {

	@LocalServerPort
	private int port;

	@Autowired
	private PolicyEngine engine;

	private HttpTestClient http;

	@BeforeEach
	void createClient() {
		this.http = new HttpTestClient(this.port);
	}

	@Test
	void writeResizesLiveAndShowsInTheNextReadAndInTheEngine() {
		HttpResponse<String> response = this.http.postJson("/actuator/quotas/planner",
				"{\"maxConcurrentExecutions\": 7, \"maxWait\": \"250ms\", \"maxRequestsPerHour\": 1000}");
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(JsonPath.<Integer>read(response.body(), "$.maxConcurrentExecutions")).isEqualTo(7);
		String read = this.http.get("/actuator/quotas/planner").body();
		assertThat(JsonPath.<Integer>read(read, "$.maxConcurrentExecutions")).isEqualTo(7);
		assertThat(JsonPath.<String>read(read, "$.maxWait")).isEqualTo("PT0.25S");
		assertThat(JsonPath.<Integer>read(read, "$.maxRequestsPerHour")).isEqualTo(1000);
		assertThat(JsonPath.<Integer>read(read, "$.maxRequestsPerMinute")).isEqualTo(60);
		ResourceQuota quota = this.engine.getQuota("planner").orElseThrow();
		assertThat(quota.maxConcurrentExecutions()).isEqualTo(7);
		assertThat(quota.maxRequestsPerHour()).hasValue(1000);
	}

	@Test
	void writeReplacesTheBudgetsOverHttp() {
		HttpResponse<String> response = this.http.postJson("/actuator/quotas/critic",
				"{\"budgets\": \"tokens 5000 1m 80%; requests 100 day\"}");
		assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
		assertThat(JsonPath.<String>read(response.body(), "$.budgets[0].unit")).isEqualTo("tokens");
		assertThat(JsonPath.<Object>read(response.body(), "$.budgets[0].limit").toString()).isEqualTo("5000");
		assertThat(this.engine.getQuota("critic").orElseThrow().budgets()).hasSize(2);
		assertThat(this.http
			.postJson("/actuator/quotas/critic", "{\"budgets\": \"tokens 5 0s\"}")
			.statusCode()).isEqualTo(400);
		assertThat(this.http.postJson("/actuator/quotas/critic", "{\"budgets\": \"\"}").statusCode()).isEqualTo(200);
		assertThat(this.engine.getQuota("critic").orElseThrow().budgets()).isEmpty();
	}

	@Test
	void writeReplacesTheAllowedActionsOverHttp() {
		HttpResponse<String> response = this.http.postJson("/actuator/quotas/critic",
				"{\"allowedActions\": \"api-call, tool:search\"}");
		assertThat(response.statusCode()).as(response.body()).isEqualTo(200);
		assertThat(JsonPath.<List<String>>read(response.body(), "$.allowedActions")).containsExactly("api-call",
				"tool:search");
		assertThat(JsonPath.<List<String>>read(response.body(), "$.allowedActionTypes")).containsExactly("API_CALL");
		assertThat(this.engine.getQuota("critic").orElseThrow().allowedActions()).containsExactly("api-call",
				"tool:search");
		HttpResponse<String> refused = this.http.postJson("/actuator/quotas/critic",
				"{\"allowedActions\": \"api-call, \"}");
		assertThat(refused.statusCode()).isEqualTo(400);
		assertThat(refused.body()).contains("allowedActions[1] must not be blank");
		assertThat(this.http.postJson("/actuator/quotas/critic", "{\"allowedActions\": \"\"}").statusCode())
			.isEqualTo(200);
		assertThat(this.engine.getQuota("critic").orElseThrow().allowedActions()).isEmpty();
	}

	@Test
	void badWriteIsRejectedAndChangesNothing() {
		ResourceQuota before = this.engine.getQuota("critic").orElseThrow();
		assertThat(this.http.postJson("/actuator/quotas/critic", "{\"maxConcurrentExecutions\": -3}").statusCode())
			.isEqualTo(400);
		assertThat(this.http
			.postJson("/actuator/quotas/critic", "{\"maxConcurrentExecutions\": 4, \"maxRequestsPerMinute\": -1}")
			.statusCode()).isEqualTo(400);
		assertThat(this.http.postJson("/actuator/quotas/critic", "{\"maxConcurrentExecutions\": \"many\"}")
			.statusCode()).isEqualTo(400);
		assertThat(this.http.postJson("/actuator/quotas/critic", "{\"maxWait\": \"soon\"}").statusCode())
			.isEqualTo(400);
		assertThat(this.http.postJson("/actuator/quotas/critic", "{}").statusCode()).isEqualTo(400);
		assertThat(this.engine.getQuota("critic")).hasValue(before);
		assertThat(JsonPath.<Integer>read(this.http.get("/actuator/quotas/critic").body(),
				"$.maxConcurrentExecutions"))
			.isEqualTo(1);
	}

	@Test
	void refusedWriteAnswersAProblemBodyCarryingTheReason() {
		HttpResponse<String> response = this.http.postJson("/actuator/quotas/critic",
				"{\"maxConcurrentExecutions\": 4, \"maxRequestsPerMinute\": -1}");
		assertThat(response.statusCode()).isEqualTo(400);
		assertThat(response.headers().firstValue("Content-Type")).hasValue("application/problem+json");
		assertThat(JsonPath.<Integer>read(response.body(), "$.status")).isEqualTo(400);
		assertThat(JsonPath.<String>read(response.body(), "$.title")).isEqualTo("Bad Request");
		assertThat(JsonPath.<String>read(response.body(), "$.detail"))
			.isEqualTo("Invalid quota for agent 'critic': maxRequestsPerMinute must be >= 0, was -1");
		assertThat(JsonPath.<String>read(response.body(), "$.agent")).isEqualTo("critic");
		assertThat(JsonPath.<String>read(response.body(), "$.instance")).isEqualTo("/actuator/quotas/critic");
		assertThat(this.engine.getQuota("critic").orElseThrow().maxConcurrentExecutions()).isEqualTo(1);
	}

	@Test
	void writeToAnUnknownAgentIsNotFoundAndCreatesNothing() {
		HttpResponse<String> response = this.http.postJson("/actuator/quotas/nobody",
				"{\"maxConcurrentExecutions\": 2}");
		assertThat(response.statusCode()).isEqualTo(404);
		assertThat(JsonPath.<String>read(response.body(), "$.detail")).contains("'nobody'", "agent-control-plane.quotas");
		assertThat(this.engine.getQuota("nobody")).isEmpty();
	}

}
