package io.agentcontrolplane.autoconfigure.web;

import java.time.Duration;

import io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.RejectionReason;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ReactiveWebApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.reactive.DispatcherHandler;
import org.springframework.web.reactive.config.EnableWebFlux;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link AgentControlPlaneWebFluxAutoConfiguration}.
 */
class AgentControlPlaneWebFluxAutoConfigurationTests {

	private final ReactiveWebApplicationContextRunner contextRunner = new ReactiveWebApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AgentControlPlaneAutoConfiguration.class,
				AgentControlPlaneWebFluxAutoConfiguration.class))
		.withUserConfiguration(WebConfiguration.class);

	@Test
	void rateLimitRejectionBecomes429WithProblemBodyAndRetryAfter() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(QuotaExceededExceptionHandler.class);
			WebTestClient.bindToApplicationContext(context)
				.build()
				.get()
				.uri("/rate")
				.exchange()
				.expectStatus()
				.isEqualTo(HttpStatus.TOO_MANY_REQUESTS)
				.expectHeader()
				.valueEquals(HttpHeaders.RETRY_AFTER, "1")
				.expectHeader()
				.contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
				.expectBody()
				.jsonPath("$.agent")
				.isEqualTo("tenant-a")
				.jsonPath("$.reason")
				.isEqualTo("RATE_LIMIT");
		});
	}

	@Test
	void mappingCanBeTurnedOff() {
		this.contextRunner.withPropertyValues("agent-control-plane.web.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(QuotaExceededExceptionHandler.class));
	}

	@Test
	void backsOffWithoutWebFlux() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(DispatcherHandler.class))
			.run((context) -> assertThat(context).doesNotHaveBean(QuotaExceededExceptionHandler.class));
	}

	@Configuration(proxyBeanMethods = false)
	@EnableWebFlux
	@Import(QuotaController.class)
	static class WebConfiguration {

	}

	@RestController
	static class QuotaController {

		@GetMapping("/rate")
		Mono<String> rate() {
			return Mono.error(new QuotaExceededException("tenant-a", RejectionReason.RATE_LIMIT,
					"Agent 'tenant-a' exceeded 10 requests per minute", Duration.ofMillis(200)));
		}

	}

}
