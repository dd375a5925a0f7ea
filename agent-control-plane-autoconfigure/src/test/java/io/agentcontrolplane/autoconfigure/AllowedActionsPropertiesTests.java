package io.agentcontrolplane.autoconfigure;

import io.agentcontrolplane.quota.ActionType;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.ResourceQuota;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code allowed-actions}: action names beside {@code allowed-action-types}, their union,
 * inheritance from the defaults, and the start-up failure for a bad name.
 */
@ExtendWith(OutputCaptureExtension.class)
class AllowedActionsPropertiesTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AgentControlPlaneAutoConfiguration.class));

	@Test
	void allowedActionsAndActionTypesMakeOneSet(CapturedOutput output) {
		this.contextRunner
			.withPropertyValues("agent-control-plane.quotas.support.allowed-actions=api-call,tool:search,email.send",
					"agent-control-plane.quotas.support.allowed-action-types=database-query")
			.run((context) -> {
				ResourceQuota quota = context.getBean(PolicyEngine.class).getQuota("support").orElseThrow();
				assertThat(quota.allowedActions()).containsExactly("api-call", "database-query", "tool:search",
						"email.send");
				assertThat(quota.allowedActionTypes()).containsExactlyInAnyOrder(ActionType.API_CALL,
						ActionType.DATABASE_QUERY);
				assertThat(output).contains("allowed-actions=[api-call, database-query, tool:search, email.send]");
			});
	}

	@Test
	void eachPropertyInheritsFromTheDefaultsOnItsOwn() {
		this.contextRunner
			.withPropertyValues("agent-control-plane.defaults.allowed-actions=tool:search",
					"agent-control-plane.quotas.reader.allowed-action-types=file-read",
					"agent-control-plane.quotas.writer.allowed-actions=tool:write",
					"agent-control-plane.quotas.open.allowed-actions=")
			.run((context) -> {
				PolicyEngine engine = context.getBean(PolicyEngine.class);
				assertThat(engine.getQuota("reader").orElseThrow().allowedActions()).containsExactly("file-read",
						"tool:search");
				assertThat(engine.getQuota("writer").orElseThrow().allowedActions()).containsExactly("tool:write");
				assertThat(engine.getQuota("open").orElseThrow().allowedActions()).isEmpty();
			});
	}

	@Test
	void aBadActionNameFailsStartUpNamingTheEntry() {
		this.contextRunner.withPropertyValues("agent-control-plane.quotas.support.allowed-actions[0]=api-call",
				"agent-control-plane.quotas.support.allowed-actions[1]=tool:\u0007search")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).rootCause()
					.isInstanceOf(AgentControlPlaneConfigurationException.class)
					.hasMessageStartingWith("Invalid value 'tool:\\u0007search' for configuration property"
							+ " 'agent-control-plane.quotas.support.allowed-actions[1]': expected an action name such as"
							+ " api-call, tool:search or email.send: not blank, at most 128 characters, no control"
							+ " characters, no leading or trailing white space.");
			});
	}

}
