package io.agentcontrolplane.autoconfigure.aop;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.agentcontrolplane.annotation.BoundedExecution;
import io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaSnapshot;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.Disposable;
import reactor.core.publisher.Hooks;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Cancelling a {@code Mono} that waits for a permit is not an error: nothing reaches Reactor's
 * dropped-error hook, nothing is logged at ERROR, and the wait is given up.
 */
@ExtendWith(OutputCaptureExtension.class)
class ReactiveCancellationTests {

	private final List<Throwable> dropped = new CopyOnWriteArrayList<>();

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AgentControlPlaneAutoConfiguration.class,
				BoundedExecutionAutoConfiguration.class))
		.withUserConfiguration(Services.class)
		.withPropertyValues("agent-control-plane.quotas.slow.max-concurrent-executions=1",
				"agent-control-plane.quotas.slow.max-wait=30s");

	@BeforeEach
	void captureDroppedErrors() {
		Hooks.onErrorDropped(this.dropped::add);
	}

	@AfterEach
	void resetHooks() {
		Hooks.resetOnErrorDropped();
	}

	@Test
	void cancellingWaitingMonosDropsNoErrorAndLogsNoError(CapturedOutput output) {
		this.contextRunner.run((context) -> {
			SlowService service = context.getBean(SlowService.class);
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			Sinks.One<String> release = Sinks.one();
			Disposable holder = service.hold(release.asMono()).subscribe();
			await().pollInterval(Duration.ofMillis(2)).atMost(Duration.ofSeconds(10)).until(() -> inFlight(engine) == 1);
			for (int i = 0; i < 50; i++) {
				Disposable waiter = service.hold(Mono.just("never")).subscribe();
				await().pollInterval(Duration.ofMillis(2)).atMost(Duration.ofSeconds(10)).until(() -> waiting(engine) == 1);
				waiter.dispose();
				await().pollInterval(Duration.ofMillis(2)).atMost(Duration.ofSeconds(10)).until(() -> waiting(engine) == 0);
			}
			release.tryEmitValue("done");
			await().pollInterval(Duration.ofMillis(2)).atMost(Duration.ofSeconds(10)).until(() -> inFlight(engine) == 0);
			holder.dispose();
			assertThat(this.dropped).isEmpty();
			assertThat(output).doesNotContain("ERROR").doesNotContain("Operator called default onErrorDropped");
			assertThat(engine.snapshot("slow").orElseThrow().rejected()).isZero();
		});
	}

	private static int inFlight(PolicyEngine engine) {
		return engine.snapshot("slow").map(QuotaSnapshot::inFlight).orElse(0);
	}

	private static int waiting(PolicyEngine engine) {
		return engine.snapshot("slow").map(QuotaSnapshot::waiting).orElse(0);
	}

	@Configuration(proxyBeanMethods = false)
	static class Services {

		@Bean
		SlowService slowService() {
			return new SlowService();
		}

	}

	public static class SlowService {

		@BoundedExecution("slow")
		public Mono<String> hold(Mono<String> work) {
			return work;
		}

	}

}
