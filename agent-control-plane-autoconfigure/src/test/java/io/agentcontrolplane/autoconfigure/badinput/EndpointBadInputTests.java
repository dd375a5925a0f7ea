package io.agentcontrolplane.autoconfigure.badinput;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.stream.Stream;

import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.ResourceQuota;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The endpoint rows of {@code docs/bad-input.md}: reads and writes of {@code /actuator/quotas}
 * with invalid arguments over real HTTP, with writes allowed. Each row pins the status and the
 * response body (its volatile timestamp removed), and that a refused write changed nothing.
 */
@SpringBootTest(classes = EndpointBadInputTests.EndpointApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = { "management.endpoints.web.exposure.include=quotas",
				"management.endpoint.quotas.access=unrestricted",
				"agent-control-plane.quotas.planner.max-concurrent-executions=2" })
class EndpointBadInputTests {

	private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

	@LocalServerPort
	private int port;

	@Autowired
	private PolicyEngine engine;

	static Stream<Arguments> rows() {
		return Stream.of(row("GET", "/actuator/quotas/nobody", null,
						"404 "),
				row("GET", "/actuator/quotas/%20", null,
						"404 "),
				row("POST", "/actuator/quotas/nobody", "{\"maxConcurrentExecutions\": 1}",
						"404 {\"detail\":\"Agent 'nobody' has no quota; quotas are created in configuration (agent-control-plane.quotas), not here\",\"instance\":\"/actuator/quotas/nobody\",\"status\":404,\"title\":\"Not Found\",\"agent\":\"nobody\"}"),
				row("POST", "/actuator/quotas/planner", "{}",
						"400 {\"detail\":\"No limit to change for agent 'planner'\",\"instance\":\"/actuator/quotas/planner\",\"status\":400,\"title\":\"Bad Request\",\"agent\":\"planner\"}"),
				row("POST", "/actuator/quotas/planner", "{\"unknownLimit\": 1}",
						"400 {\"detail\":\"No limit to change for agent 'planner'\",\"instance\":\"/actuator/quotas/planner\",\"status\":400,\"title\":\"Bad Request\",\"agent\":\"planner\"}"),
				row("POST", "/actuator/quotas/planner", "{",
						"400 {\"status\":400,\"error\":\"Bad Request\",\"path\":\"/actuator/quotas/planner\"}"),
				row("POST", "/actuator/quotas/planner", "{\"maxConcurrentExecutions\": -1}",
						"400 {\"detail\":\"Invalid quota for agent 'planner': maxConcurrentExecutions must be >= 0, was -1\",\"instance\":\"/actuator/quotas/planner\",\"status\":400,\"title\":\"Bad Request\",\"agent\":\"planner\"}"),
				row("POST", "/actuator/quotas/planner", "{\"maxConcurrentExecutions\": 99999999999}",
						"400 {\"detail\":\"Invalid quota for agent 'planner': maxConcurrentExecutions must be an integer from 0 to 2147483647, was '99999999999'\",\"instance\":\"/actuator/quotas/planner\",\"status\":400,\"title\":\"Bad Request\",\"agent\":\"planner\"}"),
				row("POST", "/actuator/quotas/planner", "{\"maxConcurrentExecutions\": 2.5}",
						"400 {\"detail\":\"Invalid quota for agent 'planner': maxConcurrentExecutions must be an integer from 0 to 2147483647, was '2.5'\",\"instance\":\"/actuator/quotas/planner\",\"status\":400,\"title\":\"Bad Request\",\"agent\":\"planner\"}"),
				row("POST", "/actuator/quotas/planner", "{\"maxConcurrentExecutions\": \"many\"}",
						"400 {\"detail\":\"Invalid quota for agent 'planner': maxConcurrentExecutions must be an integer from 0 to 2147483647, was 'many'\",\"instance\":\"/actuator/quotas/planner\",\"status\":400,\"title\":\"Bad Request\",\"agent\":\"planner\"}"),
				row("POST", "/actuator/quotas/planner", "{\"maxConcurrentExecutions\": null}",
						"400 {\"detail\":\"No limit to change for agent 'planner'\",\"instance\":\"/actuator/quotas/planner\",\"status\":400,\"title\":\"Bad Request\",\"agent\":\"planner\"}"),
				row("POST", "/actuator/quotas/planner", "{\"maxWait\": \"-1s\"}",
						"400 {\"detail\":\"Invalid quota for agent 'planner': maxWait must be >= 0, was PT-1S\",\"instance\":\"/actuator/quotas/planner\",\"status\":400,\"title\":\"Bad Request\",\"agent\":\"planner\"}"),
				row("POST", "/actuator/quotas/planner", "{\"maxWait\": \"2 fortnights\"}",
						"400 {\"detail\":\"Invalid quota for agent 'planner': maxWait must be a duration such as 500ms, 2s or PT2S, was '2 fortnights'\",\"instance\":\"/actuator/quotas/planner\",\"status\":400,\"title\":\"Bad Request\",\"agent\":\"planner\"}"),
				row("POST", "/actuator/quotas/planner", "{\"maxWait\": \"\"}",
						"400 {\"detail\":\"Invalid quota for agent 'planner': maxWait must be a duration such as 500ms, 2s or PT2S, was ''\",\"instance\":\"/actuator/quotas/planner\",\"status\":400,\"title\":\"Bad Request\",\"agent\":\"planner\"}"),
				row("POST", "/actuator/quotas/planner", "{\"maxRequestsPerMinute\": -1}",
						"400 {\"detail\":\"Invalid quota for agent 'planner': maxRequestsPerMinute must be >= 0, was -1\",\"instance\":\"/actuator/quotas/planner\",\"status\":400,\"title\":\"Bad Request\",\"agent\":\"planner\"}"),
				row("POST", "/actuator/quotas/planner", "{\"maxRequestsPerHour\": -1}",
						"400 {\"detail\":\"Invalid quota for agent 'planner': maxRequestsPerHour must be >= 0, was -1\",\"instance\":\"/actuator/quotas/planner\",\"status\":400,\"title\":\"Bad Request\",\"agent\":\"planner\"}"),
				row("POST", "/actuator/quotas/planner", "{\"maxExecutionTime\": \"0s\"}",
						"400 {\"detail\":\"Invalid quota for agent 'planner': maxExecutionTime must be > 0, was PT0S\",\"instance\":\"/actuator/quotas/planner\",\"status\":400,\"title\":\"Bad Request\",\"agent\":\"planner\"}"),
				row("POST", "/actuator/quotas/planner", "{\"fair\": \"sometimes\"}",
						"400 {\"detail\":\"Invalid quota for agent 'planner': fair must be true or false, was 'sometimes'\",\"instance\":\"/actuator/quotas/planner\",\"status\":400,\"title\":\"Bad Request\",\"agent\":\"planner\"}"),
				row("POST", "/actuator/quotas/planner", "{\"maxConcurrentExecutions\": 3, \"maxWait\": \"-1s\"}",
						"400 {\"detail\":\"Invalid quota for agent 'planner': maxWait must be >= 0, was PT-1S\",\"instance\":\"/actuator/quotas/planner\",\"status\":400,\"title\":\"Bad Request\",\"agent\":\"planner\"}"));
	}

	@ParameterizedTest(name = "{0} {1} {2}")
	@MethodSource("rows")
	void badRequestGetsTheDocumentedAnswerAndChangesNothing(String method, String path, @Nullable String body,
			@Nullable String expected) throws Exception {
		ResourceQuota before = this.engine.getQuota("planner").orElseThrow();
		HttpResponse<String> response = send(method, path, body);
		String answer = response.statusCode() + " " + response.body().replaceAll("\"timestamp\":\"[^\"]*\",?", "");
		this.engine.setQuota("planner", before);
		if (Boolean.getBoolean("acp.badinput.discover")) {
			System.out.println("| `" + method + " " + path + "` | `" + body + "` | " + answer + " |");
			return;
		}
		assertThat(answer).as("%s %s %s", method, path, body).isEqualTo(expected);
		if (response.statusCode() >= 400) {
			assertThat(this.engine.getQuota("planner")).hasValue(before);
			assertThat(this.engine.getQuota("nobody")).isEmpty();
		}
	}

	private HttpResponse<String> send(String method, String path, @Nullable String body)
			throws IOException, InterruptedException {
		HttpRequest.Builder request = HttpRequest.newBuilder(URI.create("http://localhost:" + this.port + path))
			.timeout(Duration.ofSeconds(10));
		if (body != null) {
			request.header("Content-Type", "application/json")
				.method(method, HttpRequest.BodyPublishers.ofString(body));
		}
		else {
			request.method(method, HttpRequest.BodyPublishers.noBody());
		}
		return HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
	}

	private static Arguments row(String method, String path, @Nullable String body, @Nullable String expected) {
		return Arguments.of(method, path, body, expected);
	}

	@SpringBootConfiguration(proxyBeanMethods = false)
	@EnableAutoConfiguration
	static class EndpointApplication {

	}

}
