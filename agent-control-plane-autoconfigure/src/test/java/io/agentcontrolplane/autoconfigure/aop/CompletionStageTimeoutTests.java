package io.agentcontrolplane.autoconfigure.aop;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.agentcontrolplane.annotation.BoundedExecution;
import io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration;
import io.agentcontrolplane.autoconfigure.AgentControlPlaneConfigurationException;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaSnapshot;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;

/**
 * {@code max-execution-time} holds for every {@code CompletionStage} return type: a hung result
 * is failed with a {@link TimeoutException} and its permit comes back, and a type that could not
 * be timed out fails start-up naming the method.
 */
class CompletionStageTimeoutTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AgentControlPlaneAutoConfiguration.class,
				BoundedExecutionAutoConfiguration.class))
		.withPropertyValues("agent-control-plane.quotas.hung.max-concurrent-executions=1",
				"agent-control-plane.quotas.hung.max-execution-time=100ms");

	@Test
	void hungCompletableFutureSubclassIsTimedOutAndReleased() {
		this.contextRunner.withUserConfiguration(HungServices.class).run((context) -> {
			CustomFuture<String> result = context.getBean(HungService.class).customFuture();
			assertThatExceptionOfType(ExecutionException.class).isThrownBy(() -> result.get(10, TimeUnit.SECONDS))
				.withCauseInstanceOf(TimeoutException.class);
			assertThat(inFlight(context.getBean(PolicyEngine.class))).isZero();
		});
	}

	@Test
	void hungMinimalCompletionStageIsTimedOutAndReleased() {
		this.contextRunner.withUserConfiguration(HungServices.class).run((context) -> {
			CompletionStage<String> result = context.getBean(HungService.class).minimalStage();
			assertThatExceptionOfType(ExecutionException.class)
				.isThrownBy(() -> result.toCompletableFuture().get(10, TimeUnit.SECONDS))
				.withCauseInstanceOf(TimeoutException.class);
			assertThat(inFlight(context.getBean(PolicyEngine.class))).isZero();
		});
	}

	@Test
	void completionStageTypeThatCannotBeTimedOutFailsStartupNamingTheMethod() {
		this.contextRunner.withUserConfiguration(PromiseServices.class).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(AgentControlPlaneConfigurationException.class)
				.hasMessageContaining(PromiseService.class.getName() + ".promise()")
				.hasMessageContaining("cannot be timed out");
		});
	}

	private static int inFlight(PolicyEngine engine) {
		return engine.snapshot("hung").map(QuotaSnapshot::inFlight).orElse(0);
	}

	@Configuration(proxyBeanMethods = false)
	static class HungServices {

		@Bean
		HungService hungService() {
			return new HungService();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class PromiseServices {

		@Bean
		PromiseService promiseService() {
			return new PromiseService();
		}

	}

	public static class CustomFuture<T> extends CompletableFuture<T> {

	}

	public interface Promise<T> extends CompletionStage<T> {

	}

	public static class HungService {

		@BoundedExecution("hung")
		public CustomFuture<String> customFuture() {
			return new CustomFuture<>();
		}

		@BoundedExecution("hung")
		public CompletionStage<String> minimalStage() {
			return new CompletableFuture<String>().minimalCompletionStage();
		}

	}

	public static class PromiseService {

		@BoundedExecution("hung")
		public Promise<String> promise() {
			return null;
		}

	}

}
