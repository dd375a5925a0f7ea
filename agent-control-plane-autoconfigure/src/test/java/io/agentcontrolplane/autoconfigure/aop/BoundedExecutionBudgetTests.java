package io.agentcontrolplane.autoconfigure.aop;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.agentcontrolplane.annotation.BoundedExecution;
import io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration;
import io.agentcontrolplane.quota.BudgetStatus;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.RejectionReason;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * {@code @BoundedExecution} with {@code estimate} and {@code usage} expressions, in a small
 * application: the estimate is reserved, the usage settled from {@code #result}, and a method
 * that throws refunds in full.
 */
class BoundedExecutionBudgetTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(
				AutoConfigurations.of(AgentControlPlaneAutoConfiguration.class, BoundedExecutionAutoConfiguration.class))
		.withUserConfiguration(ModelClientConfiguration.class)
		.withPropertyValues("agent-control-plane.quotas.llm.budgets[0].unit=tokens",
				"agent-control-plane.quotas.llm.budgets[0].limit=1000",
				"agent-control-plane.quotas.llm.budgets[0].per=1h",
				"agent-control-plane.quotas.llm.budgets[1].unit=output-tokens",
				"agent-control-plane.quotas.llm.budgets[1].limit=500",
				"agent-control-plane.quotas.llm.budgets[1].per=1h");

	@Test
	void theEstimateIsReservedAndTheUsageFromTheResultSettled() {
		this.contextRunner.run((context) -> {
			ModelClient client = context.getBean(ModelClient.class);
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			client.complete(400, 300, (engineSeen) -> assertThat(remaining(engine)).containsExactly(600, 500));
			// Settled: 300 tokens, counted as input tokens (a number is input tokens).
			assertThat(remaining(engine)).containsExactly(700, 500);
			client.chat(100, 200, 40, 60);
			// A Usage: 40 in + 60 out.
			assertThat(remaining(engine)).containsExactly(600, 440);
		});
	}

	@Test
	void aMethodThatThrowsRefundsTheWholeEstimate() {
		this.contextRunner.run((context) -> {
			ModelClient client = context.getBean(ModelClient.class);
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			assertThatIllegalStateException().isThrownBy(() -> client.fail(400));
			assertThat(remaining(engine)).containsExactly(1000, 500);
			assertThat(engine.snapshot("llm").orElseThrow().inFlight()).isZero();
		});
	}

	@Test
	void anEstimateLargerThanTheBudgetIsRefusedBeforeTheMethodRuns() {
		this.contextRunner.run((context) -> {
			ModelClient client = context.getBean(ModelClient.class);
			assertThatExceptionOfType(QuotaExceededException.class).isThrownBy(() -> client.chat(100, 600, 1, 1))
				.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(RejectionReason.BUDGET_EXHAUSTED));
			assertThat(client.chats).isZero();
		});
	}

	@Test
	void aCompletionStageSettlesWhenItCompletes() {
		this.contextRunner.run((context) -> {
			ModelClient client = context.getBean(ModelClient.class);
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			CompletableFuture<Reply> reply = new CompletableFuture<>();
			CompletableFuture<Reply> call = client.stream(500, reply);
			assertThat(remaining(engine)).containsExactly(500, 0);
			reply.complete(new Reply(120, 30));
			assertThat(call.get(10, TimeUnit.SECONDS).output()).isEqualTo(30);
			assertThat(remaining(engine)).containsExactly(850, 470);
			assertThat(engine.snapshot("llm").orElseThrow().inFlight()).isZero();
		});
	}

	/** What each budget of agent {@code llm} has left, in order (also for the reactive tests). */
	static long[] remaining(PolicyEngine engine) {
		return engine.snapshot("llm").orElseThrow().budgets().stream().mapToLong(BudgetStatus::remaining).toArray();
	}

	@Configuration(proxyBeanMethods = false)
	static class ModelClientConfiguration {

		@Bean
		ModelClient modelClient() {
			return new ModelClient();
		}

	}

	/**
	 * What a model answered, or one chunk of it: input and output tokens.
	 */
	record Reply(long input, long output) {

	}

	static class ModelClient {

		volatile int chats;

		@BoundedExecution(agent = "llm", estimate = "#maxTokens", usage = "#result")
		public long complete(long maxTokens, long used, java.util.function.Consumer<Object> whileRunning) {
			whileRunning.accept(this);
			return used;
		}

		@BoundedExecution(agent = "llm",
				estimate = "T(io.agentcontrolplane.quota.Usage).estimate(#prompt, #maxOutput)",
				usage = "T(io.agentcontrolplane.quota.Usage).of('gpt-4.1-mini', #result.input(), #result.output())")
		public Reply chat(long prompt, long maxOutput, long input, long output) {
			this.chats++;
			return new Reply(input, output);
		}

		@BoundedExecution(agent = "llm", estimate = "#maxTokens", usage = "#result")
		public long fail(long maxTokens) {
			throw new IllegalStateException("the provider could not be reached");
		}

		@BoundedExecution(agent = "llm",
				estimate = "T(io.agentcontrolplane.quota.Usage).estimate(0, #maxOutput)",
				usage = "T(io.agentcontrolplane.quota.Usage).of('gpt-4.1-mini', #result.input(), #result.output())")
		public CompletableFuture<Reply> stream(long maxOutput, CompletableFuture<Reply> reply) {
			return reply;
		}

	}

}
