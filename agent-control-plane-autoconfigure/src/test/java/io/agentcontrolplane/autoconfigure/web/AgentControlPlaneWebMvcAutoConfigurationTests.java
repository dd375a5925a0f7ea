package io.agentcontrolplane.autoconfigure.web;

import java.time.Duration;

import io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.RejectionReason;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.DispatcherServlet;
import org.springframework.web.servlet.config.annotation.EnableWebMvc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.content;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.header;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.jsonPath;
import static org.springframework.test.web.servlet.result.MockMvcResultMatchers.status;

/**
 * Tests for {@link AgentControlPlaneWebMvcAutoConfiguration}.
 */
class AgentControlPlaneWebMvcAutoConfigurationTests {

	private final WebApplicationContextRunner contextRunner = new WebApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AgentControlPlaneAutoConfiguration.class,
				AgentControlPlaneWebMvcAutoConfiguration.class))
		.withUserConfiguration(WebConfiguration.class);

	@Test
	void rateLimitRejectionBecomes429WithProblemBodyAndRetryAfter() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(QuotaExceededExceptionHandler.class);
			MockMvc mvc = MockMvcBuilders.webAppContextSetup(context).build();
			mvc.perform(get("/rate"))
				.andExpect(status().isTooManyRequests())
				.andExpect(content().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON))
				.andExpect(header().string(HttpHeaders.RETRY_AFTER, "2"))
				.andExpect(jsonPath("$.status").value(429))
				.andExpect(jsonPath("$.agent").value("research-agent"))
				.andExpect(jsonPath("$.reason").value("RATE_LIMIT"));
		});
	}

	@Test
	void concurrencyRejectionHasNoRetryAfter() {
		this.contextRunner.run((context) -> {
			MockMvc mvc = MockMvcBuilders.webAppContextSetup(context).build();
			mvc.perform(get("/busy"))
				.andExpect(status().isTooManyRequests())
				.andExpect(header().doesNotExist(HttpHeaders.RETRY_AFTER))
				.andExpect(jsonPath("$.reason").value("CONCURRENCY_LIMIT"));
		});
	}

	@Test
	void mappingCanBeTurnedOff() {
		this.contextRunner.withPropertyValues("agent-control-plane.web.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(QuotaExceededExceptionHandler.class));
	}

	@Test
	void keptWhenTheMasterSwitchIsOffBecauseTheSwitchIsReadAtRunTime() {
		this.contextRunner.withPropertyValues("agent-control-plane.enabled=false")
			.run((context) -> assertThat(context).hasSingleBean(QuotaExceededExceptionHandler.class));
	}

	@Test
	void webSwitchThatIsNotABooleanFailsStartupInsteadOfTurningTheMappingOff() {
		this.contextRunner.withPropertyValues("agent-control-plane.web.enabled=ture")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("ture"));
	}

	@Test
	void backsOffWithoutSpringMvc() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(DispatcherServlet.class))
			.run((context) -> assertThat(context).doesNotHaveBean(QuotaExceededExceptionHandler.class));
	}

	@Test
	void backsOffOutsideWebApplications() {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(AgentControlPlaneAutoConfiguration.class,
					AgentControlPlaneWebMvcAutoConfiguration.class))
			.run((context) -> assertThat(context).doesNotHaveBean(QuotaExceededExceptionHandler.class));
	}

	@Configuration(proxyBeanMethods = false)
	@EnableWebMvc
	@Import(QuotaController.class)
	static class WebConfiguration {

	}

	@RestController
	static class QuotaController {

		@GetMapping("/rate")
		String rate() {
			throw new QuotaExceededException("research-agent", RejectionReason.RATE_LIMIT,
					"Agent 'research-agent' exceeded 60 requests per minute", Duration.ofMillis(1500));
		}

		@GetMapping("/busy")
		String busy() {
			throw new QuotaExceededException("research-agent", RejectionReason.CONCURRENCY_LIMIT,
					"Agent 'research-agent' has 3 of 3 executions in flight", null);
		}

	}

}
