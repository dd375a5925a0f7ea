package io.agentcontrolplane.autoconfigure.actuate;

import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.jayway.jsonpath.JsonPath;
import io.agentcontrolplane.quota.Budget;
import io.agentcontrolplane.quota.BudgetUnit;
import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.ResourceQuota;
import io.agentcontrolplane.quota.Usage;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Web tests of the {@code quotas} endpoint and the {@code agent.quota.*} meters with the
 * endpoint's default (read-only) access, over HTTP on a random port.
 */
@SpringBootTest(classes = QuotasTestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = "management.endpoints.web.exposure.include=quotas,prometheus")
class QuotasEndpointWebIntegrationTests {

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
	void listShowsEveryAgent() {
		try (Permit permit = this.engine.acquire("planner")) {
			HttpResponse<String> response = this.http.get("/actuator/quotas");
			assertThat(response.statusCode()).isEqualTo(200);
			String json = response.body();
			assertThat(JsonPath.<Map<String, Object>>read(json, "$.agents")).containsKeys("planner", "critic");
			assertThat(JsonPath.<Integer>read(json, "$.agents.planner.maxConcurrentExecutions")).isEqualTo(3);
			assertThat(JsonPath.<Integer>read(json, "$.agents.planner.inFlight")).isEqualTo(1);
			assertThat(JsonPath.<Integer>read(json, "$.agents.planner.available")).isEqualTo(2);
			assertThat(JsonPath.<Integer>read(json, "$.agents.planner.waiting")).isZero();
			assertThat(JsonPath.<Integer>read(json, "$.agents.planner.maxRequestsPerMinute")).isEqualTo(60);
			assertThat(JsonPath.<Map<String, Object>>read(json, "$.agents.planner.rejectedByReason"))
				.containsKeys("CONCURRENCY_LIMIT", "RATE_LIMIT", "ACTION_NOT_ALLOWED", "UNKNOWN_AGENT");
			// Jackson 3 writes a Duration as its ISO-8601 text.
			assertThat(JsonPath.<String>read(json, "$.agents.planner.maxWait")).isEqualTo("PT1.5S");
			assertThat(JsonPath.<String>read(json, "$.agents.planner.oldestPermitAge")).startsWith("PT");
		}
	}

	@Test
	void selectorShowsOneAgent() {
		HttpResponse<String> response = this.http.get("/actuator/quotas/critic");
		assertThat(response.statusCode()).isEqualTo(200);
		assertThat(JsonPath.<String>read(response.body(), "$.agentId")).isEqualTo("critic");
		assertThat(JsonPath.<Integer>read(response.body(), "$.maxConcurrentExecutions")).isEqualTo(1);
	}

	@Test
	void selectorShowsEachBudgetWithWhatRemainsAndWhenItResets() {
		this.engine.setQuota("spender", ResourceQuota.builder("spender")
			.budgets(Budget.builder(BudgetUnit.TOKENS).limit(1_000).per("1m").build(),
					Budget.builder(BudgetUnit.REQUESTS).limit(10).per("day").warnAt("80%").build())
			.build());
		try {
			this.engine.admit("spender", null, Usage.estimate(100, 200), null).close();
			HttpResponse<String> response = this.http.get("/actuator/quotas/spender");
			assertThat(response.statusCode()).isEqualTo(200);
			String json = response.body();
			assertThat(JsonPath.<String>read(json, "$.budgets[0].unit")).isEqualTo("tokens");
			assertThat(JsonPath.<String>read(json, "$.budgets[0].window")).isEqualTo("1m");
			assertThat(JsonPath.<Object>read(json, "$.budgets[0].limit").toString()).isEqualTo("1000");
			assertThat(JsonPath.<Object>read(json, "$.budgets[0].remaining").toString()).isEqualTo("700");
			assertThat(JsonPath.<String>read(json, "$.budgets[0].resetsAt")).isNotBlank();
			assertThat(JsonPath.<String>read(json, "$.budgets[1].unit")).isEqualTo("requests");
			assertThat(JsonPath.<String>read(json, "$.budgets[1].window")).isEqualTo("day");
			assertThat(JsonPath.<Object>read(json, "$.budgets[1].remaining").toString()).isEqualTo("9");
			assertThat(JsonPath.<Object>read(json, "$.budgets[1].warnAt").toString()).isEqualTo("0.8");
			assertThat(JsonPath.<Map<String, Object>>read(this.http.get("/actuator/quotas").body(),
					"$.agents.spender.budgets[0]")).containsKeys("unit", "window", "limit", "remaining", "resetsAt");
		}
		finally {
			this.engine.removeQuota("spender");
		}
	}

	@Test
	void selectorOfAnUnknownAgentIsNotFound() {
		assertThat(this.http.get("/actuator/quotas/nobody").statusCode()).isEqualTo(404);
	}

	@Test
	void writeIsRefusedByDefault() {
		HttpResponse<String> response = this.http.postJson("/actuator/quotas/critic",
				"{\"maxConcurrentExecutions\": 5}");
		// Read-only access maps no POST operation; the GET on the same path makes it 405.
		assertThat(response.statusCode()).isEqualTo(405);
		assertThat(this.engine.getQuota("critic").orElseThrow().maxConcurrentExecutions()).isEqualTo(1);
	}

	@Test
	void prometheusShowsTheMetersOfEachAgentUnderLoadAndDropsThemWithTheAgent() {
		this.engine.setQuota("scratch", ResourceQuota.of("scratch", 2));
		List<Permit> held = new ArrayList<>();
		try {
			held.add(this.engine.acquire("scratch"));
			held.add(this.engine.acquire("scratch"));
			assertThat(this.engine.tryAcquire("scratch")).isEmpty();
			String scrape = this.http.get("/actuator/prometheus").body();
			assertThat(scrape).contains("agent_quota_limit_permits{agent=\"scratch\"} 2.0")
				.contains("agent_quota_in_flight_permits{agent=\"scratch\"} 2.0")
				.contains("agent_quota_available_permits{agent=\"scratch\"} 0.0")
				.contains("agent_quota_waiting_callers{agent=\"scratch\"} 0.0")
				.contains("agent_quota_calls_total{agent=\"scratch\",outcome=\"permitted\",reason=\"none\"} 2.0")
				.contains("agent_quota_calls_total{agent=\"scratch\",outcome=\"rejected\",reason=\"concurrency_limit\"} 1.0")
				.contains("agent_quota_wait_seconds_count{agent=\"scratch\",outcome=\"permitted\"} 2")
				.contains("agent_quota_limit_permits{agent=\"planner\"} 3.0");
		}
		finally {
			held.forEach(Permit::close);
		}
		String afterRelease = this.http.get("/actuator/prometheus").body();
		assertThat(afterRelease).contains("agent_quota_hold_seconds_count{agent=\"scratch\"} 2");
		this.engine.removeQuota("scratch");
		String afterRemoval = this.http.get("/actuator/prometheus").body();
		assertThat(afterRemoval).doesNotContain("agent=\"scratch\"")
			.contains("agent_quota_limit_permits{agent=\"planner\"} 3.0");
	}

}
