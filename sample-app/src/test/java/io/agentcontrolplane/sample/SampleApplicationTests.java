package io.agentcontrolplane.sample;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;

import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

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
	private GatedLanguageModel model;

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
	void dashboardIsServed() {
		HttpResponse<String> page = this.http.get("/");
		assertThat(page.statusCode()).isEqualTo(200);
		assertThat(page.body()).contains("dashboard.js").doesNotContain("https://");
		assertThat(this.http.get("/dashboard.js").statusCode()).isEqualTo(200);
		assertThat(this.http.get("/dashboard.css").statusCode()).isEqualTo(200);
	}

}
