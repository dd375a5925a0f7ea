package io.agentcontrolplane.autoconfigure;

import io.agentcontrolplane.annotation.BoundedExecution;
import io.agentcontrolplane.autoconfigure.aop.BoundedExecutionAutoConfiguration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.logging.LogLevel;
import org.springframework.boot.logging.LoggingSystem;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * At start-up a user sees what the YAML became: one INFO line per configured agent, one for the
 * dynamic template, and at DEBUG the quotas no annotation names.
 */
@ExtendWith(OutputCaptureExtension.class)
class QuotaStartupReportTests {

	private static final String LOGGER = QuotaStartupReport.class.getName();

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AgentControlPlaneAutoConfiguration.class,
				BoundedExecutionAutoConfiguration.class))
		.withUserConfiguration(Services.class)
		.withPropertyValues("agent-control-plane.quotas.research-agent.max-concurrent-executions=3",
				"agent-control-plane.quotas.research-agent.max-wait=2s",
				"agent-control-plane.quotas.research-agent.max-requests-per-minute=60",
				"agent-control-plane.quotas.research-agent.allowed-action-types=api-call,file-read",
				"agent-control-plane.quotas.idle-agent.max-concurrent-executions=1");

	private final LoggingSystem loggingSystem = LoggingSystem.get(getClass().getClassLoader());

	@BeforeEach
	void debug() {
		this.loggingSystem.setLogLevel(LOGGER, LogLevel.DEBUG);
	}

	@AfterEach
	void reset() {
		this.loggingSystem.setLogLevel(LOGGER, null);
	}

	@Test
	void eachConfiguredAgentGetsOneInfoLineWithItsLimits(CapturedOutput output) {
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(output).contains("INFO")
				.contains("Agent 'research-agent': max-concurrent-executions=3, max-wait=2 s, fair=true,"
						+ " max-requests-per-minute=60, max-requests-per-hour=unlimited, max-execution-time=none,"
						+ " allowed-actions=[file-read, api-call], join-nested-calls=true")
				.contains("Agent 'idle-agent': max-concurrent-executions=1, max-wait=0 s");
		});
	}

	@Test
	void anAgentsBudgetsAreInItsLine(CapturedOutput output) {
		this.contextRunner
			.withPropertyValues("agent-control-plane.pricing.models.m.input=1", "agent-control-plane.pricing.models.m.output=2",
					"agent-control-plane.quotas.budgeted.budgets[0].unit=tokens",
					"agent-control-plane.quotas.budgeted.budgets[0].limit=200000",
					"agent-control-plane.quotas.budgeted.budgets[0].per=1m",
					"agent-control-plane.quotas.budgeted.budgets[1].unit=cost",
					"agent-control-plane.quotas.budgeted.budgets[1].limit=25.00",
					"agent-control-plane.quotas.budgeted.budgets[1].per=day",
					"agent-control-plane.quotas.budgeted.budgets[1].warn-at=80%")
			.run((context) -> assertThat(context).hasNotFailed())
			.run((context) -> assertThat(output)
				.contains("join-nested-calls=true, budgets=[tokens 200000 per 1m, cost 25.00 per day (warn at 80%)]")
				.contains("Agent 'research-agent': max-concurrent-executions=3").doesNotContain("budgets=[]"));
	}

	@Test
	void dynamicTemplateGetsOneSummaryLine(CapturedOutput output) {
		this.contextRunner
			.withPropertyValues("agent-control-plane.unknown-agent=default-quota",
					"agent-control-plane.defaults.max-concurrent-executions=2")
			.run((context) -> assertThat(output).containsOnlyOnce("Dynamic agents (unknown-agent=default-quota)")
				.contains("each new agent id gets max-concurrent-executions=2")
				.contains("idle ones are evicted after 10 min, at most 10000 are kept"));
	}

	@Test
	void quotaNoAnnotationNamesIsReportedAtDebug(CapturedOutput output) {
		this.contextRunner.run((context) -> assertThat(output)
			.contains("DEBUG")
			.contains("Quota of agent 'idle-agent' is named by no @BoundedExecution")
			.doesNotContain("Quota of agent 'research-agent' is named by no"));
	}

	@Configuration(proxyBeanMethods = false)
	static class Services {

		@Bean
		ResearchService researchService() {
			return new ResearchService();
		}

	}

	public static class ResearchService {

		@BoundedExecution("research-agent")
		public String think() {
			return "thought";
		}

	}

}
