package io.agentcontrolplane.quota;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * SPEC section 8, item 10: the engine is safe under real parallel threads, platform or virtual.
 * Many threads hammer one agent with every kind of call, early exits, exceptions, interrupts,
 * asynchronous cancellations and live resizes; a counter inside the guarded section proves that
 * no admission ever happens above the limit in force, and at the end every permit is back.
 */
class ConcurrencyHammerTests {

	private static final int WORKERS = 16;

	private static final int OPERATIONS = 1500;

	private static final int MAX_LIMIT = 6;

	@Test
	void platformThreadsNeverExceedTheLimitAndReturnEveryPermit() throws Exception {
		ExecutorService executor = Executors.newFixedThreadPool(WORKERS);
		try {
			hammer(executor);
		}
		finally {
			executor.shutdownNow();
		}
	}

	@Test
	void virtualThreadsNeverExceedTheLimitAndReturnEveryPermit() throws Throwable {
		assumeTrue(Runtime.version().feature() >= 21,
				"virtual threads need JDK 21+, running on " + Runtime.version() + ": skipped");
		// Looked up reflectively so that this class compiles on the Java 17 baseline.
		MethodHandle factory = MethodHandles.publicLookup()
			.findStatic(Executors.class, "newVirtualThreadPerTaskExecutor", MethodType.methodType(ExecutorService.class));
		ExecutorService executor = (ExecutorService) factory.invoke();
		try {
			hammer(executor);
		}
		finally {
			executor.shutdownNow();
		}
	}

	private void hammer(ExecutorService executor) throws Exception {
		PolicyEngine engine = new PolicyEngine();
		engine.setQuota("a", quota(3, true));
		Guard guard = new Guard();
		List<Thread> workers = new CopyOnWriteArrayList<>();
		AtomicReference<Throwable> failure = new AtomicReference<>();
		CountDownLatch started = new CountDownLatch(WORKERS);
		CountDownLatch finished = new CountDownLatch(WORKERS);
		for (int i = 0; i < WORKERS; i++) {
			executor.execute(() -> {
				workers.add(Thread.currentThread());
				started.countDown();
				try {
					for (int op = 0; op < OPERATIONS && failure.get() == null; op++) {
						Thread.interrupted();
						try {
							oneCall(engine, guard);
						}
						catch (TaskFailure expected) {
							// Thrown out of the guarded section: the permit was released on the way.
						}
					}
				}
				catch (Throwable ex) {
					failure.compareAndSet(null, ex);
				}
				finally {
					Thread.interrupted();
					finished.countDown();
				}
			});
		}
		assertThat(started.await(30, TimeUnit.SECONDS)).isTrue();
		// The interrupter and the resizer run on this thread until the workers are done.
		ThreadLocalRandom random = ThreadLocalRandom.current();
		int resizes = 0;
		while (finished.getCount() > 0) {
			if (random.nextInt(4) == 0) {
				workers.get(random.nextInt(workers.size())).interrupt();
			}
			else {
				resize(engine, guard, 1 + random.nextInt(MAX_LIMIT), random.nextBoolean());
				resizes++;
			}
			Thread.onSpinWait();
		}
		assertThat(finished.await(60, TimeUnit.SECONDS)).isTrue();
		assertThat(failure.get()).isNull();
		assertThat(guard.violations.get()).as("admissions above the limit in force").isZero();
		assertThat(guard.inside.get()).isZero();
		assertThat(guard.admitted.get()).isPositive();
		assertThat(resizes).isPositive();
		// Every permit is back: asynchronous grants settle at once, time-outs within their wait.
		await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
			QuotaSnapshot snapshot = engine.snapshot("a").orElseThrow();
			assertThat(snapshot.inFlight()).isZero();
			assertThat(snapshot.waiting()).isZero();
		});
		QuotaSnapshot snapshot = engine.snapshot("a").orElseThrow();
		assertThat(snapshot.acquired()).isGreaterThanOrEqualTo(guard.admitted.get());
		// And exactly the limit is free again.
		int limit = snapshot.maxConcurrentExecutions();
		for (int i = 0; i < limit; i++) {
			assertThat(engine.tryAcquireExecutionSlot("a")).isTrue();
		}
		assertThat(engine.tryAcquireExecutionSlot("a")).isFalse();
	}

	private static ResourceQuota quota(int limit, boolean fair) {
		return ResourceQuota.builder("a").maxConcurrentExecutions(limit).maxWait(Duration.ofMillis(2)).fair(fair).build();
	}

	/**
	 * Change the limit; while in-flight may still exceed a lowered limit the guard accepts the
	 * old one, and it tightens once the engine has drained below the new limit (after which no
	 * admission may push it above again).
	 */
	private static void resize(PolicyEngine engine, Guard guard, int limit, boolean fair) {
		guard.allowed = Math.max(guard.allowed, limit);
		engine.setQuota("a", quota(limit, fair));
		await().atMost(Duration.ofSeconds(10))
			.pollInterval(Duration.ofMillis(1))
			.until(() -> engine.snapshot("a").orElseThrow().inFlight() <= limit);
		guard.allowed = limit;
	}

	private static void oneCall(PolicyEngine engine, Guard guard) throws Exception {
		ThreadLocalRandom random = ThreadLocalRandom.current();
		switch (random.nextInt(5)) {
			case 0 -> {
				Optional<Permit> permit = engine.tryAcquire("a");
				if (permit.isPresent()) {
					try (Permit held = permit.get()) {
						guard.run(random);
					}
				}
			}
			case 1 -> {
				try (Permit held = engine.acquire("a")) {
					guard.run(random);
				}
				catch (QuotaExceededException | CancellationException ex) {
					// Refused, or interrupted while waiting: nothing is held.
				}
			}
			case 2 -> {
				CompletableFuture<Permit> future = engine.acquireAsync("a");
				if (random.nextInt(3) == 0 && future.cancel(true)) {
					return;
				}
				Permit permit;
				try {
					permit = future.get(10, TimeUnit.SECONDS);
				}
				catch (ExecutionException ex) {
					assertThat(ex.getCause()).isInstanceOf(QuotaExceededException.class);
					return;
				}
				catch (CancellationException ex) {
					return;
				}
				catch (InterruptedException ex) {
					if (future.cancel(true) || future.isCompletedExceptionally()) {
						return;
					}
					permit = future.join();
				}
				try (Permit held = permit) {
					guard.run(random);
				}
			}
			case 3 -> {
				if (engine.tryAcquireExecutionSlot("a")) {
					try {
						guard.run(random);
					}
					finally {
						engine.releaseExecutionSlot("a");
					}
				}
			}
			default -> {
				try (Permit held = engine.admit("a", ActionType.API_CALL, Duration.ofMillis(random.nextInt(3)))) {
					guard.run(random);
				}
				catch (QuotaExceededException | CancellationException ex) {
					// Refused, or interrupted while waiting: nothing is held.
				}
			}
		}
	}

	/**
	 * A failure of the work done under a permit.
	 */
	static final class TaskFailure extends RuntimeException {

		private static final long serialVersionUID = 1L;

		TaskFailure() {
			super("task failed", null, false, false);
		}

	}

	/**
	 * The guarded section: counts who is inside, and fails if ever more are inside than the
	 * limit in force allows.
	 */
	static final class Guard {

		final AtomicInteger inside = new AtomicInteger();

		final AtomicInteger violations = new AtomicInteger();

		final AtomicInteger admitted = new AtomicInteger();

		volatile int allowed = 3;

		void run(ThreadLocalRandom random) {
			int allowedBefore = this.allowed;
			int now = this.inside.incrementAndGet();
			try {
				this.admitted.incrementAndGet();
				if (now > allowedBefore || now > MAX_LIMIT) {
					this.violations.incrementAndGet();
				}
				switch (random.nextInt(4)) {
					case 0 -> throw new TaskFailure();
					case 1 -> {
						// an early exit
					}
					default -> {
						// Stay inside a while so that holders overlap even on two cores.
						for (int i = random.nextInt(20); i > 0; i--) {
							Thread.yield();
						}
					}
				}
			}
			finally {
				this.inside.decrementAndGet();
			}
		}

	}

}
