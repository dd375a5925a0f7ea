package io.agentcontrolplane.quota;

import java.time.Instant;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

import io.agentcontrolplane.test.MutableClock;
import org.junit.jupiter.api.Test;

import io.agentcontrolplane.quota.BudgetLedger.Admission;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * All-or-nothing admission across budgets under 16 threads: a refusal consumes nothing, a
 * reservation never takes a budget below zero, and only settlements overdraw, by at most what
 * the reservations open at that moment spent beyond their estimates.
 */
class BudgetLedgerConcurrencyTests {

	private static final int THREADS = 16;

	private static final int CALLS_PER_THREAD = 2_000;

	/** The most a settlement spends beyond its estimate, in output tokens. */
	private static final int MAX_EXTRA_OUTPUT = 20;

	private static final String MODEL = "gpt-4.1-mini";

	private static final Pricing PRICING = Pricing.builder("USD").model(MODEL, "0.40", "1.60").build();

	@Test
	void admissionIsAllOrNothingAcrossBudgetsUnder16Threads() throws Exception {
		// The clock stands still, so nothing refills and every unit charged stays visible: at the
		// end each budget must have lost exactly what the admitted calls finally spent.
		MutableClock clock = new MutableClock(Instant.parse("2026-06-10T10:00:00Z"));
		List<Budget> budgets = List.of(Budget.of(BudgetUnit.TOKENS, 400_000, BudgetWindow.parse("1m")),
				Budget.of(BudgetUnit.OUTPUT_TOKENS, 100_000, BudgetWindow.parse("1m")),
				Budget.of(BudgetUnit.REQUESTS, 6_000, BudgetWindow.parse("1h")),
				// About twice what the calls can spend before the output-token budget runs out, so
				// that the output-token budget is the only one that refuses, whatever the
				// interleaving.
				Budget.builder(BudgetUnit.COST).limit("0.50").per("day").build());
		BudgetLedger ledger = new BudgetLedger(budgets, PRICING, EngineTime.of(clock), clock,
				ZoneId.of("Europe/Berlin"), BudgetWarningListener.NONE);
		// The floor below zero: only the reservations open when a budget reaches zero can still
		// settle past it (every estimate charges each budget at least one unit, so no new one is
		// admitted), each by at most MAX_EXTRA_OUTPUT output tokens.
		long[] floors = { -THREADS * MAX_EXTRA_OUTPUT, -THREADS * MAX_EXTRA_OUTPUT, 0,
				-THREADS * PRICING.costInBaseUnits(Usage.of(MODEL, 0, MAX_EXTRA_OUTPUT)) };
		AtomicLongArray spent = new AtomicLongArray(budgets.size());
		AtomicLongArray lowest = new AtomicLongArray(budgets.size());
		AtomicLong admitted = new AtomicLong();
		AtomicLong refused = new AtomicLong();
		AtomicLong refunded = new AtomicLong();
		Map<BudgetUnit, Long> refusedBy = new ConcurrentHashMap<>();
		CyclicBarrier start = new CyclicBarrier(THREADS);
		ExecutorService executor = Executors.newFixedThreadPool(THREADS);
		try {
			List<Future<?>> workers = new ArrayList<>();
			for (int t = 0; t < THREADS; t++) {
				long seed = t;
				workers.add(executor.submit(() -> {
					SplittableRandom random = new SplittableRandom(seed);
					start.await();
					for (int i = 0; i < CALLS_PER_THREAD; i++) {
						Usage estimate = Usage.estimate(MODEL, random.nextInt(1, 200), random.nextInt(1, 100));
						Admission admission = ledger.reserve(estimate);
						if (!(admission instanceof Reservation reservation)) {
							refused.incrementAndGet();
							refusedBy.merge(((Refusal) admission).budget().unit(), 1L, Long::sum);
						}
						else {
							admitted.incrementAndGet();
							Usage finalUsage = finish(reservation, estimate, random);
							if (finalUsage.requests() == 0) {
								refunded.incrementAndGet();
							}
							add(spent, finalUsage);
						}
						observe(ledger, lowest);
					}
					return null;
				}));
			}
			for (Future<?> worker : workers) {
				worker.get(60, TimeUnit.SECONDS);
			}
		}
		finally {
			executor.shutdownNow();
		}
		assertThat(admitted.get()).as("some calls admitted").isPositive();
		assertThat(refused.get()).as("some calls refused").isPositive();
		List<BudgetStatus> statuses = ledger.statuses();
		for (int b = 0; b < budgets.size(); b++) {
			BudgetStatus status = statuses.get(b);
			assertThat(status.spent()).as("spent of %s", budgets.get(b)).isEqualTo(spent.get(b));
			assertThat(lowest.get(b)).as("lowest remaining of %s", budgets.get(b)).isGreaterThanOrEqualTo(floors[b]);
		}
		assertThat(statuses.get(2).spent()).as("requests: one per admitted call not refunded")
			.isEqualTo(admitted.get() - refunded.get());
		// The output-token budget refused while the tokens, requests and cost budgets still had
		// room for any estimate, so an admission that charged some budgets before refusing
		// would have shown in their spending above.
		assertThat(refusedBy).containsOnlyKeys(BudgetUnit.OUTPUT_TOKENS);
		assertThat(statuses.get(0).remaining()).as("tokens left").isGreaterThan(300);
		assertThat(statuses.get(2).remaining()).as("requests left").isPositive();
		assertThat(statuses.get(3).remaining()).as("cost left")
			.isGreaterThan(PRICING.costInBaseUnits(Usage.of(MODEL, 200, 100)));
	}

	@Test
	void replacingBudgetsWhileCallsAreInFlightNeitherLosesNorInventsSpending() throws Exception {
		// A seventeenth thread keeps replacing the budgets with higher and lower limits (as a
		// quota replaced live) while sixteen threads reserve and settle. Every replacement keeps
		// what was spent, so at the end each budget has lost exactly what the calls spent.
		MutableClock clock = new MutableClock(Instant.parse("2026-06-10T10:00:00Z"));
		List<Budget> high = List.of(Budget.of(BudgetUnit.TOKENS, 400_000, BudgetWindow.parse("1m")),
				Budget.of(BudgetUnit.OUTPUT_TOKENS, 100_000, BudgetWindow.parse("1m")),
				Budget.of(BudgetUnit.REQUESTS, 6_000, BudgetWindow.parse("day")));
		List<Budget> low = List.of(Budget.of(BudgetUnit.TOKENS, 300_000, BudgetWindow.parse("1m")),
				Budget.of(BudgetUnit.OUTPUT_TOKENS, 90_000, BudgetWindow.parse("1m")),
				Budget.of(BudgetUnit.REQUESTS, 5_000, BudgetWindow.parse("day")));
		BudgetLedger ledger = new BudgetLedger(high, PRICING, EngineTime.of(clock), clock,
				ZoneId.of("Europe/Berlin"), BudgetWarningListener.NONE);
		AtomicLongArray spent = new AtomicLongArray(4);
		AtomicLong replacements = new AtomicLong();
		CyclicBarrier start = new CyclicBarrier(THREADS + 1);
		ExecutorService executor = Executors.newFixedThreadPool(THREADS + 1);
		try {
			List<Future<?>> workers = new ArrayList<>();
			for (int t = 0; t < THREADS; t++) {
				long seed = 100 + t;
				workers.add(executor.submit(() -> {
					SplittableRandom random = new SplittableRandom(seed);
					start.await();
					for (int i = 0; i < CALLS_PER_THREAD; i++) {
						Usage estimate = Usage.estimate(MODEL, random.nextInt(1, 200), random.nextInt(1, 100));
						if (ledger.reserve(estimate) instanceof Reservation reservation) {
							add(spent, finish(reservation, estimate, random));
						}
					}
					return null;
				}));
			}
			Future<?> replacer = executor.submit(() -> {
				start.await();
				while (!workers.stream().allMatch(Future::isDone)) {
					ledger.replaceBudgets((replacements.incrementAndGet() % 2 == 0) ? high : low);
				}
				return null;
			});
			for (Future<?> worker : workers) {
				worker.get(60, TimeUnit.SECONDS);
			}
			replacer.get(60, TimeUnit.SECONDS);
		}
		finally {
			executor.shutdownNow();
		}
		assertThat(replacements.get()).as("replacements").isGreaterThan(1);
		List<BudgetStatus> statuses = ledger.statuses();
		for (int b = 0; b < statuses.size(); b++) {
			assertThat(statuses.get(b).spent()).as("spent of %s", statuses.get(b).budget()).isEqualTo(spent.get(b));
		}
	}

	/**
	 * Settle (below, at or above the estimate), refund or just close the reservation, and say
	 * what it finally spent.
	 */
	private static Usage finish(Reservation reservation, Usage estimate, SplittableRandom random) {
		switch (random.nextInt(4)) {
			case 0 -> {
				reservation.refund();
				return Usage.requests(0);
			}
			case 1 -> {
				reservation.close();
				return estimate;
			}
			case 2 -> {
				Usage actual = Usage.of(MODEL, estimate.inputTokens(), random.nextLong(0, estimate.outputTokens() + 1));
				reservation.settle(actual);
				return actual;
			}
			default -> {
				Usage actual = Usage.of(MODEL, estimate.inputTokens(),
						estimate.outputTokens() + random.nextInt(1, MAX_EXTRA_OUTPUT + 1));
				reservation.settle(actual);
				return actual;
			}
		}
	}

	private static void add(AtomicLongArray spent, Usage usage) {
		spent.addAndGet(0, usage.totalTokens());
		spent.addAndGet(1, usage.outputTokens());
		spent.addAndGet(2, usage.requests());
		spent.addAndGet(3, (usage.requests() == 0) ? 0 : PRICING.costInBaseUnits(usage.withModel(MODEL)));
	}

	private static void observe(BudgetLedger ledger, AtomicLongArray lowest) {
		List<BudgetStatus> statuses = ledger.statuses();
		for (int b = 0; b < statuses.size(); b++) {
			lowest.accumulateAndGet(b, statuses.get(b).remaining(), Math::min);
		}
	}

}
