package io.agentcontrolplane.autoconfigure.aop;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import io.agentcontrolplane.annotation.BoundedExecution;
import io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration;
import io.agentcontrolplane.autoconfigure.AgentControlPlaneConfigurationException;
import io.agentcontrolplane.quota.ActionType;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.QuotaSnapshot;
import io.agentcontrolplane.quota.RejectionReason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

import org.springframework.aop.support.AopUtils;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.expression.spel.SpelEvaluationException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Tests for {@link BoundedExecutionAutoConfiguration}.
 */
@ExtendWith(OutputCaptureExtension.class)
class BoundedExecutionAutoConfigurationTests {

	private static final Duration WAIT = Duration.ofSeconds(10);

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(
				AutoConfigurations.of(AgentControlPlaneAutoConfiguration.class, BoundedExecutionAutoConfiguration.class))
		.withPropertyValues("agent-control-plane.quotas.worker.max-concurrent-executions=1",
				"agent-control-plane.quotas.worker.allowed-action-types=file-read",
				"agent-control-plane.quotas.type-agent.max-concurrent-executions=1",
				"agent-control-plane.quotas.method-agent.max-concurrent-executions=1",
				"agent-control-plane.quotas.placeholder-agent.max-concurrent-executions=1",
				"agent-control-plane.quotas.async-agent.max-concurrent-executions=1",
				"agent-control-plane.quotas.async-agent.max-wait=10s",
				"agent-control-plane.quotas.reactive-agent.max-concurrent-executions=1",
				"agent-control-plane.quotas.reactive-agent.max-wait=10s", "test.agent-name=placeholder-agent");

	private final ApplicationContextRunner servicesRunner = this.contextRunner
		.withUserConfiguration(ServicesConfiguration.class);

	@Test
	void plainMethodHoldsPermitForTheCallAndReleasesIt() {
		this.servicesRunner.run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			PlainService service = context.getBean(PlainService.class);
			assertThat(AopUtils.isCglibProxy(service)).isTrue();
			assertThat(service.call(() -> inFlight(engine, "worker"))).isEqualTo(1);
			assertThat(inFlight(engine, "worker")).isZero();
			assertThat(engine.snapshot("worker").orElseThrow().acquired()).isOne();
		});
	}

	@Test
	void refusedCallThrowsAndConsumesNothing() {
		// The second call is nested only to hold the first one's permit meanwhile.
		this.servicesRunner.withPropertyValues("agent-control-plane.quotas.worker.join-nested-calls=false")
			.run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			PlainService service = context.getBean(PlainService.class);
			QuotaExceededException refused = service.call(() -> {
				try {
					service.call(() -> 0);
					return null;
				}
				catch (QuotaExceededException ex) {
					return ex;
				}
			});
			assertThat(refused).isNotNull();
			assertThat(refused.agentId()).isEqualTo("worker");
			assertThat(refused.reason()).isEqualTo(RejectionReason.CONCURRENCY_LIMIT);
			QuotaSnapshot snapshot = engine.snapshot("worker").orElseThrow();
			assertThat(snapshot.inFlight()).isZero();
			assertThat(snapshot.acquired()).isOne();
			assertThat(snapshot.rejected()).isOne();
		});
	}

	@Test
	void actionOutsideAllowedTypesIsRefused() {
		this.servicesRunner.run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			PlainService service = context.getBean(PlainService.class);
			assertThat(service.read()).isEqualTo("read");
			assertThatExceptionOfType(QuotaExceededException.class).isThrownBy(service::write)
				.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(RejectionReason.ACTION_NOT_ALLOWED));
			assertThat(engine.snapshot("worker").orElseThrow().acquired()).isOne();
		});
	}

	@Test
	void methodLevelAnnotationWinsOverTypeLevel() {
		this.servicesRunner.run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			TypeLevelService service = context.getBean(TypeLevelService.class);
			assertThat(service.typeLevel(() -> inFlight(engine, "type-agent"))).isOne();
			assertThat(service.methodLevel(() -> inFlight(engine, "method-agent"))).isOne();
			assertThat(engine.snapshot("type-agent").orElseThrow().acquired()).isOne();
			assertThat(engine.snapshot("method-agent").orElseThrow().acquired()).isOne();
		});
	}

	@Test
	void typeLevelAnnotationAppliesToPublicMethodsOnly() {
		this.servicesRunner.run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			TypeLevelService service = context.getBean(TypeLevelService.class);
			assertThat(service.notPublic(() -> inFlight(engine, "type-agent"))).isZero();
			assertThat(engine.snapshot("type-agent").orElseThrow().acquired()).isZero();
		});
	}

	@Test
	void placeholdersInAgentIdAreResolved() {
		this.servicesRunner.run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			assertThat(context.getBean(PlainService.class).placeholder(() -> inFlight(engine, "placeholder-agent")))
				.isOne();
			assertThat(context.getBean(BoundedExecutionBeanPostProcessor.class).getLiteralAgentIds())
				.containsKeys("worker", "type-agent", "method-agent", "placeholder-agent", "async-agent",
						"reactive-agent");
		});
	}

	@Test
	void templatedAgentIdsLimitTenantsIndependently() {
		this.servicesRunner
			.withPropertyValues("agent-control-plane.unknown-agent=default-quota",
					"agent-control-plane.defaults.max-concurrent-executions=1",
					"agent-control-plane.defaults.join-nested-calls=false")
			.run((context) -> {
				PolicyEngine engine = context.getBean(PolicyEngine.class);
				TenantService tenants = context.getBean(TenantService.class);
				String nested = tenants.think("a", () -> {
					assertThat(inFlight(engine, "tenant-a")).isOne();
					assertThatExceptionOfType(QuotaExceededException.class)
						.isThrownBy(() -> tenants.think("a", () -> "second a"))
						.satisfies((ex) -> assertThat(ex.agentId()).isEqualTo("tenant-a"));
					return tenants.think("b", () -> {
						assertThat(inFlight(engine, "tenant-b")).isOne();
						return "b inside a";
					});
				});
				assertThat(nested).isEqualTo("b inside a");
				assertThat(tenants.byRequest(new TenantRequest("c"))).isEqualTo("c");
				assertThat(engine.snapshot("tenant-c")).isPresent();
			});
	}

	@Test
	void templateThatCannotBeEvaluatedFailsTheCallNamingTheTemplateAndTheMethod() {
		this.servicesRunner.withPropertyValues("agent-control-plane.unknown-agent=default-quota").run((context) -> {
			TenantService tenants = context.getBean(TenantService.class);
			assertThatIllegalArgumentException().isThrownBy(() -> tenants.byRequest(null))
				.withMessageStartingWith("@BoundedExecution agent id 'tenant-#{#request.tenantId()}' on ")
				.withMessageContaining("TenantService.byRequest(")
				.withMessageContaining("could not be evaluated: EL1011E")
				.withCauseInstanceOf(SpelEvaluationException.class);
			assertThat(context.getBean(PolicyEngine.class).snapshots().keySet())
				.noneMatch((agentId) -> agentId.startsWith("tenant-"));
		});
	}

	@Test
	void completableFutureHoldsPermitUntilCompletion() {
		this.servicesRunner.run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			AsyncService service = context.getBean(AsyncService.class);
			CompletableFuture<String> work = new CompletableFuture<>();
			CompletableFuture<String> result = service.async(work);
			assertThat(result).isNotDone();
			assertThat(inFlight(engine, "async-agent")).isOne();
			work.complete("done");
			assertThat(result.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("done");
			assertThat(inFlight(engine, "async-agent")).isZero();
		});
	}

	@Test
	void completableFutureReturnsPermitOnCancellation() {
		this.servicesRunner.run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			AsyncService service = context.getBean(AsyncService.class);
			CompletableFuture<String> work = new CompletableFuture<>();
			CompletableFuture<String> result = service.async(work);
			assertThat(inFlight(engine, "async-agent")).isOne();
			assertThat(result.cancel(true)).isTrue();
			assertThat(inFlight(engine, "async-agent")).isZero();
			assertThat(work).isCancelled();
		});
	}

	@Test
	void completableFutureWaitsForPermitWithoutBlockingCaller() {
		this.servicesRunner.run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			AsyncService service = context.getBean(AsyncService.class);
			CompletableFuture<String> first = new CompletableFuture<>();
			CompletableFuture<String> firstResult = service.async(first);
			CompletableFuture<String> second = new CompletableFuture<>();
			CompletableFuture<String> secondResult = service.async(second);
			assertThat(secondResult).isNotDone();
			assertThat(service.invocations()).isOne();
			assertThat(engine.snapshot("async-agent").orElseThrow().waiting()).isOne();
			first.complete("first");
			assertThat(firstResult.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("first");
			// The waiter's method runs on the engine's hand-off executor, never on the thread
			// that released the permit: wait for it, with a bound.
			org.awaitility.Awaitility.await().atMost(WAIT).until(() -> service.invocations() == 2);
			assertThat(inFlight(engine, "async-agent")).isOne();
			second.complete("second");
			assertThat(secondResult.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("second");
			org.awaitility.Awaitility.await().atMost(WAIT).until(() -> inFlight(engine, "async-agent") == 0);
		});
	}

	@Test
	void completableFutureCancelledWhileWaitingGivesUpTheWait() {
		this.servicesRunner.run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			AsyncService service = context.getBean(AsyncService.class);
			CompletableFuture<String> first = new CompletableFuture<>();
			service.async(first);
			CompletableFuture<String> waiting = service.async(new CompletableFuture<>());
			assertThat(engine.snapshot("async-agent").orElseThrow().waiting()).isOne();
			waiting.cancel(false);
			assertThat(engine.snapshot("async-agent").orElseThrow().waiting()).isZero();
			first.complete("first");
			assertThat(service.invocations()).isOne();
			assertThat(inFlight(engine, "async-agent")).isZero();
		});
	}

	@Test
	void refusedCompletableFutureFailsTheStageInsteadOfThrowing() {
		this.servicesRunner.withPropertyValues("agent-control-plane.quotas.async-agent.max-wait=0s")
			.run((context) -> {
				AsyncService service = context.getBean(AsyncService.class);
				service.async(new CompletableFuture<>());
				CompletableFuture<String> refused = service.async(new CompletableFuture<>());
				assertThat(refused).isCompletedExceptionally();
				assertThatExceptionOfType(ExecutionException.class).isThrownBy(refused::get)
					.withCauseInstanceOf(QuotaExceededException.class);
			});
	}

	@Test
	void maxExecutionTimeFailsSlowAsyncResultAndReleasesPermit() {
		this.servicesRunner.withPropertyValues("agent-control-plane.quotas.async-agent.max-execution-time=50ms")
			.run((context) -> {
				PolicyEngine engine = context.getBean(PolicyEngine.class);
				AsyncService service = context.getBean(AsyncService.class);
				CompletableFuture<String> work = new CompletableFuture<>();
				CompletableFuture<String> result = service.async(work);
				assertThatExceptionOfType(ExecutionException.class)
					.isThrownBy(() -> result.get(WAIT.toSeconds(), TimeUnit.SECONDS))
					.withCauseInstanceOf(TimeoutException.class);
				assertThat(inFlight(engine, "async-agent")).isZero();
				assertThat(work).isCancelled();
			});
	}

	@Test
	void monoTakesPermitOnSubscriptionAndReleasesOnComplete() {
		this.servicesRunner.run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			ReactiveService service = context.getBean(ReactiveService.class);
			Sinks.One<String> sink = Sinks.one();
			Mono<String> mono = service.mono(sink.asMono());
			assertThat(inFlight(engine, "reactive-agent")).isZero();
			CompletableFuture<String> result = mono.toFuture();
			assertThat(inFlight(engine, "reactive-agent")).isOne();
			sink.tryEmitValue("done");
			assertThat(result.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("done");
			assertThat(inFlight(engine, "reactive-agent")).isZero();
		});
	}

	@Test
	void monoReleasesPermitOnCancel() {
		this.servicesRunner.run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			ReactiveService service = context.getBean(ReactiveService.class);
			Disposable subscription = service.mono(Mono.never()).subscribe();
			assertThat(inFlight(engine, "reactive-agent")).isOne();
			subscription.dispose();
			assertThat(inFlight(engine, "reactive-agent")).isZero();
		});
	}

	@Test
	void monoWaitsForPermitWithoutBlockingSubscriber() {
		this.servicesRunner.run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			ReactiveService service = context.getBean(ReactiveService.class);
			Sinks.One<String> first = Sinks.one();
			CompletableFuture<String> firstResult = service.mono(first.asMono()).toFuture();
			CompletableFuture<String> secondResult = service.mono(Mono.just("second")).toFuture();
			assertThat(secondResult).isNotDone();
			assertThat(engine.snapshot("reactive-agent").orElseThrow().waiting()).isOne();
			first.tryEmitValue("first");
			assertThat(firstResult.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("first");
			assertThat(secondResult.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("second");
			assertThat(inFlight(engine, "reactive-agent")).isZero();
		});
	}

	@Test
	void fluxReleasesPermitOnErrorAndOnComplete() {
		this.servicesRunner.run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			ReactiveService service = context.getBean(ReactiveService.class);
			assertThat(service.flux(Flux.just(1, 2, 3)).collectList().block(WAIT)).containsExactly(1, 2, 3);
			Sinks.Many<Integer> sink = Sinks.many().unicast().onBackpressureBuffer();
			CompletableFuture<List<Integer>> result = service.flux(sink.asFlux()).collectList().toFuture();
			assertThat(inFlight(engine, "reactive-agent")).isOne();
			sink.tryEmitError(new IllegalStateException("boom"));
			assertThatExceptionOfType(ExecutionException.class)
				.isThrownBy(() -> result.get(WAIT.toSeconds(), TimeUnit.SECONDS))
				.withCauseInstanceOf(IllegalStateException.class);
			assertThat(inFlight(engine, "reactive-agent")).isZero();
			assertThat(engine.snapshot("reactive-agent").orElseThrow().acquired()).isEqualTo(2);
		});
	}

	@Test
	void maxExecutionTimeFailsSlowFluxAndReleasesPermit() {
		this.servicesRunner.withPropertyValues("agent-control-plane.quotas.reactive-agent.max-execution-time=50ms")
			.run((context) -> {
				PolicyEngine engine = context.getBean(PolicyEngine.class);
				ReactiveService service = context.getBean(ReactiveService.class);
				CompletableFuture<List<Integer>> result = service.flux(Flux.just(1).concatWith(Flux.never()))
					.collectList()
					.toFuture();
				assertThatExceptionOfType(ExecutionException.class)
					.isThrownBy(() -> result.get(WAIT.toSeconds(), TimeUnit.SECONDS))
					.withCauseInstanceOf(TimeoutException.class);
				assertThat(inFlight(engine, "reactive-agent")).isZero();
			});
	}

	@Test
	void literalAgentWithoutQuotaFailsStartupUnderReject() {
		this.contextRunner.withUserConfiguration(UnknownAgentConfiguration.class)
			.withPropertyValues("agent-control-plane.unknown-agent=reject")
			.run((context) -> {
				assertThat(context).hasFailed();
				assertThat(context.getStartupFailure()).isInstanceOf(AgentControlPlaneConfigurationException.class)
					.hasMessageContaining("'ghost-agent'")
					.hasMessageContaining("UnknownAgentService.call")
					.hasMessageContaining("reject");
			});
	}

	@Test
	void literalAgentWithoutQuotaLogsWarningUnderAllow(CapturedOutput output) {
		this.contextRunner.withUserConfiguration(UnknownAgentConfiguration.class).run((context) -> {
			assertThat(context).hasNotFailed();
			assertThat(output).contains("WARN").contains("'ghost-agent'").contains("agent-control-plane.quotas");
		});
	}

	@Test
	void literalAgentWithoutQuotaIsFineUnderDefaultQuota(CapturedOutput output) {
		this.contextRunner.withUserConfiguration(UnknownAgentConfiguration.class)
			.withPropertyValues("agent-control-plane.unknown-agent=default-quota")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				assertThat(output).doesNotContain("'ghost-agent'");
			});
	}

	@Test
	void invalidMaxWaitOnAnnotationFailsStartup() {
		this.contextRunner.withUserConfiguration(InvalidMaxWaitConfiguration.class).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(AgentControlPlaneConfigurationException.class)
				.hasMessageContaining("maxWait = \"2 fortnights\"")
				.hasMessageContaining("InvalidMaxWaitService");
		});
	}

	@Test
	void unresolvablePlaceholderInAgentIdFailsStartup() {
		this.contextRunner.withUserConfiguration(UnresolvableAgentConfiguration.class).run((context) -> {
			assertThat(context).hasFailed();
			assertThat(context.getStartupFailure()).rootCause()
				.isInstanceOf(AgentControlPlaneConfigurationException.class)
				.hasMessageContaining("UnresolvableAgentService.call()")
				.hasMessageContaining("agent = \"${missing.agent}\"")
				.hasMessageContaining("Could not resolve placeholder 'missing.agent'");
		});
	}

	@Test
	void worksWithoutAspectJ() {
		this.contextRunner.withUserConfiguration(PlainServiceConfiguration.class)
			.withClassLoader(new FilteredClassLoader("org.aspectj"))
			.run((context) -> {
				PolicyEngine engine = context.getBean(PolicyEngine.class);
				assertThat(context.getBean(PlainService.class).call(() -> inFlight(engine, "worker"))).isOne();
			});
	}

	@Test
	void worksWithoutReactor() {
		this.contextRunner.withUserConfiguration(PlainServiceConfiguration.class)
			.withClassLoader(new FilteredClassLoader(Mono.class))
			.run((context) -> {
				PolicyEngine engine = context.getBean(PolicyEngine.class);
				assertThat(context.getBean(PlainService.class).call(() -> inFlight(engine, "worker"))).isOne();
			});
	}

	@Test
	void backsOffWhenUserDefinesPostProcessor() {
		this.servicesRunner.withUserConfiguration(UserPostProcessorConfiguration.class)
			.run((context) -> assertThat(context).hasSingleBean(BoundedExecutionBeanPostProcessor.class)
				.hasBean("userPostProcessor"));
	}

	@Test
	void disabledLeavesBeansUnproxied() {
		this.servicesRunner.withPropertyValues("agent-control-plane.enabled=false").run((context) -> {
			assertThat(context).hasSingleBean(BoundedExecutionBeanPostProcessor.class);
			assertThat(AopUtils.isAopProxy(context.getBean(PlainService.class))).isFalse();
		});
	}

	private static int inFlight(PolicyEngine engine, String agentId) {
		return engine.snapshot(agentId).map(QuotaSnapshot::inFlight).orElse(0);
	}

	@Configuration(proxyBeanMethods = false)
	static class PlainServiceConfiguration {

		@Bean
		PlainService plainService() {
			return new PlainService();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class ServicesConfiguration extends PlainServiceConfiguration {

		@Bean
		TypeLevelService typeLevelService() {
			return new TypeLevelService();
		}

		@Bean
		TenantService tenantService() {
			return new TenantService();
		}

		@Bean
		AsyncService asyncService() {
			return new AsyncService();
		}

		@Bean
		ReactiveService reactiveService() {
			return new ReactiveService();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UnknownAgentConfiguration {

		@Bean
		UnknownAgentService unknownAgentService() {
			return new UnknownAgentService();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class InvalidMaxWaitConfiguration {

		@Bean
		InvalidMaxWaitService invalidMaxWaitService() {
			return new InvalidMaxWaitService();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UnresolvableAgentConfiguration {

		@Bean
		UnresolvableAgentService unresolvableAgentService() {
			return new UnresolvableAgentService();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserPostProcessorConfiguration {

		@Bean
		static BoundedExecutionBeanPostProcessor userPostProcessor() {
			return new BoundedExecutionBeanPostProcessor(PolicyEngine::new);
		}

	}

	public static class PlainService {

		@BoundedExecution(agent = "worker")
		public <T> T call(Supplier<T> inside) {
			return inside.get();
		}

		@BoundedExecution(agent = "worker", action = ActionType.FILE_READ)
		public String read() {
			return "read";
		}

		@BoundedExecution(agent = "worker", action = ActionType.FILE_WRITE)
		public String write() {
			return "write";
		}

		@BoundedExecution("${test.agent-name}")
		public <T> T placeholder(Supplier<T> inside) {
			return inside.get();
		}

	}

	@BoundedExecution("type-agent")
	static class TypeLevelService {

		public <T> T typeLevel(Supplier<T> inside) {
			return inside.get();
		}

		@BoundedExecution("method-agent")
		public <T> T methodLevel(Supplier<T> inside) {
			return inside.get();
		}

		<T> T notPublic(Supplier<T> inside) {
			return inside.get();
		}

	}

	record TenantRequest(String tenantId) {
	}

	static class TenantService {

		@BoundedExecution(agent = "tenant-#{#tenantId}")
		<T> T think(String tenantId, Supplier<T> inside) {
			return inside.get();
		}

		@BoundedExecution(agent = "tenant-#{#request.tenantId()}")
		String byRequest(TenantRequest request) {
			return request.tenantId();
		}

	}

	static class AsyncService {

		private final AtomicInteger invocations = new AtomicInteger();

		@BoundedExecution("async-agent")
		CompletableFuture<String> async(CompletableFuture<String> work) {
			this.invocations.incrementAndGet();
			return work;
		}

		int invocations() {
			return this.invocations.get();
		}

	}

	static class ReactiveService {

		@BoundedExecution("reactive-agent")
		Mono<String> mono(Mono<String> source) {
			return source;
		}

		@BoundedExecution("reactive-agent")
		Flux<Integer> flux(Flux<Integer> source) {
			return source;
		}

	}

	static class UnknownAgentService {

		@BoundedExecution("ghost-agent")
		String call() {
			return "boo";
		}

	}

	static class UnresolvableAgentService {

		@BoundedExecution("${missing.agent}")
		String call() {
			return "never";
		}

	}

	static class InvalidMaxWaitService {

		@BoundedExecution(agent = "worker", maxWait = "2 fortnights")
		String call() {
			return "late";
		}

	}

}
