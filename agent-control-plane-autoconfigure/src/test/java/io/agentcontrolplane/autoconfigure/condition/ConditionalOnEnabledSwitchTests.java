package io.agentcontrolplane.autoconfigure.condition;

import io.agentcontrolplane.autoconfigure.AgentControlPlaneConfigurationException;
import org.junit.jupiter.api.Test;

import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests for {@link ConditionalOnEnabledSwitch @ConditionalOnEnabledSwitch}.
 */
class ConditionalOnEnabledSwitchTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withUserConfiguration(MasterSwitchConfiguration.class, TwoSwitchesConfiguration.class);

	@Test
	void matchesWhenTheSwitchIsNotSet() {
		this.contextRunner.run((context) -> assertThat(context).hasBean("master").hasBean("both"));
	}

	@Test
	void matchesWhenTheSwitchIsTrueInAnyCase() {
		this.contextRunner.withPropertyValues("agent-control-plane.enabled=TRUE")
			.run((context) -> assertThat(context).hasBean("master").hasBean("both"));
	}

	@Test
	void doesNotMatchWhenTheSwitchIsFalse() {
		this.contextRunner.withPropertyValues("agent-control-plane.enabled=false")
			.run((context) -> assertThat(context).doesNotHaveBean("master").doesNotHaveBean("both"));
	}

	@Test
	void doesNotMatchWhenAnyOfTheSwitchesIsFalse() {
		this.contextRunner.withPropertyValues("agent-control-plane.web.enabled=false")
			.run((context) -> assertThat(context).hasBean("master").doesNotHaveBean("both"));
	}

	@Test
	void failsStartupNamingThePropertyTheValueAndWhatIsAllowedWhenTheValueIsNotABoolean() {
		this.contextRunner.withPropertyValues("agent-control-plane.enabled=perhaps").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause().hasMessageContaining("perhaps");
			assertThat(context.getStartupFailure()).cause()
				.isInstanceOf(AgentControlPlaneConfigurationException.class)
				.hasMessage("Invalid value 'perhaps' for configuration property 'agent-control-plane.enabled': "
						+ "expected true or false.");
		});
	}

	@Test
	void failsStartupWhenASecondSwitchIsNotABoolean() {
		this.contextRunner.withPropertyValues("agent-control-plane.web.enabled=ture").run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).cause()
				.isInstanceOf(AgentControlPlaneConfigurationException.class)
				.hasMessageContaining("'agent-control-plane.web.enabled'")
				.hasMessageContaining("'ture'");
		});
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnEnabledSwitch
	static class MasterSwitchConfiguration {

		@Bean
		String master() {
			return "master";
		}

	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnEnabledSwitch({ ConditionalOnEnabledSwitch.ENABLED, "agent-control-plane.web.enabled" })
	static class TwoSwitchesConfiguration {

		@Bean
		String both() {
			return "both";
		}

	}

}
