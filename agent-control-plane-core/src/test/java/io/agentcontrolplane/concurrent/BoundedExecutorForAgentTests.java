package io.agentcontrolplane.concurrent;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;

import io.agentcontrolplane.concurrent.BoundedExecutorGatherTests.InFlight;
import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.QuotaListener;
import io.agentcontrolplane.quota.QuotaSnapshot;
import io.agentcontrolplane.quota.RejectionReason;
import io.agentcontrolplane.quota.ResourceQuota;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.awaitility.Awaitility.await;

/**
 * Tests for {@link BoundedExecutor#gatherForAgent(String, List)} against the real
 * {@link PolicyEngine}.
 */
class BoundedExecutorForAgentTests {

	private final ExecutorService pool = Executors.newCachedThreadPool();

	private final PolicyEngine engine = new PolicyEngine();

	private final BoundedExecutor executor = new BoundedExecutor(this.pool, this.engine);

	@AfterEach
	void shutdown() throws InterruptedException {
		this.pool.shutdownNow();
		assertThat(this.pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
	}

	@Test
	void gatherForAgentTakesItsPermitsFromTheAgentsQuota() throws Exception {
		this.engine.setQuota("researcher", ResourceQuota.of("researcher", 3));
		CountDownLatch firstWave = new CountDownLatch(3);
		CountDownLatch release = new CountDownLatch(1);
		InFlight inFlight = new InFlight();
		List<Callable<Integer>> tasks = IntStream.range(0, 12).mapToObj((i) -> (Callable<Integer>) () -> {
			inFlight.enter();
			try {
				if (i < 3) {
					firstWave.countDown();
					assertThat(release.await(30, TimeUnit.SECONDS)).isTrue();
				}
				return i;
			}
			finally {
				inFlight.exit();
			}
		}).collect(Collectors.toList());
		ExecutorService caller = Executors.newSingleThreadExecutor();
		try {
			var result = caller.submit(() -> this.executor.gatherForAgent("researcher", tasks));
			assertThat(firstWave.await(30, TimeUnit.SECONDS)).isTrue();
			QuotaSnapshot during = this.engine.snapshot("researcher").orElseThrow();
			assertThat(during.inFlight()).isEqualTo(3);
			assertThat(during.available()).isZero();
			release.countDown();
			assertThat(result.get(30, TimeUnit.SECONDS))
				.containsExactlyElementsOf(IntStream.range(0, 12).boxed().collect(Collectors.toList()));
		}
		finally {
			caller.shutdownNow();
		}
		assertThat(inFlight.max()).isEqualTo(3);
		QuotaSnapshot after = this.engine.snapshot("researcher").orElseThrow();
		assertThat(after.inFlight()).isZero();
		assertThat(after.available()).isEqualTo(3);
		assertThat(after.acquired()).isEqualTo(12);
	}

	@Test
	void gatherForAgentSharesTheLimitWithOtherCallersOfTheAgent() {
		this.engine.setQuota("writer", ResourceQuota.of("writer", 2));
		InFlight inFlight = new InFlight();
		try (Permit held = this.engine.acquire("writer")) {
			List<Callable<Integer>> tasks = IntStream.range(0, 20).mapToObj((i) -> (Callable<Integer>) () -> {
				inFlight.enter();
				try {
					Thread.sleep(1);
					return i;
				}
				finally {
					inFlight.exit();
				}
			}).collect(Collectors.toList());
			assertThat(this.executor.gatherForAgent("writer", tasks)).hasSize(20);
			assertThat(this.engine.snapshot("writer").orElseThrow().inFlight()).isEqualTo(1);
		}
		assertThat(inFlight.max()).isEqualTo(1);
		assertThat(this.engine.snapshot("writer").orElseThrow().inFlight()).isZero();
	}

	@Test
	void gatherForAgentFailsWithQuotaExceededWhenNoPermitComesWithinMaxWait() {
		this.engine.setQuota("busy",
				ResourceQuota.builder("busy").maxConcurrentExecutions(1).maxWait(Duration.ofMillis(50)).build());
		AtomicInteger ran = new AtomicInteger();
		List<Callable<Integer>> tasks = List.of(ran::incrementAndGet, ran::incrementAndGet);
		try (Permit held = this.engine.acquire("busy")) {
			QuotaExceededException ex = catchThrowableOfType(QuotaExceededException.class,
					() -> this.executor.gatherForAgent("busy", tasks));
			assertThat(ex.agentId()).isEqualTo("busy");
			assertThat(ex.reason()).isEqualTo(RejectionReason.CONCURRENCY_LIMIT);
		}
		assertThat(ran).hasValue(0);
		assertThat(this.engine.snapshot("busy").orElseThrow().inFlight()).isZero();
	}

	@Test
	void gatherForAgentWaitsForItsOwnPermitsWhenTheQuotaDoesNotWait() {
		// maxWait zero: only the first permit must be free at once; later tasks reuse the
		// permits of the call's own finished tasks
		this.engine.setQuota("single", ResourceQuota.of("single", 1));
		List<Callable<Integer>> tasks = IntStream.range(0, 10)
			.mapToObj((i) -> (Callable<Integer>) () -> i)
			.collect(Collectors.toList());
		assertThat(this.executor.gatherForAgent("single", tasks)).hasSize(10);
		assertThat(this.engine.snapshot("single").orElseThrow().inFlight()).isZero();
	}

	@Test
	void gatherForAgentReturnsEveryPermitWhenATaskFails() {
		this.engine.setQuota("flaky", ResourceQuota.of("flaky", 4));
		CountDownLatch blockedStarted = new CountDownLatch(3);
		List<Callable<Integer>> tasks = IntStream.range(0, 40).mapToObj((i) -> (Callable<Integer>) () -> {
			if (i == 3) {
				assertThat(blockedStarted.await(30, TimeUnit.SECONDS)).isTrue();
				throw new IllegalStateException("boom");
			}
			if (i < 3) {
				blockedStarted.countDown();
				new CountDownLatch(1).await(30, TimeUnit.SECONDS);
			}
			return i;
		}).collect(Collectors.toList());
		GatherException ex = catchThrowableOfType(GatherException.class,
				() -> this.executor.gatherForAgent("flaky", tasks));
		assertThat(ex.index()).isEqualTo(3);
		QuotaSnapshot after = this.engine.snapshot("flaky").orElseThrow();
		assertThat(after.inFlight()).isZero();
		assertThat(after.available()).isEqualTo(4);
	}

	@Test
	void gatherForAgentRejectsNullAgent() {
		assertThatExceptionOfType(NullPointerException.class)
			.isThrownBy(() -> this.executor.gatherForAgent(null, List.of(() -> 1)))
			.withMessageContaining("agentId");
	}

	@Test
	void gatherForAgentOfZeroQuotaIsRefusedWithoutRunningAnything() {
		this.engine.setQuota("disabled", ResourceQuota.of("disabled", 0));
		AtomicInteger ran = new AtomicInteger();
		assertThatExceptionOfType(QuotaExceededException.class)
			.isThrownBy(() -> this.executor.gatherForAgent("disabled", List.of(ran::incrementAndGet)));
		assertThat(ran).hasValue(0);
		await().atMost(Duration.ofSeconds(5))
			.until(() -> this.engine.snapshot("disabled").orElseThrow().inFlight() == 0);
	}

	// --- issue 14, defect f ------------------------------------------------------------

	@Test
	void eachTaskOfGatherForAgentSpendsFromTheAgentsRateBudget() {
		this.engine.setQuota("limited",
				ResourceQuota.builder("limited").maxConcurrentExecutions(4).maxRequestsPerMinute(30).build());
		AtomicInteger ran = new AtomicInteger();
		List<Callable<Integer>> tasks = IntStream.range(0, 60).mapToObj((i) -> (Callable<Integer>) () -> {
			ran.incrementAndGet();
			return i;
		}).collect(Collectors.toList());
		QuotaExceededException refused = catchThrowableOfType(QuotaExceededException.class,
				() -> this.executor.gatherForAgent("limited", tasks));
		assertThat(refused).isNotNull();
		assertThat(refused.reason()).isEqualTo(RejectionReason.RATE_LIMIT);
		assertThat(ran.get()).isLessThanOrEqualTo(30);
		assertThat(this.engine.snapshot("limited").orElseThrow().inFlight()).isZero();
	}

	@Test
	void theFanOutsOwnWaitsAreNotRejections() throws Exception {
		this.engine.setQuota("busy", ResourceQuota.of("busy", 2));
		CountDownLatch rejectedOnce = new CountDownLatch(1);
		this.engine.addListener(new QuotaListener() {
			@Override
			public void onRejected(String agentId, RejectionReason reason, long waitNanos) {
				rejectedOnce.countDown();
			}
		});
		List<Callable<Integer>> tasks = IntStream.range(0, 40).mapToObj((i) -> (Callable<Integer>) () -> {
			if (i < 2) {
				// Hold both permits while the caller looks for a third: before the fix that look
				// counted as a refusal, which opens this latch at once.
				rejectedOnce.await(500, TimeUnit.MILLISECONDS);
			}
			return i;
		}).collect(Collectors.toList());
		assertThat(this.executor.gatherForAgent("busy", tasks)).hasSize(40);
		QuotaSnapshot snapshot = this.engine.snapshot("busy").orElseThrow();
		assertThat(snapshot.rejected()).isZero();
		assertThat(snapshot.acquired()).isEqualTo(40);
		assertThat(rejectedOnce.getCount()).isOne();
	}

	@Test
	void aRateRefusalMetByAWorkerCountsOnceForTheRefusedTask() throws Exception {
		// Limit 1 and a budget of two requests: the caller takes task 0's permit, then claims task
		// 1 and waits for its own worker; the worker runs task 2 (the second request) and is the
		// one refused when it claims task 3. Before the fix the caller met the same refusal again
		// for the task the worker handed back, so one refused task counted as two.
		this.engine.setQuota("spent", ResourceQuota.builder("spent").maxConcurrentExecutions(1)
			.maxRequestsPerHour(2).build());
		List<RejectionReason> heard = new CopyOnWriteArrayList<>();
		this.engine.addListener(new QuotaListener() {
			@Override
			public void onRejected(String agentId, RejectionReason reason, long waitNanos) {
				heard.add(reason);
			}
		});
		AtomicReference<Thread> callerThread = new AtomicReference<>();
		List<Callable<Integer>> tasks = IntStream.range(0, 4).mapToObj((i) -> (Callable<Integer>) () -> {
			if (i == 0) {
				// Hold the only permit until the caller parks waiting for this worker, so that
				// the worker, not the caller, claims the tasks after the caller's.
				await().atMost(Duration.ofSeconds(10))
					.until(() -> callerThread.get().getState() == Thread.State.WAITING);
			}
			return i;
		}).collect(Collectors.toList());
		ExecutorService caller = Executors.newSingleThreadExecutor();
		try {
			var result = caller.submit(() -> {
				callerThread.set(Thread.currentThread());
				return this.executor.gatherForAgent("spent", tasks);
			});
			Throwable failure = catchThrowableOfType(ExecutionException.class,
					() -> result.get(30, TimeUnit.SECONDS)).getCause();
			assertThat(failure).isInstanceOfSatisfying(QuotaExceededException.class,
					(ex) -> assertThat(ex.reason()).isEqualTo(RejectionReason.RATE_LIMIT));
		}
		finally {
			caller.shutdownNow();
		}
		QuotaSnapshot snapshot = this.engine.snapshot("spent").orElseThrow();
		assertThat(snapshot.acquired()).isEqualTo(2);
		assertThat(snapshot.rejected()).isOne();
		assertThat(snapshot.rejectedByReason()).containsEntry(RejectionReason.RATE_LIMIT, 1L);
		assertThat(heard).containsExactly(RejectionReason.RATE_LIMIT);
		assertThat(snapshot.inFlight()).isZero();
	}

}
