package io.agentcontrolplane.autoconfigure.aop;

import io.agentcontrolplane.annotation.BoundedExecution;
import io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration;
import io.agentcontrolplane.autoconfigure.AgentControlPlaneConfigurationException;
import io.agentcontrolplane.quota.ActionType;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.QuotaSnapshot;
import io.agentcontrolplane.quota.RejectionReason;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * {@code @BoundedExecution(actionName = ...)}: an action by name, checked against the quota's
 * allowed actions ({@code allowed-actions}) like an {@code ActionType}.
 */
class BoundedExecutionActionNameTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(
				AutoConfigurations.of(AgentControlPlaneAutoConfiguration.class, BoundedExecutionAutoConfiguration.class))
		.withPropertyValues("agent-control-plane.quotas.mailer.max-concurrent-executions=2",
				"agent-control-plane.quotas.mailer.allowed-actions=email.send,tool:search",
				"agent-control-plane.quotas.mailer.allowed-action-types=file-read", "mail.action=email.send");

	@Test
	void namedActionIsCheckedAgainstTheAllowedActions() {
		this.contextRunner.withUserConfiguration(MailConfiguration.class).run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			MailService service = context.getBean(MailService.class);
			assertThat(service.send()).isEqualTo("sent");
			assertThat(service.sendByPlaceholder()).isEqualTo("sent");
			assertThat(service.read()).isEqualTo("read");
			assertThat(service.readByName()).isEqualTo("read");
			assertThatExceptionOfType(QuotaExceededException.class).isThrownBy(service::delete)
				.satisfies((refusal) -> {
					assertThat(refusal.reason()).isEqualTo(RejectionReason.ACTION_NOT_ALLOWED);
					assertThat(refusal.getMessage()).isEqualTo("Agent 'mailer' refused (ACTION_NOT_ALLOWED): action"
							+ " 'email.delete' is not in its allowed actions [file-read, email.send, tool:search]");
				});
			assertThatExceptionOfType(QuotaExceededException.class).isThrownBy(service::sendWrongCase);
			QuotaSnapshot snapshot = engine.snapshot("mailer").orElseThrow();
			assertThat(snapshot.acquired()).isEqualTo(4);
			assertThat(snapshot.rejectedByReason()).containsEntry(RejectionReason.ACTION_NOT_ALLOWED, 2L);
			assertThat(snapshot.inFlight()).isZero();
		});
	}

	@Test
	void bothActionAndActionNameFailStartUp() {
		this.contextRunner.withUserConfiguration(BothConfiguration.class).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(AgentControlPlaneConfigurationException.class)
				.hasMessageContaining("declares both action = API_CALL and actionName = \"tool:search\"")
				.hasMessageContaining("BothService.call()");
		});
	}

	@Test
	void invalidActionNameFailsStartUpNamingTheMethod() {
		this.contextRunner.withUserConfiguration(BlankEdgeConfiguration.class).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(AgentControlPlaneConfigurationException.class)
				.hasMessageContaining("BlankEdgeService.call() has an invalid actionName: actionName must not start"
						+ " or end with white space, was ' email.send'");
		});
	}

	@Configuration(proxyBeanMethods = false)
	static class MailConfiguration {

		@Bean
		MailService mailService() {
			return new MailService();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class BothConfiguration {

		@Bean
		BothService bothService() {
			return new BothService();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class BlankEdgeConfiguration {

		@Bean
		BlankEdgeService blankEdgeService() {
			return new BlankEdgeService();
		}

	}

	public static class MailService {

		@BoundedExecution(agent = "mailer", actionName = "email.send")
		public String send() {
			return "sent";
		}

		@BoundedExecution(agent = "mailer", actionName = "${mail.action}")
		public String sendByPlaceholder() {
			return "sent";
		}

		@BoundedExecution(agent = "mailer", actionName = "Email.Send")
		public String sendWrongCase() {
			return "sent";
		}

		@BoundedExecution(agent = "mailer", actionName = "email.delete")
		public String delete() {
			return "deleted";
		}

		@BoundedExecution(agent = "mailer", action = ActionType.FILE_READ)
		public String read() {
			return "read";
		}

		@BoundedExecution(agent = "mailer", actionName = "FILE_READ")
		public String readByName() {
			return "read";
		}

	}

	public static class BothService {

		@BoundedExecution(agent = "mailer", action = ActionType.API_CALL, actionName = "tool:search")
		public void call() {
		}

	}

	public static class BlankEdgeService {

		@BoundedExecution(agent = "mailer", actionName = " email.send")
		public void call() {
		}

	}

}
