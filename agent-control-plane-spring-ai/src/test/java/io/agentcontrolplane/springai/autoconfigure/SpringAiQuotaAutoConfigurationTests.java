package io.agentcontrolplane.springai.autoconfigure;

import java.time.Duration;

import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.springai.AgentQuotaAdvisor;
import io.agentcontrolplane.springai.PermitScope;
import io.agentcontrolplane.springai.ProviderRateLimits;
import io.agentcontrolplane.springai.ToolGovernance;
import io.agentcontrolplane.springai.ToolRefusalMode;
import io.agentcontrolplane.springai.metrics.SpringAiQuotaMetrics;
import io.agentcontrolplane.springai.openai.OpenAiRateLimitHeaders;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.ChatClientCustomizer;
import org.springframework.ai.chat.metadata.RateLimit;
import org.springframework.ai.openai.http.okhttp.OpenAiHttpClientBuilderCustomizer;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;

class SpringAiQuotaAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(SpringAiQuotaAutoConfiguration.class,
				SpringAiQuotaMetricsAutoConfiguration.class))
		.withBean(PolicyEngine.class, PolicyEngine::new);

	@Test
	void providesTheAdvisorToolGovernanceAndProviderRateLimits() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(AgentQuotaAdvisor.class)
				.hasSingleBean(ToolGovernance.class)
				.hasSingleBean(ProviderRateLimits.class)
				.doesNotHaveBean(ChatClientCustomizer.class)
				.doesNotHaveBean(SpringAiQuotaMetrics.class);
			assertThat(context.getBean(AgentQuotaAdvisor.class).permitScope()).isEqualTo(PermitScope.MODEL_REQUEST);
			ToolGovernance governance = context.getBean(ToolGovernance.class);
			assertThat(governance.refusalMode()).isEqualTo(ToolRefusalMode.TELL_MODEL);
			assertThat(governance.maxToolCallsPerCall()).isEqualTo(ToolGovernance.DEFAULT_MAX_TOOL_CALLS_PER_CALL);
		});
	}

	@Test
	void appliesProperties() {
		this.contextRunner
			.withPropertyValues("agent-control-plane.spring-ai.permit-scope=chat-client-call",
					"agent-control-plane.spring-ai.tools.refusal=throw",
					"agent-control-plane.spring-ai.tools.max-calls-per-chat-client-call=5",
					"agent-control-plane.spring-ai.tools.by-name.weather.action-name=weather.read",
					"agent-control-plane.spring-ai.tools.by-name.weather.quota-key=weather-api",
					"agent-control-plane.spring-ai.tools.by-name.mail.action-type=workflow-trigger")
			.run((context) -> {
				assertThat(context.getBean(AgentQuotaAdvisor.class).permitScope())
					.isEqualTo(PermitScope.CHAT_CLIENT_CALL);
				ToolGovernance governance = context.getBean(ToolGovernance.class);
				assertThat(governance.refusalMode()).isEqualTo(ToolRefusalMode.THROW);
				assertThat(governance.maxToolCallsPerCall()).isEqualTo(5);
				assertThat(governance.actionName("weather")).isEqualTo("weather.read");
				assertThat(governance.actionName("mail")).isEqualTo("workflow-trigger");
				assertThat(governance.quotaKey("weather")).isEqualTo("weather-api");
				assertThat(governance.actionName("search")).isEqualTo("tool:search");
			});
	}

	@Test
	void failsWhenAToolHasBothAnActionNameAndAnActionType() {
		this.contextRunner
			.withPropertyValues("agent-control-plane.spring-ai.tools.by-name.mail.action-name=email.send",
					"agent-control-plane.spring-ai.tools.by-name.mail.action-type=workflow-trigger")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining("agent-control-plane.spring-ai.tools.by-name.mail.action-name ('email.send')")
				.hasStackTraceContaining("set one of them"));
	}

	@Test
	void failsOnAnInvalidActionNameNamingTheProperty() {
		this.contextRunner.withPropertyValues("agent-control-plane.spring-ai.action=model:\u0007chat")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.hasStackTraceContaining("Property agent-control-plane.spring-ai.action is invalid: actionName must not contain"
						+ " control characters (such as line breaks or tabs), was 'model:\\u0007chat'"));
	}

	@Test
	void backsOffWhenUserDefinesTheAdvisor() {
		this.contextRunner
			.withBean("myAdvisor", AgentQuotaAdvisor.class,
					() -> AgentQuotaAdvisor.builder(new PolicyEngine()).defaultAgentId("mine").build())
			.run((context) -> assertThat(context).hasSingleBean(AgentQuotaAdvisor.class).hasBean("myAdvisor"));
	}

	@Test
	void readsOpenAiRateLimitHeadersWhenTheOpenAiClientIsPresent() {
		this.contextRunner.run((context) -> assertThat(context).hasSingleBean(OpenAiRateLimitHeaders.class));
	}

	@Test
	void leavesOpenAiAloneWhenItsClientIsAbsent() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(OpenAiHttpClientBuilderCustomizer.class))
			.run((context) -> assertThat(context).hasSingleBean(AgentQuotaAdvisor.class)
				.doesNotHaveBean(OpenAiRateLimitHeaders.class));
	}

	@Test
	void backsOffWithoutAPolicyEngine() {
		new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(SpringAiQuotaAutoConfiguration.class))
			.run((context) -> assertThat(context).doesNotHaveBean(AgentQuotaAdvisor.class));
	}

	@Test
	void backsOffWhenSpringAiIsAbsent() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(ChatClient.class))
			.run((context) -> assertThat(context).doesNotHaveBean(AgentQuotaAdvisor.class)
				.doesNotHaveBean(ProviderRateLimits.class));
	}

	@Test
	void createsNothingWhenDisabled() {
		this.contextRunner.withPropertyValues("agent-control-plane.spring-ai.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean(AgentQuotaAdvisor.class)
				.doesNotHaveBean(ToolGovernance.class));
	}

	@Test
	void toolGovernanceCanBeSwitchedOff() {
		this.contextRunner.withPropertyValues("agent-control-plane.spring-ai.tools.enabled=false")
			.run((context) -> assertThat(context).hasSingleBean(AgentQuotaAdvisor.class)
				.doesNotHaveBean(ToolGovernance.class));
	}

	@Test
	void customizesChatClientsWhenAsked() {
		this.contextRunner.withPropertyValues("agent-control-plane.spring-ai.customize-chat-clients=true")
			.run((context) -> assertThat(context).hasSingleBean(ChatClientCustomizer.class));
	}

	@Test
	void invalidPermitScopeFailsStartUp() {
		this.contextRunner.withPropertyValues("agent-control-plane.spring-ai.permit-scope=per-fortnight")
			.run((context) -> assertThat(context).hasFailed());
	}

	@Test
	void registersProviderGaugesWhenAMeterRegistryExists() {
		this.contextRunner.withBean(MeterRegistry.class, SimpleMeterRegistry::new).run((context) -> {
			assertThat(context).hasSingleBean(SpringAiQuotaMetrics.class);
			context.getBean(ProviderRateLimits.class).record("agent", "model", new Figures(7L, 2500L));
			MeterRegistry registry = context.getBean(MeterRegistry.class);
			assertThat(registry.get(SpringAiQuotaMetrics.PROVIDER_REQUESTS_REMAINING)
				.tag("agent", "agent")
				.tag("model", "model")
				.gauge()
				.value()).isEqualTo(7.0);
			assertThat(registry.get(SpringAiQuotaMetrics.PROVIDER_TOKENS_REMAINING).gauge().value()).isEqualTo(2500.0);
		});
	}

	record Figures(Long getRequestsRemaining, Long getTokensRemaining) implements RateLimit {

		@Override
		public Long getRequestsLimit() {
			return 10L;
		}

		@Override
		public Duration getRequestsReset() {
			return Duration.ofSeconds(1);
		}

		@Override
		public Long getTokensLimit() {
			return 10_000L;
		}

		@Override
		public Duration getTokensReset() {
			return Duration.ofSeconds(1);
		}

	}

}
