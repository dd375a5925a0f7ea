package io.agentcontrolplane.autoconfigure.reliability;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration;
import io.agentcontrolplane.concurrent.BoundedExecutor;
import io.agentcontrolplane.concurrent.GatherException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledForJreRange;
import org.junit.jupiter.api.condition.JRE;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Closing the application context stops the auto-configured {@link BoundedExecutor}'s work
 * promptly: running tasks are interrupted, tasks not yet started never start, the blocked caller
 * gets a {@link GatherException} within a bounded time, the executor's threads are gone, and
 * later calls fail at once instead of hanging.
 */
class BoundedExecutorShutdownTests {

	private static final Duration PROMPTLY = Duration.ofSeconds(5);

	private static final String THREAD_PREFIX = "agent-control-plane-";

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AgentControlPlaneAutoConfiguration.class));

	private final ExecutorService callers = Executors.newCachedThreadPool((task) -> {
		Thread thread = new Thread(task, "reliability-caller");
		thread.setDaemon(true);
		return thread;
	});

	/** Released at the end so that a task that ignored its interrupt cannot outlive the test. */
	private final CountDownLatch never = new CountDownLatch(1);

	@AfterEach
	void release() throws InterruptedException {
		this.never.countDown();
		this.callers.shutdownNow();
		assertThat(this.callers.awaitTermination(PROMPTLY.toSeconds(), TimeUnit.SECONDS)).isTrue();
	}

	@Test
	void contextCloseStopsARunningGatherPromptlyAndLeavesNoThreads() {
		Set<String> before = executorThreads();
		Set<Thread> threadsBefore = Thread.getAllStackTraces().keySet();
		this.contextRunner.run((context) -> {
			BoundedExecutor executor = context.getBean(BoundedExecutor.class);
			Blocking blocking = new Blocking(4);
			CompletableFuture<Object> caller = CompletableFuture.supplyAsync(() -> executor.gather(4, blocking.tasks(100)),
					this.callers);
			assertThat(blocking.started.await(PROMPTLY.toSeconds(), TimeUnit.SECONDS)).isTrue();
			assertThat(executorThreads()).hasSizeGreaterThanOrEqualTo(4);
			long closing = System.nanoTime();
			context.close();
			Throwable outcome = outcome(caller);
			long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - closing);
			System.out.println("gather stopped " + tookMillis + " ms after context close; live threads before "
					+ threadsBefore.size() + ", while running " + (threadsBefore.size() + 4 + 1) + " (4 workers, 1 caller)");
			assertThat(outcome).isInstanceOf(GatherException.class);
			assertThat(blocking.startedCount).hasValue(4);
			assertThat(blocking.interrupted).hasValue(4);
			assertNoExecutorThreadsBeyond(before);
		});
		// Every thread started since, but the test's own caller and the test tools' timers, has ended.
		await().atMost(PROMPTLY).untilAsserted(() -> assertThat(newThreads(threadsBefore)).isEmpty());
		System.out.println("live threads after close: " + Thread.getAllStackTraces().size());
	}

	@Test
	void contextCloseStopsAProcessEachOverAnEndlessSourcePromptly() {
		Set<String> before = executorThreads();
		this.contextRunner.run((context) -> {
			BoundedExecutor executor = context.getBean(BoundedExecutor.class);
			Blocking blocking = new Blocking(3);
			AtomicInteger read = new AtomicInteger();
			Iterable<Integer> endless = () -> IntStream.iterate(0, (i) -> i + 1).peek((i) -> read.incrementAndGet()).iterator();
			CompletableFuture<Object> caller = CompletableFuture.supplyAsync(
					() -> executor.processEach(endless, blocking::process, 3, 10, (item, result) -> {
					}), this.callers);
			assertThat(blocking.started.await(PROMPTLY.toSeconds(), TimeUnit.SECONDS)).isTrue();
			context.close();
			assertThat(outcome(caller)).isInstanceOf(GatherException.class);
			assertThat(blocking.interrupted).hasValue(3);
			// Bounded read-ahead: workers + queue + the one item the reader holds.
			assertThat(read.get()).isLessThanOrEqualTo(3 + 10 + 1);
			assertNoExecutorThreadsBeyond(before);
		});
	}

	@Test
	void callsAfterContextCloseFailAtOnceInsteadOfHanging() {
		this.contextRunner.run((context) -> {
			BoundedExecutor executor = context.getBean(BoundedExecutor.class);
			context.close();
			CompletableFuture<Object> caller = CompletableFuture
				.supplyAsync(() -> executor.gather(2, List.<Callable<Integer>>of(() -> 1, () -> 2)), this.callers);
			Throwable outcome = outcome(caller);
			assertThat(outcome).isNotNull();
			System.out.println("gather after close: " + outcome);
		});
	}

	@Test
	@EnabledForJreRange(min = JRE.JAVA_21)
	void contextCloseStopsARunningGatherOnVirtualThreadsPromptly() {
		this.contextRunner.withPropertyValues("spring.threads.virtual.enabled=true").run((context) -> {
			BoundedExecutor executor = context.getBean(BoundedExecutor.class);
			Blocking blocking = new Blocking(4);
			CompletableFuture<Object> caller = CompletableFuture.supplyAsync(() -> executor.gather(4, blocking.tasks(100)),
					this.callers);
			assertThat(blocking.started.await(PROMPTLY.toSeconds(), TimeUnit.SECONDS)).isTrue();
			assertThat(blocking.virtual).hasValue(4);
			context.close();
			assertThat(outcome(caller)).isInstanceOf(GatherException.class);
			assertThat(blocking.startedCount).hasValue(4);
			assertThat(blocking.interrupted).hasValue(4);
		});
	}

	private Throwable outcome(CompletableFuture<Object> caller) {
		try {
			Object value = caller.get(PROMPTLY.toSeconds(), TimeUnit.SECONDS);
			throw new AssertionError("expected the call to fail, it returned " + value);
		}
		catch (java.util.concurrent.TimeoutException ex) {
			throw new AssertionError("the call did not end within " + PROMPTLY + " of the context closing", ex);
		}
		catch (java.util.concurrent.ExecutionException ex) {
			return ex.getCause();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new AssertionError(ex);
		}
	}

	private static void assertNoExecutorThreadsBeyond(Set<String> before) {
		await().atMost(PROMPTLY).untilAsserted(() -> assertThat(executorThreads()).isSubsetOf(before));
	}

	private static List<String> newThreads(Set<Thread> before) {
		return Thread.getAllStackTraces()
			.keySet()
			.stream()
			.filter((thread) -> thread.isAlive() && !before.contains(thread))
			.map(Thread::getName)
			.filter((name) -> !name.equals("reliability-caller") && !name.startsWith("awaitility"))
			.toList();
	}

	private static Set<String> executorThreads() {
		return Thread.getAllStackTraces()
			.keySet()
			.stream()
			.filter(Thread::isAlive)
			.map(Thread::getName)
			.filter((name) -> name.startsWith(THREAD_PREFIX))
			.collect(Collectors.toSet());
	}

	/**
	 * Tasks that block until interrupted (or until the test ends), counting starts and interrupts.
	 */
	private final class Blocking {

		final CountDownLatch started;

		final AtomicInteger startedCount = new AtomicInteger();

		final AtomicInteger interrupted = new AtomicInteger();

		final AtomicInteger virtual = new AtomicInteger();

		Blocking(int expectedStarts) {
			this.started = new CountDownLatch(expectedStarts);
		}

		List<Callable<Integer>> tasks(int count) {
			List<Callable<Integer>> tasks = new ArrayList<>();
			for (int i = 0; i < count; i++) {
				int index = i;
				tasks.add(() -> {
					block();
					return index;
				});
			}
			return tasks;
		}

		Integer process(Integer item) {
			try {
				block();
			}
			catch (InterruptedException ex) {
				Thread.currentThread().interrupt();
				throw new IllegalStateException("interrupted", ex);
			}
			return item;
		}

		private void block() throws InterruptedException {
			this.startedCount.incrementAndGet();
			if (Thread.currentThread().toString().startsWith("VirtualThread")) {
				this.virtual.incrementAndGet();
			}
			this.started.countDown();
			try {
				BoundedExecutorShutdownTests.this.never.await();
			}
			catch (InterruptedException ex) {
				this.interrupted.incrementAndGet();
				throw ex;
			}
		}

	}

}
