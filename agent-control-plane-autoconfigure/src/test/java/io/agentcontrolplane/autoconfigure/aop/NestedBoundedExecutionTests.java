package io.agentcontrolplane.autoconfigure.aop;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.agentcontrolplane.annotation.BoundedExecution;
import io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration;
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
 * Limit 1, an annotated method calling an annotated method of another bean for the same agent:
 * the inner call runs on the permit its thread already holds, unless the quota says otherwise,
 * and then its refusal says why.
 */
class NestedBoundedExecutionTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AgentControlPlaneAutoConfiguration.class,
				BoundedExecutionAutoConfiguration.class))
		.withUserConfiguration(Services.class)
		.withPropertyValues("agent-control-plane.quotas.solo.max-concurrent-executions=1",
				"agent-control-plane.quotas.solo.max-wait=5s",
				"agent-control-plane.quotas.solo.max-requests-per-minute=1",
				"agent-control-plane.quotas.solo.allowed-action-types=api-call");

	@Test
	void nestedCallOnTheSameAgentRunsOnThePermitItsThreadHolds() {
		this.contextRunner.run((context) -> {
			long start = System.nanoTime();
			assertThat(context.getBean(Outer.class).work()).isEqualTo("inner done");
			assertThat(java.time.Duration.ofNanos(System.nanoTime() - start)).isLessThan(java.time.Duration.ofSeconds(4));
			QuotaSnapshot snapshot = context.getBean(PolicyEngine.class).snapshot("solo").orElseThrow();
			assertThat(snapshot.acquired()).isEqualTo(1);
			assertThat(snapshot.rejected()).isZero();
			assertThat(snapshot.inFlight()).isZero();
		});
	}

	@Test
	void nestedCallStillHasItsActionTypeChecked() {
		this.contextRunner.run((context) -> {
			assertThatExceptionOfType(QuotaExceededException.class)
				.isThrownBy(() -> context.getBean(Outer.class).workThenWrite())
				.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(RejectionReason.ACTION_NOT_ALLOWED))
				.withMessageContaining("'file-write'")
				.withMessageContaining("a nested call joins its caller's permit, but not its actions");
			// Counted like any refused call: in the snapshot, and so in the metrics and the endpoint.
			QuotaSnapshot snapshot = context.getBean(PolicyEngine.class).snapshot("solo").orElseThrow();
			assertThat(snapshot.rejectedByReason()).containsEntry(RejectionReason.ACTION_NOT_ALLOWED, 1L);
			assertThat(snapshot.inFlight()).isZero();
		});
	}

	@Test
	void nestedCallThatMayNotJoinIsRefusedWithAMessageSayingWhy() {
		this.contextRunner
			.withPropertyValues("agent-control-plane.quotas.solo.join-nested-calls=false",
					"agent-control-plane.quotas.solo.max-wait=0s")
			.run((context) -> assertThatExceptionOfType(QuotaExceededException.class)
				.isThrownBy(() -> context.getBean(Outer.class).work())
				.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(RejectionReason.CONCURRENCY_LIMIT))
				.withMessageContaining("nested")
				.withMessageContaining("join-nested-calls=false"));
	}

	@Test
	void joinNestedCallsIsInheritedFromTheDefaults() {
		this.contextRunner
			.withPropertyValues("agent-control-plane.defaults.join-nested-calls=false",
					"agent-control-plane.quotas.solo.max-wait=0s")
			.run((context) -> assertThatExceptionOfType(QuotaExceededException.class)
				.isThrownBy(() -> context.getBean(Outer.class).work())
				.withMessageContaining("join-nested-calls=false"));
	}

	@Test
	void anotherThreadDoesNotJoinThePermit() {
		this.contextRunner.withPropertyValues("agent-control-plane.quotas.solo.max-wait=0s").run((context) -> {
			Outer outer = context.getBean(Outer.class);
			Inner inner = context.getBean(Inner.class);
			Gate gate = context.getBean(Gate.class);
			CompletableFuture<String> holder = new CompletableFuture<>();
			new Thread(() -> holder.complete(outer.holdUntilReleased()), "holder").start();
			assertThat(gate.entered.await(10, TimeUnit.SECONDS)).isTrue();
			try {
				assertThatExceptionOfType(QuotaExceededException.class).isThrownBy(inner::work);
			}
			finally {
				gate.release.countDown();
			}
			assertThat(holder.get(10, TimeUnit.SECONDS)).isEqualTo("held");
		});
	}

	@Configuration(proxyBeanMethods = false)
	static class Services {

		@Bean
		Inner inner() {
			return new Inner();
		}

		@Bean
		Gate gate() {
			return new Gate();
		}

		@Bean
		Outer outer(Inner inner, Gate gate) {
			return new Outer(inner, gate);
		}

	}

	public static class Inner {

		@BoundedExecution(agent = "solo", action = ActionType.API_CALL)
		public String work() {
			return "inner done";
		}

		@BoundedExecution(agent = "solo", action = ActionType.FILE_WRITE)
		public String write() {
			return "written";
		}

	}

	static class Gate {

		final CountDownLatch entered = new CountDownLatch(1);

		final CountDownLatch release = new CountDownLatch(1);

	}

	public static class Outer {

		private final Inner inner;

		private final Gate gate;

		Outer(Inner inner, Gate gate) {
			this.inner = inner;
			this.gate = gate;
		}

		@BoundedExecution(agent = "solo", action = ActionType.API_CALL)
		public String work() {
			return this.inner.work();
		}

		@BoundedExecution(agent = "solo", action = ActionType.API_CALL)
		public String workThenWrite() {
			return this.inner.write();
		}

		@BoundedExecution(agent = "solo")
		public String holdUntilReleased() {
			this.gate.entered.countDown();
			try {
				this.gate.release.await(10, TimeUnit.SECONDS);
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
			}
			return "held";
		}

	}

}
