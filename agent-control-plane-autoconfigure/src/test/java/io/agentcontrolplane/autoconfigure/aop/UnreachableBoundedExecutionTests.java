package io.agentcontrolplane.autoconfigure.aop;

import io.agentcontrolplane.annotation.BoundedExecution;
import io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A {@code @BoundedExecution} that no proxy can ever see is reported at start-up as a warning
 * naming the method, instead of running unlimited without a word.
 */
@ExtendWith(OutputCaptureExtension.class)
class UnreachableBoundedExecutionTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AgentControlPlaneAutoConfiguration.class,
				BoundedExecutionAutoConfiguration.class))
		.withPropertyValues("agent-control-plane.quotas.worker.max-concurrent-executions=1")
		.withUserConfiguration(Services.class);

	@Test
	void privateFinalAndStaticAnnotatedMethodsAreEachNamedInAWarning(CapturedOutput output) {
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(output).contains("WARN")
				.contains("@BoundedExecution on " + Unreachable.class.getName() + ".privateWork")
				.contains("the method is private")
				.contains("@BoundedExecution on " + Unreachable.class.getName() + ".finalWork")
				.contains("the method is final")
				.contains("@BoundedExecution on " + Unreachable.class.getName() + ".staticWork")
				.contains("the method is static");
		});
	}

	@Test
	void finalClassIsNamedInAWarningAndStillStarts(CapturedOutput output) {
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(context.getBean(FinalService.class).work()).isEqualTo("done");
			assertThat(output).contains("@BoundedExecution on " + FinalService.class.getName() + ".work")
				.contains("the class is final");
		});
	}

	@Test
	void reachableMethodsAreNotReported(CapturedOutput output) {
		this.contextRunner.run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(output).doesNotContain(Unreachable.class.getName() + ".publicWork");
		});
	}

	@Test
	void nothingIsReportedWhenSwitchedOff(CapturedOutput output) {
		this.contextRunner.withPropertyValues("agent-control-plane.enabled=false")
			.run((context) -> assertThat(output).doesNotContain("is never applied"));
	}

	@Configuration(proxyBeanMethods = false)
	static class Services {

		@Bean
		Unreachable unreachable() {
			return new Unreachable();
		}

		@Bean
		FinalService finalService() {
			return new FinalService();
		}

	}

	public static class Unreachable {

		@BoundedExecution("worker")
		public String publicWork() {
			return privateWork();
		}

		@BoundedExecution("worker")
		private String privateWork() {
			return "done";
		}

		@BoundedExecution("worker")
		public final String finalWork() {
			return "done";
		}

		@BoundedExecution("worker")
		public static String staticWork() {
			return "done";
		}

	}

	@BoundedExecution("worker")
	public static final class FinalService {

		public String work() {
			return "done";
		}

	}

}
