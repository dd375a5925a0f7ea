package io.agentcontrolplane.autoconfigure.actuate;

import io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration;
import io.agentcontrolplane.quota.PolicyEngine;
import org.junit.jupiter.api.Test;

import org.springframework.boot.actuate.autoconfigure.endpoint.EndpointAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.endpoint.jackson.JacksonEndpointAutoConfiguration;
import org.springframework.boot.actuate.autoconfigure.endpoint.web.WebEndpointAutoConfiguration;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.http.codec.autoconfigure.CodecsAutoConfiguration;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.boot.webflux.autoconfigure.WebFluxAutoConfiguration;
import org.springframework.boot.webflux.autoconfigure.actuate.web.WebFluxEndpointManagementContextConfiguration;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Web tests of the {@code quotas} endpoint on Spring WebFlux, through the application context
 * (no server): reads work, writes are refused with the default access, and refused writes
 * carry their reason in a problem body as they do on Spring MVC.
 */
class QuotasEndpointWebFluxIntegrationTests {

	private final ReactiveWebApplicationContextRunner contextRunner = new ReactiveWebApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(JacksonAutoConfiguration.class, CodecsAutoConfiguration.class,
				WebFluxAutoConfiguration.class, EndpointAutoConfiguration.class,
				JacksonEndpointAutoConfiguration.class, WebEndpointAutoConfiguration.class,
				WebFluxEndpointManagementContextConfiguration.class, AgentControlPlaneAutoConfiguration.class,
				QuotasEndpointAutoConfiguration.class))
		.withPropertyValues("management.endpoints.web.exposure.include=quotas",
				"agent-control-plane.quotas.planner.max-concurrent-executions=2");

	@Test
	void readsShowTheAgents() {
		this.contextRunner.run((context) -> {
			WebTestClient client = WebTestClient.bindToApplicationContext(context).build();
			client.get()
				.uri("/actuator/quotas")
				.exchange()
				.expectStatus()
				.isOk()
				.expectBody()
				.jsonPath("$.agents.planner.maxConcurrentExecutions")
				.isEqualTo(2);
			client.get()
				.uri("/actuator/quotas/planner")
				.exchange()
				.expectStatus()
				.isOk()
				.expectBody()
				.jsonPath("$.agentId")
				.isEqualTo("planner");
		});
	}

	@Test
	void writesAreRefusedByDefault() {
		this.contextRunner.run((context) -> {
			WebTestClient.bindToApplicationContext(context)
				.build()
				.post()
				.uri("/actuator/quotas/planner")
				.contentType(MediaType.APPLICATION_JSON)
				.bodyValue("{\"maxConcurrentExecutions\": 5}")
				.exchange()
				.expectStatus()
				.isEqualTo(HttpStatus.METHOD_NOT_ALLOWED);
			assertThat(context.getBean(PolicyEngine.class).getQuota("planner").orElseThrow().maxConcurrentExecutions())
				.isEqualTo(2);
		});
	}

	@Test
	void refusedWriteAnswersAProblemBodyWithTheReasonAndChangesNothing() {
		this.contextRunner.withPropertyValues("management.endpoint.quotas.access=UNRESTRICTED").run((context) -> {
			WebTestClient client = WebTestClient.bindToApplicationContext(context).build();
			client.post()
				.uri("/actuator/quotas/planner")
				.contentType(MediaType.APPLICATION_JSON)
				.bodyValue("{\"maxConcurrentExecutions\": 3, \"maxWait\": \"2 fortnights\"}")
				.exchange()
				.expectStatus()
				.isBadRequest()
				.expectHeader()
				.contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
				.expectBody()
				.jsonPath("$.status")
				.isEqualTo(400)
				.jsonPath("$.title")
				.isEqualTo("Bad Request")
				.jsonPath("$.detail")
				.isEqualTo("Invalid quota for agent 'planner': maxWait must be a duration such as 500ms, 2s or PT2S, "
						+ "was '2 fortnights'")
				.jsonPath("$.agent")
				.isEqualTo("planner");
			assertThat(context.getBean(PolicyEngine.class).getQuota("planner").orElseThrow().maxConcurrentExecutions())
				.isEqualTo(2);
			client.post()
				.uri("/actuator/quotas/planner")
				.contentType(MediaType.APPLICATION_JSON)
				.bodyValue("{\"maxConcurrentExecutions\": 3}")
				.exchange()
				.expectStatus()
				.isOk()
				.expectBody()
				.jsonPath("$.maxConcurrentExecutions")
				.isEqualTo(3);
		});
	}

}
