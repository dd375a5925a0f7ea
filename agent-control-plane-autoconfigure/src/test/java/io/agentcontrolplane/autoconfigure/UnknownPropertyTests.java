package io.agentcontrolplane.autoconfigure;

import java.util.Map;

import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.ResourceQuota;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A misspelt key under {@code agent-control-plane.*} fails start-up naming the key and the
 * nearest valid one, wherever it is; valid keys in any relaxed spelling still start.
 */
class UnknownPropertyTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AgentControlPlaneAutoConfiguration.class));

	@ParameterizedTest(name = "{0}")
	@CsvSource({ "agent-control-plane.quotas.research.max-concurent-executions, agent-control-plane.quotas.research.max-concurrent-executions",
			"agent-control-plane.defaults.max-wiat, agent-control-plane.defaults.max-wait",
			"agent-control-plane.executor.max-concurency, agent-control-plane.executor.max-concurrency",
			"agent-control-plane.redis.lease-tme, agent-control-plane.redis.lease-time",
			"agent-control-plane.dynamic-agents.idle-timout, agent-control-plane.dynamic-agents.idle-timeout",
			"agent-control-plane.web.enable, agent-control-plane.web.enabled",
			"agent-control-plane.unknown-agents, agent-control-plane.unknown-agent",
			"agent-control-plane.qoutas.research.max-wait, agent-control-plane.quotas" })
	void misspeltKeyFailsStartupNamingTheKeyAndTheNearestValidOne(String key, String nearest) {
		this.contextRunner.withPropertyValues(key + "=1").run((context) -> {
			assertThat(context).hasFailed();
			FailureAnalysis analysis = new AgentControlPlaneUnknownPropertyFailureAnalyzer()
				.analyze(context.getStartupFailure());
			assertThat(analysis).isNotNull();
			assertThat(analysis.getDescription()).contains("'" + key + "'")
				.contains("did you mean '" + nearest + "'?");
		});
	}

	@Test
	void quotaWhoseOnlyKeyIsMisspeltFailsStartupInsteadOfVanishing() {
		this.contextRunner.withPropertyValues("agent-control-plane.quotas.solo.max-concurent-executions=1")
			.run((context) -> assertThat(context).hasFailed());
	}

	@ParameterizedTest(name = "{0}")
	@CsvSource({ "agent-control-plane.quotas.research.max-concurrent-executions",
			"agent-control-plane.quotas.research.maxConcurrentExecutions",
			"agent-control-plane.quotas.research.max_concurrent_executions",
			"agent-control-plane.quotas.research.MAX-CONCURRENT-EXECUTIONS" })
	void relaxedSpellingsOfAValidKeyStart(String key) {
		this.contextRunner.withPropertyValues(key + "=2").run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(PolicyEngine.class).getQuota("research"))
				.map(ResourceQuota::maxConcurrentExecutions)
				.contains(2);
		});
	}

	@Test
	void environmentVariableSpellingOfAValidKeyStarts() {
		this.contextRunner
			.withInitializer((context) -> context.getEnvironment()
				.getPropertySources()
				.addFirst(new SystemEnvironmentPropertySource(
						StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
						Map.of("AGENTCONTROLPLANE_QUOTAS_RESEARCH_MAXCONCURRENTEXECUTIONS", "2",
								"AGENTCONTROLPLANE_DEFAULTS_MAXWAIT", "1s"))))
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBean(PolicyEngine.class).getQuota("research"))
					.map(ResourceQuota::maxConcurrentExecutions)
					.contains(2);
			});
	}

	@Test
	void legacyEnvironmentVariableSpellingWithUnderscoresForDashesStarts() {
		this.contextRunner
			.withInitializer((context) -> context.getEnvironment()
				.getPropertySources()
				.addFirst(new SystemEnvironmentPropertySource(
						StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
						Map.of("AGENT_CONTROL_PLANE_DEFAULTS_MAX_CONCURRENT_EXECUTIONS", "2"))))
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBean(AgentControlPlaneProperties.class).getDefaults().getMaxConcurrentExecutions())
					.isEqualTo(2);
			});
	}

	@Test
	void misspeltEnvironmentVariableFailsStartup() {
		this.contextRunner
			.withInitializer((context) -> context.getEnvironment()
				.getPropertySources()
				.addFirst(new SystemEnvironmentPropertySource(
						StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME,
						Map.of("AGENTCONTROLPLANE_QUOTAS_RESEARCH_MAXCONCURENTEXECUTIONS", "2"))))
			.run((context) -> {
				assertThat(context).hasFailed();
				FailureAnalysis analysis = new AgentControlPlaneUnknownPropertyFailureAnalyzer()
					.analyze(context.getStartupFailure());
				assertThat(analysis).isNotNull();
				assertThat(analysis.getDescription())
					.contains("did you mean 'agent-control-plane.quotas.research.max-concurrent-executions'?");
			});
	}

	@Test
	void keysOfAnAddOnModulesOwnPropertiesUnderThePrefixAreLeftToIt() {
		this.contextRunner.withUserConfiguration(AddOnConfiguration.class)
			.withPropertyValues("agent-control-plane.add-on.model=gpt", "agent-control-plane.add-on.anything-else=1")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(context.getBean(AddOnProperties.class).getModel()).isEqualTo("gpt");
			});
	}

	@Test
	void addOnPropertiesDoNotHideMisspeltKeysElsewhere() {
		this.contextRunner.withUserConfiguration(AddOnConfiguration.class)
			.withPropertyValues("agent-control-plane.add-on.model=gpt", "agent-control-plane.defaults.max-wiat=1s")
			.run((context) -> assertThat(context).hasFailed());
	}

	@Configuration(proxyBeanMethods = false)
	@EnableConfigurationProperties(AddOnProperties.class)
	static class AddOnConfiguration {

	}

	@ConfigurationProperties("agent-control-plane.add-on")
	static class AddOnProperties {

		private String model = "none";

		String getModel() {
			return this.model;
		}

		void setModel(String model) {
			this.model = model;
		}

	}

}
