package io.agentcontrolplane.autoconfigure.reliability;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Stream;

import io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration;
import io.agentcontrolplane.autoconfigure.aop.BoundedExecutionAutoConfiguration;
import io.agentcontrolplane.autoconfigure.reliability.FaultPathServices.FaultyService;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaSnapshot;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Every way a {@code @BoundedExecution} call can end badly returns its permit exactly once:
 * every kind of throwable, failed and {@code null} futures, cancellation racing with completion
 * and with the permit hand-off, disposed Reactor subscriptions (while waiting, while running, and
 * racing with the hand-off), partial consumption of a {@code Flux}. Races are repeated with a
 * barrier so that both orders happen on a loaded machine; every wait is bounded.
 */
class BoundedExecutionFaultPathTests {

	private static final Duration WAIT = Duration.ofSeconds(10);

	private static final int RACES = 300;

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(
				AutoConfigurations.of(AgentControlPlaneAutoConfiguration.class, BoundedExecutionAutoConfiguration.class))
		.withUserConfiguration(FaultPathServices.class)
		.withPropertyValues("agent-control-plane.unknown-agent=reject",
				"agent-control-plane.quotas.plain-agent.max-concurrent-executions=1",
				"agent-control-plane.quotas.async-agent.max-concurrent-executions=1",
				"agent-control-plane.quotas.async-agent.max-wait=30s",
				"agent-control-plane.quotas.reactive-agent.max-concurrent-executions=1",
				"agent-control-plane.quotas.reactive-agent.max-wait=30s");

	private final ExecutorService racers = Executors.newFixedThreadPool(2);

	@AfterEach
	void stopRacers() throws InterruptedException {
		this.racers.shutdownNow();
		assertThat(this.racers.awaitTermination(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
	}

	static Stream<Throwable> throwables() {
		return Stream.of(new IllegalStateException("runtime"), new IOException("checked"),
				new AssertionError("error"), new StackOverflowError("deep"), new OutOfMemoryError("simulated"),
				new InterruptedException("interrupted"));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("throwables")
	void plainCallThatThrowsReleasesItsPermit(Throwable failure) {
		this.contextRunner.run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			FaultyService service = context.getBean(FaultyService.class);
			assertThatThrownBy(() -> service.call(() -> {
				assertThat(inFlight(engine, FaultPathServices.PLAIN)).isOne();
				throw sneaky(failure);
			})).isSameAs(failure);
			Thread.interrupted();
			assertAllReturned(engine, FaultPathServices.PLAIN, 1);
		});
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("throwables")
	void asyncMethodThatThrowsBeforeReturningAFutureReleasesItsPermit(Throwable failure) {
		this.contextRunner.run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			FaultyService service = context.getBean(FaultyService.class);
			CompletableFuture<Object> result;
			try {
				result = service.async(() -> {
					throw sneaky(failure);
				});
			}
			catch (Throwable thrown) {
				// Throwing at once instead of failing the stage is acceptable too.
				assertThat(thrown).isSameAs(failure);
				assertAllReturned(engine, FaultPathServices.ASYNC, 1);
				return;
			}
			assertThatExceptionOfType(ExecutionException.class)
				.isThrownBy(() -> result.get(WAIT.toSeconds(), TimeUnit.SECONDS))
				.withCause(failure);
			assertAllReturned(engine, FaultPathServices.ASYNC, 1);
		});
	}

	@Test
	void asyncMethodReturningAFailedOrNullFutureReleasesItsPermit() {
		this.contextRunner.run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			FaultyService service = context.getBean(FaultyService.class);
			IllegalStateException failure = new IllegalStateException("failed stage");
			CompletableFuture<Object> failed = service.async(() -> CompletableFuture.failedFuture(failure));
			assertThatExceptionOfType(ExecutionException.class)
				.isThrownBy(() -> failed.get(WAIT.toSeconds(), TimeUnit.SECONDS))
				.withCause(failure);
			CompletableFuture<Object> nothing = service.async(() -> null);
			assertThat(nothing.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isNull();
			assertAllReturned(engine, FaultPathServices.ASYNC, 2);
		});
	}

	@Test
	void cancellationRacingWithCompletionReleasesExactlyOnce() {
		this.contextRunner.run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			FaultyService service = context.getBean(FaultyService.class);
			CyclicBarrier barrier = new CyclicBarrier(2);
			for (int i = 0; i < RACES; i++) {
				CompletableFuture<String> work = new CompletableFuture<>();
				CompletableFuture<String> result = service.async(() -> work);
				Future<?> complete = this.racers.submit(() -> {
					await(barrier);
					work.complete("done");
				});
				Future<?> cancel = this.racers.submit(() -> {
					await(barrier);
					result.cancel(true);
				});
				complete.get(WAIT.toSeconds(), TimeUnit.SECONDS);
				cancel.get(WAIT.toSeconds(), TimeUnit.SECONDS);
				assertThat(result).isDone();
				assertSettles(engine, FaultPathServices.ASYNC, i);
			}
			assertAllReturned(engine, FaultPathServices.ASYNC, RACES);
		});
	}

	@Test
	void cancellationOfAWaiterRacingWithTheHandOffNeverLosesOrLeaksAPermit() {
		this.contextRunner.run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			FaultyService service = context.getBean(FaultyService.class);
			CyclicBarrier barrier = new CyclicBarrier(2);
			for (int i = 0; i < RACES; i++) {
				CompletableFuture<String> holderWork = new CompletableFuture<>();
				CompletableFuture<String> holder = service.async(() -> holderWork);
				CompletableFuture<String> waiterWork = new CompletableFuture<>();
				CompletableFuture<String> waiter = service.async(() -> waiterWork);
				assertThat(waiter).isNotDone();
				Future<?> release = this.racers.submit(() -> {
					await(barrier);
					holderWork.complete("holder");
				});
				Future<?> cancel = this.racers.submit(() -> {
					await(barrier);
					waiter.cancel(true);
				});
				release.get(WAIT.toSeconds(), TimeUnit.SECONDS);
				cancel.get(WAIT.toSeconds(), TimeUnit.SECONDS);
				assertThat(holder.get(WAIT.toSeconds(), TimeUnit.SECONDS)).isEqualTo("holder");
				// If the waiter was invoked before the cancel, finishing its work changes nothing: the
				// cancelled result already returned the permit.
				waiterWork.complete("waiter");
				assertThat(waiter).isCancelled();
				assertSettles(engine, FaultPathServices.ASYNC, i);
			}
			assertThat(engine.tryAcquire(FaultPathServices.ASYNC)).isPresent().get().satisfies((p) -> p.close());
		});
	}

	@Test
	void manyQueuedAsyncCallsThatCompleteSynchronouslyAllCompleteAndReturnTheirPermits() {
		this.contextRunner.run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			FaultyService service = context.getBean(FaultyService.class);
			CompletableFuture<String> gate = new CompletableFuture<>();
			CompletableFuture<String> holder = service.async(() -> gate);
			List<CompletableFuture<String>> queued = new ArrayList<>();
			for (int i = 0; i < 3_000; i++) {
				queued.add(service.async(() -> CompletableFuture.completedFuture("cached")));
			}
			gate.complete("open");
			CompletableFuture.allOf(queued.toArray(CompletableFuture[]::new)).get(WAIT.toSeconds(), TimeUnit.SECONDS);
			assertThat(holder).isCompleted();
			assertAllReturned(engine, FaultPathServices.ASYNC, 3_001);
		});
	}

	@Test
	void monoDisposedWhileWaitingForAPermitLeavesTheQueueAndNeverRuns() {
		this.contextRunner.run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			FaultyService service = context.getBean(FaultyService.class);
			Disposable holder = service.mono(Mono.never()).subscribe();
			AtomicBoolean subscribed = new AtomicBoolean();
			Disposable waiter = service.mono(Mono.just("late").doOnSubscribe((s) -> subscribed.set(true))).subscribe();
			assertThat(engine.snapshot(FaultPathServices.REACTIVE).orElseThrow().waiting()).isOne();
			waiter.dispose();
			assertThat(engine.snapshot(FaultPathServices.REACTIVE).orElseThrow().waiting()).isZero();
			holder.dispose();
			assertThat(subscribed).isFalse();
			assertAllReturned(engine, FaultPathServices.REACTIVE, 1);
		});
	}

	@Test
	void disposalOfAWaitingMonoRacingWithTheHandOffNeverLosesOrLeaksAPermit() {
		this.contextRunner.run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			FaultyService service = context.getBean(FaultyService.class);
			CyclicBarrier barrier = new CyclicBarrier(2);
			for (int i = 0; i < RACES; i++) {
				Sinks.One<String> holderSink = Sinks.one();
				Disposable holder = service.mono(holderSink.asMono()).subscribe();
				Disposable waiter = service.mono(Mono.<String>never()).subscribe();
				Future<?> release = this.racers.submit(() -> {
					await(barrier);
					holderSink.tryEmitValue("done");
				});
				Future<?> dispose = this.racers.submit(() -> {
					await(barrier);
					waiter.dispose();
				});
				release.get(WAIT.toSeconds(), TimeUnit.SECONDS);
				dispose.get(WAIT.toSeconds(), TimeUnit.SECONDS);
				holder.dispose();
				assertSettles(engine, FaultPathServices.REACTIVE, i);
			}
			assertThat(engine.tryAcquire(FaultPathServices.REACTIVE)).isPresent().get().satisfies((p) -> p.close());
		});
	}

	@Test
	void fluxConsumedOnlyInPartOrFailingMidStreamReleasesItsPermit() {
		this.contextRunner.run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			FaultyService service = context.getBean(FaultyService.class);
			assertThat(service.flux(Flux.interval(Duration.ofMillis(1))).take(3).collectList().block(WAIT))
				.containsExactly(0L, 1L, 2L);
			assertThat(inFlight(engine, FaultPathServices.REACTIVE)).isZero();
			Flux<Integer> failing = Flux.just(1, 2).concatWith(Flux.error(new IllegalStateException("mid-stream")));
			assertThatThrownBy(() -> service.flux(failing).collectList().block(WAIT))
				.hasMessageContaining("mid-stream");
			assertThat(service.flux(Flux.just(1, 2, 3)).next().block(WAIT)).isEqualTo(1);
			assertAllReturned(engine, FaultPathServices.REACTIVE, 3);
		});
	}

	@Test
	void oneMonoSubscribedTwiceTakesAndReturnsOnePermitPerSubscription() {
		this.contextRunner.run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			FaultyService service = context.getBean(FaultyService.class);
			Mono<String> mono = service.mono(Mono.just("again"));
			assertThat(mono.block(WAIT)).isEqualTo("again");
			assertThat(mono.block(WAIT)).isEqualTo("again");
			assertAllReturned(engine, FaultPathServices.REACTIVE, 2);
		});
	}

	@Test
	void manyQueuedSynchronousMonosAllCompleteAndReturnTheirPermits() {
		this.contextRunner.run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			FaultyService service = context.getBean(FaultyService.class);
			Sinks.One<String> gate = Sinks.one();
			CompletableFuture<String> holder = service.mono(gate.asMono()).toFuture();
			List<CompletableFuture<String>> queued = new ArrayList<>();
			for (int i = 0; i < 3_000; i++) {
				queued.add(service.mono(Mono.just("cached")).toFuture());
			}
			gate.tryEmitValue("open");
			CompletableFuture.allOf(queued.toArray(CompletableFuture[]::new)).get(WAIT.toSeconds(), TimeUnit.SECONDS);
			assertThat(holder).isCompleted();
			assertAllReturned(engine, FaultPathServices.REACTIVE, 3_001);
		});
	}

	private static void assertAllReturned(PolicyEngine engine, String agentId, long acquired) {
		QuotaSnapshot snapshot = engine.snapshot(agentId).orElseThrow();
		assertThat(snapshot.inFlight()).as("in flight of %s", agentId).isZero();
		assertThat(snapshot.waiting()).as("waiting of %s", agentId).isZero();
		assertThat(snapshot.acquired()).as("acquired by %s", agentId).isEqualTo(acquired);
	}

	/**
	 * A waiter's future is completed on the engine's hand-off executor, so a permit granted to a
	 * waiter that was cancelled in the same instant is given back a moment after the race: wait
	 * for it, with a bound. Polled every millisecond from the start: Awaitility's default first
	 * delay of 100 ms, paid by each of the 300 races, made these tests take 30 s each.
	 */
	private static void assertSettles(PolicyEngine engine, String agentId, int race) {
		Awaitility.await().pollDelay(Duration.ZERO).pollInterval(Duration.ofMillis(1)).atMost(WAIT).untilAsserted(() -> {
			QuotaSnapshot snapshot = engine.snapshot(agentId).orElseThrow();
			assertThat(snapshot.inFlight()).as("in flight after race %d", race).isZero();
			assertThat(snapshot.waiting()).as("waiting after race %d", race).isZero();
		});
	}

	private static int inFlight(PolicyEngine engine, String agentId) {
		return engine.snapshot(agentId).map(QuotaSnapshot::inFlight).orElse(-1);
	}

	private static void await(CyclicBarrier barrier) {
		try {
			barrier.await(WAIT.toSeconds(), TimeUnit.SECONDS);
		}
		catch (Exception ex) {
			throw new IllegalStateException("racer did not meet its partner", ex);
		}
	}

	@SuppressWarnings("unchecked")
	private static <E extends Throwable> RuntimeException sneaky(Throwable failure) throws E {
		throw (E) failure;
	}

}
