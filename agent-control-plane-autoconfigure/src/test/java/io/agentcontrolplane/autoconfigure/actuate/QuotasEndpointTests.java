package io.agentcontrolplane.autoconfigure.actuate;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.agentcontrolplane.autoconfigure.actuate.QuotasEndpoint.QuotasDescriptor;
import io.agentcontrolplane.quota.ActionType;
import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.QuotaSnapshot;
import io.agentcontrolplane.quota.ResourceQuota;
import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.http.ProblemDetail;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * Tests for {@link QuotasEndpoint} and {@link QuotasEndpointWebExtension}, without Spring.
 */
class QuotasEndpointTests {

	private final PolicyEngine engine = new PolicyEngine();

	private final QuotasEndpoint endpoint = new QuotasEndpoint(this.engine);

	private final QuotasEndpointWebExtension extension = new QuotasEndpointWebExtension(this.endpoint);

	QuotasEndpointTests() {
		this.engine.setQuota("planner", ResourceQuota.builder("planner")
			.maxConcurrentExecutions(3)
			.maxWait(Duration.ofSeconds(2))
			.maxRequestsPerMinute(60)
			.build());
		this.engine.setQuota("critic", ResourceQuota.of("critic", 1));
	}

	@Test
	void quotasListsEveryAgentWithItsLiveUse() {
		try (Permit permit = this.engine.acquire("planner")) {
			QuotasDescriptor descriptor = this.endpoint.quotas();
			assertThat(descriptor.agents()).containsOnlyKeys("planner", "critic");
			QuotaSnapshot planner = descriptor.agents().get("planner");
			assertThat(planner.maxConcurrentExecutions()).isEqualTo(3);
			assertThat(planner.inFlight()).isEqualTo(1);
			assertThat(planner.available()).isEqualTo(2);
			assertThat(planner.acquired()).isEqualTo(1);
			assertThat(planner.maxWait()).isEqualTo(Duration.ofSeconds(2));
			assertThat(planner.maxRequestsPerMinute()).isEqualTo(60);
		}
	}

	@Test
	void quotaReturnsTheSnapshotOfOneAgent() {
		QuotaSnapshot critic = this.endpoint.quota("critic");
		assertThat(critic).isNotNull();
		assertThat(critic.agentId()).isEqualTo("critic");
		assertThat(critic.maxConcurrentExecutions()).isEqualTo(1);
	}

	@Test
	void quotaOfAnUnknownAgentIsNull() {
		assertThat(this.endpoint.quota("nobody")).isNull();
	}

	@Test
	void updateQuotaChangesOnlyTheGivenLimits() {
		QuotaSnapshot updated = this.endpoint.updateQuota("planner", 7, null, null, 100, null, null);
		assertThat(updated).isNotNull();
		assertThat(updated.maxConcurrentExecutions()).isEqualTo(7);
		assertThat(updated.maxRequestsPerHour()).isEqualTo(100);
		ResourceQuota quota = this.engine.getQuota("planner").orElseThrow();
		assertThat(quota.maxConcurrentExecutions()).isEqualTo(7);
		assertThat(quota.maxRequestsPerHour()).hasValue(100);
		assertThat(quota.maxWait()).isEqualTo(Duration.ofSeconds(2));
		assertThat(quota.maxRequestsPerMinute()).hasValue(60);
	}

	@Test
	void updateQuotaKeepsCountingExecutionsInFlight() {
		Permit first = this.engine.acquire("planner");
		Permit second = this.engine.acquire("planner");
		try {
			QuotaSnapshot updated = this.endpoint.updateQuota("planner", 1, null, null, null, null, null);
			assertThat(updated).isNotNull();
			assertThat(updated.inFlight()).isEqualTo(2);
			assertThat(updated.available()).isZero();
			assertThat(this.engine.tryAcquire("planner")).isEmpty();
		}
		finally {
			first.close();
			second.close();
		}
	}

	@Test
	void updateQuotaOfAnUnknownAgentChangesNothing() {
		assertThat(this.endpoint.updateQuota("nobody", 4, null, null, null, null, null)).isNull();
		assertThat(this.engine.getQuota("nobody")).isEmpty();
		assertThat(this.engine.snapshots()).containsOnlyKeys("planner", "critic");
	}

	@Test
	void updateQuotaWithABadValueChangesNothing() {
		ResourceQuota before = this.engine.getQuota("planner").orElseThrow();
		assertThatExceptionOfType(InvalidEndpointRequestException.class)
			.isThrownBy(() -> this.endpoint.updateQuota("planner", 9, null, -1, null, null, null))
			.withMessageContaining("maxRequestsPerMinute")
			.withMessageContaining("-1");
		assertThat(this.engine.getQuota("planner")).hasValue(before);
	}

	@Test
	void updateQuotaWithANegativeLimitIsRejected() {
		assertThatExceptionOfType(InvalidEndpointRequestException.class)
			.isThrownBy(() -> this.endpoint.updateQuota("critic", -2, null, null, null, null, null))
			.withMessageContaining("maxConcurrentExecutions");
		assertThat(this.engine.getQuota("critic").orElseThrow().maxConcurrentExecutions()).isEqualTo(1);
	}

	@Test
	void updateQuotaWithANegativeWaitIsRejected() {
		assertThatExceptionOfType(InvalidEndpointRequestException.class)
			.isThrownBy(() -> this.endpoint.updateQuota("critic", null, Duration.ofSeconds(-1), null, null, null, null))
			.withMessageContaining("maxWait");
		assertThat(this.engine.getQuota("critic").orElseThrow().maxWait()).isEqualTo(Duration.ZERO);
	}

	@Test
	void updateQuotaWithNothingToChangeIsRejected() {
		assertThatExceptionOfType(InvalidEndpointRequestException.class)
			.isThrownBy(() -> this.endpoint.updateQuota("critic", null, null, null, null, null, null))
			.withMessageContaining("No limit to change");
	}

	@Test
	void webExtensionAnswersNotFoundWithAProblemBodyForAnUnknownAgent() {
		WebEndpointResponse<Object> response = this.extension.updateQuota("nobody", "2", null, null, null, null,
				null);
		assertThat(response.getStatus()).isEqualTo(WebEndpointResponse.STATUS_NOT_FOUND);
		assertThat(response.getContentType()).hasToString("application/problem+json");
		assertThat(response.getBody()).isInstanceOfSatisfying(ProblemDetail.class, (problem) -> {
			assertThat(problem.getStatus()).isEqualTo(404);
			assertThat(problem.getDetail()).contains("'nobody'", "agent-control-plane.quotas");
			assertThat(problem.getProperties()).containsEntry("agent", "nobody");
		});
		assertThat(this.engine.getQuota("nobody")).isEmpty();
	}

	@Test
	void webExtensionAnswersTheNewSnapshot() {
		WebEndpointResponse<Object> response = this.extension.updateQuota("critic", "2", "250ms", null, "100", null,
				"false");
		assertThat(response.getStatus()).isEqualTo(WebEndpointResponse.STATUS_OK);
		// The snapshot's fields, with its budgets shown flat.
		assertThat(response.getBody()).isInstanceOfSatisfying(Map.class, (snapshot) -> {
			assertThat(snapshot.get("maxConcurrentExecutions")).isEqualTo(2);
			assertThat(snapshot.get("maxWait")).isEqualTo(Duration.ofMillis(250));
			assertThat(snapshot.get("maxRequestsPerHour")).isEqualTo(100);
			assertThat(snapshot.get("fair")).isEqualTo(false);
			assertThat(snapshot.get("budgets")).isEqualTo(List.of());
		});
	}

	@Test
	void webExtensionReplacesTheBudgetsKeepingWhatWasSpent() {
		this.engine.admit("critic", null, null).close();
		WebEndpointResponse<Object> response = this.extension.updateQuota("critic", null, null, null, null, null,
				null, List.of(Map.of("unit", "requests", "limit", 5, "per", "1h", "warnAt", "80%")));
		assertThat(response.getStatus()).isEqualTo(WebEndpointResponse.STATUS_OK);
		this.engine.admit("critic", null, null).close();
		assertThat(this.engine.snapshot("critic").orElseThrow().budgets()).singleElement()
			.satisfies((status) -> assertThat(status.remaining()).isEqualTo(4));
		response = this.extension.updateQuota("critic", null, null, null, null, null, null,
				List.of(Map.of("unit", "requests", "limit", 10, "per", "1h")));
		assertThat(this.engine.snapshot("critic").orElseThrow().budgets()).singleElement()
			.satisfies((status) -> assertThat(status.remaining()).isEqualTo(9));
		assertThat(response.getBody()).isInstanceOfSatisfying(Map.class, (snapshot) -> assertThat(
				(List<?>) snapshot.get("budgets")).singleElement()
			.isInstanceOfSatisfying(Map.class, (budget) -> {
				assertThat(budget.get("unit")).isEqualTo("requests");
				assertThat(budget.get("window")).isEqualTo("1h");
				assertThat(budget.get("remaining")).hasToString("9");
			}));
		assertBadRequest(this.extension.updateQuota("planner", null, null, null, null, null, null,
				List.of(Map.of("unit", "dollars", "limit", 10, "per", "1h"))),
				"Invalid quota for agent 'planner': budgets[0]: unit must be one of requests, tokens, input-tokens,"
						+ " output-tokens, cost, was 'dollars'");
	}

	@Test
	void webExtensionReplacesTheAllowedActions() {
		WebEndpointResponse<Object> response = this.extension.updateQuota("planner", null, null, null, null, null,
				null, null, "api-call, tool:search");
		assertThat(response.getStatus()).isEqualTo(WebEndpointResponse.STATUS_OK);
		assertThat(response.getBody()).isInstanceOfSatisfying(Map.class, (snapshot) -> {
			assertThat(snapshot.get("allowedActions")).isEqualTo(Set.of("api-call", "tool:search"));
			assertThat(snapshot.get("allowedActionTypes")).isEqualTo(Set.of(ActionType.API_CALL));
		});
		assertThatExceptionOfType(QuotaExceededException.class)
			.isThrownBy(() -> this.engine.admitAction("planner", "email.send", null));
		this.extension.updateQuota("planner", null, null, null, null, null, null, null, List.of("email.send"));
		assertThat(this.engine.getQuota("planner").orElseThrow().allowedActions()).containsExactly("email.send");
		this.extension.updateQuota("planner", null, null, null, null, null, null, null, "");
		assertThat(this.engine.getQuota("planner").orElseThrow().allowedActions()).isEmpty();
		ResourceQuota before = this.engine.getQuota("planner").orElseThrow();
		assertBadRequest(this.extension.updateQuota("planner", null, null, null, null, null, null, null,
				List.of("tool:x", " ")), "Invalid quota for agent 'planner': allowedActions[1] must not be blank, was ' '");
		assertThat(this.engine.getQuota("planner")).hasValue(before);
	}

	@Test
	void webExtensionAnswersAnInvalidLimitWithAProblemBodyCarryingTheReasonAndChangesNothing() {
		ResourceQuota before = this.engine.getQuota("planner").orElseThrow();
		assertBadRequest(this.extension.updateQuota("planner", "9", null, "-1", null, null, null),
				"Invalid quota for agent 'planner': maxRequestsPerMinute must be >= 0, was -1");
		assertThat(this.engine.getQuota("planner")).hasValue(before);
	}

	@Test
	void webExtensionAnswersAValueOfTheWrongTypeWithAProblemBodyNamingTheLimitAndTheValue() {
		ResourceQuota before = this.engine.getQuota("planner").orElseThrow();
		assertBadRequest(this.extension.updateQuota("planner", "99999999999", null, null, null, null, null),
				"Invalid quota for agent 'planner': maxConcurrentExecutions must be an integer from 0 to 2147483647,"
						+ " was '99999999999'");
		assertBadRequest(this.extension.updateQuota("planner", "3", "2 fortnights", null, null, null, null),
				"Invalid quota for agent 'planner': maxWait must be a duration such as 500ms, 2s or PT2S, was "
						+ "'2 fortnights'");
		assertBadRequest(this.extension.updateQuota("planner", null, null, null, null, "", null),
				"Invalid quota for agent 'planner': maxExecutionTime must be a duration such as 500ms, 2s or PT2S, "
						+ "was ''");
		assertBadRequest(this.extension.updateQuota("planner", null, null, null, null, null, "sometimes"),
				"Invalid quota for agent 'planner': fair must be true or false, was 'sometimes'");
		assertThat(this.engine.getQuota("planner")).hasValue(before);
	}

	@Test
	void webExtensionAnswersAWriteWithNothingToChangeWithAProblemBody() {
		assertBadRequest(this.extension.updateQuota("planner", null, null, null, null, null, null),
				"No limit to change for agent 'planner'");
	}

	private static void assertBadRequest(WebEndpointResponse<Object> response, String detail) {
		assertThat(response.getStatus()).isEqualTo(400);
		assertThat(response.getContentType()).hasToString("application/problem+json");
		assertThat(response.getBody()).isInstanceOfSatisfying(ProblemDetail.class, (problem) -> {
			assertThat(problem.getStatus()).isEqualTo(400);
			assertThat(problem.getTitle()).isEqualTo("Bad Request");
			assertThat(problem.getDetail()).isEqualTo(detail);
			assertThat(problem.getProperties()).containsEntry("agent", "planner");
		});
	}

}
