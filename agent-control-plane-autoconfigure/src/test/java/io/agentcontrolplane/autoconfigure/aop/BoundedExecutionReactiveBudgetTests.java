package io.agentcontrolplane.autoconfigure.aop;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.agentcontrolplane.annotation.BoundedExecution;
import io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration;
import io.agentcontrolplane.autoconfigure.aop.BoundedExecutionBudgetTests.Reply;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.RejectionReason;
import org.junit.jupiter.api.Test;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@code @BoundedExecution} {@code estimate} and {@code usage} on {@code Mono} and {@code Flux}
 * results: the estimate is reserved on subscription, the usage of the value (a {@code Mono}) or
 * the sum over the elements (a {@code Flux}) settled on complete, the estimate refunded on an
 * error before any element, and kept charged on cancel. The test emits the values itself.
 */
class BoundedExecutionReactiveBudgetTests {

	private static final Duration WAIT = Duration.ofSeconds(10);

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(
				AutoConfigurations.of(AgentControlPlaneAutoConfiguration.class, BoundedExecutionAutoConfiguration.class))
		.withUserConfiguration(ReactiveModelClientConfiguration.class)
		.withPropertyValues("agent-control-plane.quotas.llm.budgets[0].unit=tokens",
				"agent-control-plane.quotas.llm.budgets[0].limit=1000",
				"agent-control-plane.quotas.llm.budgets[0].per=1h",
				"agent-control-plane.quotas.llm.budgets[1].unit=output-tokens",
				"agent-control-plane.quotas.llm.budgets[1].limit=500",
				"agent-control-plane.quotas.llm.budgets[1].per=1h");

	@Test
	void aMonoReservesOnSubscriptionAndSettlesTheUsageOfItsValue() {
		this.contextRunner.run((context) -> {
			ReactiveModelClient client = context.getBean(ReactiveModelClient.class);
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			Sinks.One<Reply> reply = Sinks.one();
			Mono<Reply> call = client.ask(400, reply.asMono());
			assertThat(BoundedExecutionBudgetTests.remaining(engine)).as("nothing reserved before subscription").containsExactly(1000, 500);
			CompletableFuture<Reply> result = call.toFuture();
			assertThat(BoundedExecutionBudgetTests.remaining(engine)).as("the estimate, 0 in + 400 out").containsExactly(600, 100);
			reply.tryEmitValue(new Reply(120, 30));
			assertThat(result.get(10, TimeUnit.SECONDS).output()).isEqualTo(30);
			assertThat(BoundedExecutionBudgetTests.remaining(engine)).containsExactly(850, 470);
			assertThat(inFlight(engine)).isZero();
		});
	}

	@Test
	void aMonoThatFailsRefundsTheWholeEstimate() {
		this.contextRunner.run((context) -> {
			ReactiveModelClient client = context.getBean(ReactiveModelClient.class);
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			Sinks.One<Reply> reply = Sinks.one();
			CompletableFuture<Reply> result = client.ask(400, reply.asMono()).toFuture();
			assertThat(BoundedExecutionBudgetTests.remaining(engine)).containsExactly(600, 100);
			reply.tryEmitError(new IllegalStateException("the provider could not be reached"));
			assertThat(result).failsWithin(WAIT);
			assertThat(BoundedExecutionBudgetTests.remaining(engine)).containsExactly(1000, 500);
			assertThat(inFlight(engine)).isZero();
		});
	}

	@Test
	void anEmptyMonoKeepsTheEstimateCharged() {
		this.contextRunner.run((context) -> {
			ReactiveModelClient client = context.getBean(ReactiveModelClient.class);
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			assertThat(client.ask(400, Mono.empty()).toFuture().get(10, TimeUnit.SECONDS)).isNull();
			assertThat(BoundedExecutionBudgetTests.remaining(engine)).containsExactly(600, 100);
			assertThat(inFlight(engine)).isZero();
		});
	}

	@Test
	void aCancelledMonoKeepsTheEstimateCharged() {
		this.contextRunner.run((context) -> {
			ReactiveModelClient client = context.getBean(ReactiveModelClient.class);
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			Sinks.One<Reply> reply = Sinks.one();
			Disposable subscription = client.ask(400, reply.asMono()).subscribe();
			assertThat(inFlight(engine)).isEqualTo(1);
			subscription.dispose();
			await().atMost(WAIT).until(() -> inFlight(engine) == 0);
			assertThat(BoundedExecutionBudgetTests.remaining(engine)).containsExactly(600, 100);
		});
	}

	@Test
	void aFluxSettlesTheSumOfTheUsageOfItsElements() {
		this.contextRunner.run((context) -> {
			ReactiveModelClient client = context.getBean(ReactiveModelClient.class);
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			Sinks.Many<Reply> chunks = Sinks.many().unicast().onBackpressureBuffer();
			CompletableFuture<java.util.List<Reply>> result = client.stream(400, chunks.asFlux()).collectList().toFuture();
			assertThat(BoundedExecutionBudgetTests.remaining(engine)).containsExactly(600, 100);
			chunks.tryEmitNext(new Reply(100, 5));
			// A chunk whose usage expression gives null adds nothing.
			chunks.tryEmitNext(new Reply(0, 0));
			chunks.tryEmitNext(new Reply(0, 15));
			assertThat(BoundedExecutionBudgetTests.remaining(engine)).as("settled only when the stream completes").containsExactly(600, 100);
			chunks.tryEmitComplete();
			assertThat(result.get(10, TimeUnit.SECONDS)).hasSize(3);
			// 100 in + 20 out.
			assertThat(BoundedExecutionBudgetTests.remaining(engine)).containsExactly(880, 480);
			assertThat(inFlight(engine)).isZero();
		});
	}

	@Test
	void aFluxThatFailsBeforeItsFirstElementRefundsTheWholeEstimate() {
		this.contextRunner.run((context) -> {
			ReactiveModelClient client = context.getBean(ReactiveModelClient.class);
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			Sinks.Many<Reply> chunks = Sinks.many().unicast().onBackpressureBuffer();
			CompletableFuture<java.util.List<Reply>> result = client.stream(400, chunks.asFlux()).collectList().toFuture();
			chunks.tryEmitError(new IllegalStateException("the provider could not be reached"));
			assertThat(result).failsWithin(WAIT);
			assertThat(BoundedExecutionBudgetTests.remaining(engine)).containsExactly(1000, 500);
			assertThat(inFlight(engine)).isZero();
		});
	}

	@Test
	void aFluxThatFailsAfterAnElementKeepsTheEstimateCharged() {
		this.contextRunner.run((context) -> {
			ReactiveModelClient client = context.getBean(ReactiveModelClient.class);
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			Sinks.Many<Reply> chunks = Sinks.many().unicast().onBackpressureBuffer();
			CompletableFuture<java.util.List<Reply>> result = client.stream(400, chunks.asFlux()).collectList().toFuture();
			chunks.tryEmitNext(new Reply(100, 5));
			chunks.tryEmitError(new IllegalStateException("the connection broke"));
			assertThat(result).failsWithin(WAIT);
			assertThat(BoundedExecutionBudgetTests.remaining(engine)).containsExactly(600, 100);
			assertThat(inFlight(engine)).isZero();
		});
	}

	@Test
	void aCancelledFluxKeepsTheEstimateCharged() {
		this.contextRunner.run((context) -> {
			ReactiveModelClient client = context.getBean(ReactiveModelClient.class);
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			Sinks.Many<Reply> chunks = Sinks.many().unicast().onBackpressureBuffer();
			Disposable subscription = client.stream(400, chunks.asFlux()).subscribe();
			chunks.tryEmitNext(new Reply(100, 5));
			subscription.dispose();
			await().atMost(WAIT).until(() -> inFlight(engine) == 0);
			assertThat(BoundedExecutionBudgetTests.remaining(engine)).containsExactly(600, 100);
		});
	}

	@Test
	void anEstimateLargerThanTheBudgetIsRefusedOnSubscriptionBeforeTheSourceRuns() {
		this.contextRunner.run((context) -> {
			ReactiveModelClient client = context.getBean(ReactiveModelClient.class);
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			Sinks.Many<Reply> chunks = Sinks.many().unicast().onBackpressureBuffer();
			CompletableFuture<java.util.List<Reply>> result = client.stream(600, chunks.asFlux()).collectList().toFuture();
			assertThat(result).failsWithin(WAIT)
				.withThrowableThat()
				.havingCause()
				.isInstanceOfSatisfying(QuotaExceededException.class,
						(ex) -> assertThat(ex.reason()).isEqualTo(RejectionReason.BUDGET_EXHAUSTED));
			assertThat(chunks.currentSubscriberCount()).isZero();
			assertThat(BoundedExecutionBudgetTests.remaining(engine)).containsExactly(1000, 500);
		});
	}

	private static int inFlight(PolicyEngine engine) {
		return engine.snapshot("llm").orElseThrow().inFlight();
	}

	@Configuration(proxyBeanMethods = false)
	static class ReactiveModelClientConfiguration {

		@Bean
		ReactiveModelClient reactiveModelClient() {
			return new ReactiveModelClient();
		}

	}

	static class ReactiveModelClient {

		@BoundedExecution(agent = "llm", estimate = "T(io.agentcontrolplane.quota.Usage).estimate(0, #maxOutput)",
				usage = "T(io.agentcontrolplane.quota.Usage).of('gpt-4.1-mini', #result.input(), #result.output())")
		public Mono<Reply> ask(long maxOutput, Mono<Reply> reply) {
			return reply;
		}

		@BoundedExecution(agent = "llm", estimate = "T(io.agentcontrolplane.quota.Usage).estimate(0, #maxOutput)",
				usage = "#result.output() == 0 ? null : T(io.agentcontrolplane.quota.Usage).of('gpt-4.1-mini', #result.input(), #result.output())")
		public Flux<Reply> stream(long maxOutput, Flux<Reply> chunks) {
			return chunks;
		}

	}

}
