package io.agentcontrolplane.autoconfigure.aop;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import io.agentcontrolplane.annotation.BoundedExecution;
import io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaListener;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Limit 1, a {@code @BoundedExecution} method returning {@code CompletableFuture}: the body of
 * a call that had to wait runs once the permit is handed over, and never on the thread that
 * released the permit. Running it there would make whoever completed the previous call's future
 * run someone else's code, and hold up every later hand-off while that code runs (issue 14,
 * defect a).
 */
class AsyncHandOffThreadTests {

	private static final Duration BOUND = Duration.ofSeconds(10);

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AgentControlPlaneAutoConfiguration.class,
				BoundedExecutionAutoConfiguration.class))
		.withUserConfiguration(Services.class)
		.withPropertyValues("agent-control-plane.quotas.solo.max-concurrent-executions=1",
				"agent-control-plane.quotas.solo.max-wait=30s");

	@Test
	void aWaitingCallsBodyNeverRunsOnTheThreadThatReleasedThePermit() {
		this.contextRunner.run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			Recorder recorder = context.getBean(Recorder.class);
			// The listener hears the release on the thread that closes the permit, so the test
			// knows for sure which thread released it rather than assuming it.
			CopyOnWriteArrayList<Thread> releasedOn = new CopyOnWriteArrayList<>();
			engine.addListener(new QuotaListener() {
				@Override
				public void onReleased(String agentId, long heldNanos) {
					releasedOn.add(Thread.currentThread());
				}
			});

			CompletableFuture<String> finishA = new CompletableFuture<>();
			CompletableFuture<String> callA = recorder.work("A", finishA, null);
			assertThat(recorder.entered("A").await(BOUND.toSeconds(), TimeUnit.SECONDS)).isTrue();

			// B's body blocks until the test lets it go: if it ran on the releasing thread, that
			// thread could not finish releasing, which the test then sees.
			CountDownLatch letBFinish = new CountDownLatch(1);
			CompletableFuture<String> callB = recorder.work("B", CompletableFuture.completedFuture("B done"),
					letBFinish);
			await().atMost(BOUND).until(() -> engine.snapshot("solo").orElseThrow().waiting() == 1);
			assertThat(recorder.entered("B").getCount()).as("B ran while A held the only permit").isOne();

			CountDownLatch released = new CountDownLatch(1);
			Thread releaser = new Thread(() -> {
				finishA.complete("A done");
				released.countDown();
			}, "releaser");
			releaser.start();
			try {
				assertThat(recorder.entered("B").await(BOUND.toSeconds(), TimeUnit.SECONDS)).isTrue();
				assertThat(released.await(BOUND.toSeconds(), TimeUnit.SECONDS))
					.as("the releasing thread returned while B's body still runs")
					.isTrue();
			}
			finally {
				letBFinish.countDown();
			}
			assertThat(callA).succeedsWithin(BOUND).isEqualTo("A done");
			assertThat(callB).succeedsWithin(BOUND).isEqualTo("B done");
			releaser.join(BOUND.toMillis());

			assertThat(releasedOn).first().isSameAs(releaser);
			assertThat(recorder.ranOn("B")).isNotNull().isNotSameAs(releaser);
			assertThat(engine.snapshot("solo").orElseThrow().inFlight()).isZero();
		});
	}

	@Configuration(proxyBeanMethods = false)
	static class Services {

		@Bean
		Recorder recorder() {
			return new Recorder();
		}

	}

	/**
	 * An annotated method that records the thread its body runs on.
	 */
	public static class Recorder {

		private final Map<String, Thread> threads = new ConcurrentHashMap<>();

		private final Map<String, CountDownLatch> entered = new ConcurrentHashMap<>();

		/**
		 * Record the running thread under the call's name, then wait for the gate, if any.
		 * @param name the call's name
		 * @param result the future the call returns (the permit is held until it completes)
		 * @param gate a latch the body waits for before returning, or {@code null}
		 * @return {@code result}
		 */
		@BoundedExecution(agent = "solo")
		public CompletableFuture<String> work(String name, CompletableFuture<String> result, CountDownLatch gate) {
			this.threads.put(name, Thread.currentThread());
			entered(name).countDown();
			if (gate != null) {
				try {
					gate.await(BOUND.toSeconds(), TimeUnit.SECONDS);
				}
				catch (InterruptedException ex) {
					Thread.currentThread().interrupt();
				}
			}
			return result;
		}

		CountDownLatch entered(String name) {
			return this.entered.computeIfAbsent(name, (key) -> new CountDownLatch(1));
		}

		Thread ranOn(String name) {
			return this.threads.get(name);
		}

	}

}
