package io.agentcontrolplane.quota;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.agentcontrolplane.test.MutableClock;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Admission through budgets under 16 threads: all or nothing across the budgets and the
 * permit, and every budget ends at exactly what the calls settled.
 */
class BudgetAdmissionConcurrencyTests {

	private static final int THREADS = 16;

	private static final int CALLS = 400;

	@Test
	void sixteenThreadsReserveAndSettleAndEveryBudgetEndsAtWhatWasSpent() throws Exception {
		PolicyEngine engine = PolicyEngine.builder().clock(new MutableClock()).build();
		engine.setQuota("a", ResourceQuota.builder("a")
			.maxConcurrentExecutions(THREADS)
			.budgets(Budget.builder(BudgetUnit.TOKENS).limit(100_000).per("day").build(),
					Budget.builder(BudgetUnit.OUTPUT_TOKENS).limit(30_000).per("day").build(),
					Budget.builder(BudgetUnit.REQUESTS).limit(5_000).per("day").build())
			.build());
		AtomicLong tokens = new AtomicLong();
		AtomicLong output = new AtomicLong();
		AtomicLong requests = new AtomicLong();
		AtomicLong refused = new AtomicLong();
		CyclicBarrier start = new CyclicBarrier(THREADS);
		ExecutorService threads = Executors.newFixedThreadPool(THREADS);
		try {
			List<Future<?>> done = new ArrayList<>();
			for (int t = 0; t < THREADS; t++) {
				done.add(threads.submit(() -> {
					start.await(10, TimeUnit.SECONDS);
					ThreadLocalRandom random = ThreadLocalRandom.current();
					for (int i = 0; i < CALLS; i++) {
						Permit permit;
						try {
							permit = engine.admit("a", null, Usage.estimate(10, 40), null);
						}
						catch (QuotaExceededException ex) {
							assertThat(ex.reason()).isEqualTo(RejectionReason.BUDGET_EXHAUSTED);
							refused.incrementAndGet();
							continue;
						}
						try (permit) {
							switch (random.nextInt(3)) {
								case 0 -> permit.refund();
								case 1 -> {
									// Up to 20 output tokens beyond the estimate: an overdraft.
									long out = random.nextInt(61);
									permit.settle(Usage.of("m", 10, out));
									tokens.addAndGet(10 + out);
									output.addAndGet(out);
									requests.incrementAndGet();
								}
								default -> {
									// Closed without settling: the estimate stays charged.
									tokens.addAndGet(50);
									output.addAndGet(40);
									requests.incrementAndGet();
								}
							}
						}
					}
					return null;
				}));
			}
			for (Future<?> future : done) {
				future.get(60, TimeUnit.SECONDS);
			}
		}
		finally {
			threads.shutdownNow();
			assertThat(threads.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
		}
		QuotaSnapshot snapshot = engine.snapshot("a").orElseThrow();
		long[] remaining = snapshot.budgets().stream().mapToLong(BudgetStatus::remaining).toArray();
		assertThat(remaining).containsExactly(100_000 - tokens.get(), 30_000 - output.get(), 5_000 - requests.get());
		// Only the reservations open when a budget ran out can overdraw it: at most 16 x 20.
		assertThat(remaining[1]).isGreaterThanOrEqualTo(-THREADS * 20L);
		assertThat(refused.get()).isPositive();
		assertThat(snapshot.rejectedByReason().get(RejectionReason.BUDGET_EXHAUSTED)).isEqualTo(refused.get());
		assertThat(snapshot.inFlight()).isZero();
	}

}
