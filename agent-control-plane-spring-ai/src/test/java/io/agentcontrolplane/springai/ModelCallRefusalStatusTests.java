package io.agentcontrolplane.springai;

import io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration;
import io.agentcontrolplane.autoconfigure.web.AgentControlPlaneWebMvcAutoConfiguration;
import io.agentcontrolplane.quota.PolicyEngine;
import org.junit.jupiter.api.Test;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.WebApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.HttpHeaders;
import org.springframework.test.web.servlet.MockMvc;
import org.springframework.test.web.servlet.MvcResult;
import org.springframework.test.web.servlet.setup.MockMvcBuilders;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.config.annotation.EnableWebMvc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.springframework.test.web.servlet.request.MockMvcRequestBuilders.get;

/**
 * A model request refused by a token budget, as the HTTP caller of a controller that calls a
 * {@code ChatClient} sees it: {@code 429} with the budget's {@code Retry-After}, and the model
 * never asked.
 */
class ModelCallRefusalStatusTests {

	private final WebApplicationContextRunner contextRunner = new WebApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AgentControlPlaneAutoConfiguration.class,
				AgentControlPlaneWebMvcAutoConfiguration.class))
		.withUserConfiguration(MvcConfiguration.class)
		.withPropertyValues("agent-control-plane.quotas.writer.budgets[0].unit=tokens",
				"agent-control-plane.quotas.writer.budgets[0].limit=1000",
				"agent-control-plane.quotas.writer.budgets[0].per=day");

	@Test
	void anEstimateThatDoesNotFitNowIsTooManyRequestsWithRetryAfter() {
		this.contextRunner.run((context) -> {
			MockMvc mvc = MockMvcBuilders.webAppContextSetup(context).build();
			// Reserves 5 + 600 tokens, then settles the 7 the model reported: 993 are left.
			assertThat(mvc.perform(get("/ask")).andReturn().getResponse().getStatus()).isEqualTo(200);
			// Would reserve 5 + 995 = 1000 tokens: more than is left until the next day.
			MvcResult refused = mvc.perform(get("/ask-long")).andReturn();
			assertThat(refused.getResponse().getStatus()).isEqualTo(429);
			assertThat(refused.getResponse().getContentAsString()).contains("\"reason\":\"BUDGET_EXHAUSTED\"");
			assertThat(refused.getResponse().getHeader(HttpHeaders.RETRY_AFTER)).isNotBlank();
			assertThat(context.getBean(AgentQuotaAdvisorTests.StubModel.class).calls).hasValue(1);
		});
	}

	@Configuration(proxyBeanMethods = false)
	@EnableWebMvc
	static class MvcConfiguration {

		@Bean
		AgentQuotaAdvisorTests.StubModel stubModel() {
			return new AgentQuotaAdvisorTests.StubModel(null);
		}

		@Bean
		WriterController writerController(AgentQuotaAdvisorTests.StubModel model, PolicyEngine engine) {
			return new WriterController(model, engine);
		}

	}

	@RestController
	static class WriterController {

		private final ChatClient shortAnswers;

		private final ChatClient longAnswers;

		WriterController(AgentQuotaAdvisorTests.StubModel model, PolicyEngine engine) {
			AgentQuotaAdvisor.Builder advisor = AgentQuotaAdvisor.builder(engine)
				.defaultAgentId("writer")
				.tokenCountEstimator(new AgentQuotaAdvisorTests.CountingEstimator(5));
			this.shortAnswers = ChatClient.builder(model).defaultAdvisors(advisor.defaultMaxOutputTokens(600).build())
				.build();
			this.longAnswers = ChatClient.builder(model).defaultAdvisors(advisor.defaultMaxOutputTokens(995).build())
				.build();
		}

		@GetMapping("/ask")
		String ask() {
			return this.shortAnswers.prompt("hi").call().content();
		}

		@GetMapping("/ask-long")
		String askLong() {
			return this.longAnswers.prompt("hi").call().content();
		}

	}

}
