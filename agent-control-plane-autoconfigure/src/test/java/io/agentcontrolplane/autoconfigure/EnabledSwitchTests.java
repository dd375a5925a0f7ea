package io.agentcontrolplane.autoconfigure;

import java.util.List;
import java.util.concurrent.Callable;

import io.agentcontrolplane.annotation.BoundedExecution;
import io.agentcontrolplane.autoconfigure.aop.BoundedExecutionAutoConfiguration;
import io.agentcontrolplane.concurrent.BoundedExecutor;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaExceededException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * {@code agent-control-plane.enabled=false} as a user sets it: every call passes, nothing is
 * counted as rejected, and the beans the application injects are still there. The switch is
 * read at run time, so the bean definitions do not depend on it and an AOT-built application
 * honours it too.
 */
@ExtendWith(OutputCaptureExtension.class)
class EnabledSwitchTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AgentControlPlaneAutoConfiguration.class,
				BoundedExecutionAutoConfiguration.class))
		.withUserConfiguration(ServiceConfiguration.class)
		.withPropertyValues("agent-control-plane.quotas.locked.max-concurrent-executions=0");

	@Test
	void switchedOnTheQuotaRefusesTheCall() {
		this.contextRunner.run((context) -> assertThatExceptionOfType(QuotaExceededException.class)
			.isThrownBy(() -> context.getBean(LockedService.class).work()));
	}

	@Test
	void switchedOffEveryCallPassesAndNothingIsRejected() {
		this.contextRunner.withPropertyValues("agent-control-plane.enabled=false", "agent-control-plane.unknown-agent=reject")
			.run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(LockedService.class).work()).isEqualTo("done");
			assertThat(context.getBean(LockedService.class).unconfigured()).isEqualTo("done");
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			List<Callable<String>> tasks = List.of(() -> "a", () -> "b");
			assertThat(context.getBean(BoundedExecutor.class).gatherForAgent("locked", tasks))
				.containsExactly("a", "b");
			assertThat(engine.snapshots().values()).allSatisfy((snapshot) -> assertThat(snapshot.rejected()).isZero());
		});
	}

	@Test
	void switchedOffSaysSoAtStartup(CapturedOutput output) {
		this.contextRunner.withPropertyValues("agent-control-plane.enabled=false")
			.run((context) -> assertThat(output).contains("agent-control-plane.enabled is false: no quota is enforced"));
	}

	@Test
	void switchedOffTheBeansUsersInjectStillExist() {
		this.contextRunner.withPropertyValues("agent-control-plane.enabled=false")
			.run((context) -> assertThat(context).hasSingleBean(PolicyEngine.class)
				.hasSingleBean(BoundedExecutor.class)
				.hasSingleBean(AgentControlPlaneProperties.class)
				.hasSingleBean(ConsumerOfBeans.class));
	}

	@Test
	void beanDefinitionsDoNotDependOnTheSwitchSoAnAotBuildHonoursItAtRunTime() {
		this.contextRunner.run((on) -> this.contextRunner.withPropertyValues("agent-control-plane.enabled=false")
			.run((off) -> assertThat(off.getBeanDefinitionNames()).containsExactlyInAnyOrder(
					on.getBeanDefinitionNames())));
	}

	@Configuration(proxyBeanMethods = false)
	static class ServiceConfiguration {

		@Bean
		LockedService lockedService() {
			return new LockedService();
		}

		@Bean
		ConsumerOfBeans consumerOfBeans(PolicyEngine policyEngine, BoundedExecutor boundedExecutor) {
			return new ConsumerOfBeans();
		}

	}

	static class ConsumerOfBeans {

	}

	public static class LockedService {

		@BoundedExecution("locked")
		public String work() {
			return "done";
		}

		@BoundedExecution("not-configured")
		public String unconfigured() {
			return "done";
		}

	}

}
