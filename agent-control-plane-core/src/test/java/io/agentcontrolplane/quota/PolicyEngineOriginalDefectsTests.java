package io.agentcontrolplane.quota;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;

import io.agentcontrolplane.test.MutableClock;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * One test per engine defect of the original (SPEC section 8, items 1, 2, 3, 5 and 9; item 10
 * is {@link ConcurrencyHammerTests}). Each fails against the original behaviour.
 */
class PolicyEngineOriginalDefectsTests {

	// --- 1. A release without an acquire raised capacity above the limit. ----------------

	@Test
	void releaseWithoutAcquireNeverRaisesCapacity() {
		PolicyEngine engine = new PolicyEngine();
		engine.setQuota("a", ResourceQuota.of("a", 2));
		assertThatIllegalStateException().isThrownBy(() -> engine.releaseExecutionSlot("a"))
			.withMessageContaining("'a'");
		assertThatIllegalStateException().isThrownBy(() -> engine.releaseExecutionSlot("a"));
		assertThat(engine.tryAcquireExecutionSlot("a")).isTrue();
		assertThat(engine.tryAcquireExecutionSlot("a")).isTrue();
		assertThat(engine.tryAcquireExecutionSlot("a")).isFalse();
		QuotaSnapshot snapshot = engine.snapshot("a").orElseThrow();
		assertThat(snapshot.inFlight()).isEqualTo(2);
		assertThat(snapshot.available()).isZero();
	}

	@Test
	void closingAPermitTwiceReleasesOnce() {
		PolicyEngine engine = new PolicyEngine();
		engine.setQuota("a", ResourceQuota.of("a", 2));
		Permit first = engine.tryAcquire("a").orElseThrow();
		Permit second = engine.tryAcquire("a").orElseThrow();
		first.close();
		first.close();
		assertThat(engine.snapshot("a").orElseThrow().inFlight()).isEqualTo(1);
		assertThat(engine.tryAcquire("a")).isPresent();
		assertThat(engine.tryAcquire("a")).isEmpty();
		second.close();
	}

	// --- 2. try_acquire waited 1 ms instead of never waiting. ----------------------------

	@Test
	void tryAcquireNeverWaits() {
		PolicyEngine engine = new PolicyEngine();
		// A long maxWait and a queued waiter: a try that waited at all would hang or queue.
		engine.setQuota("a", ResourceQuota.builder("a").maxConcurrentExecutions(1).maxWait(Duration.ofHours(1)).build());
		Permit held = engine.acquire("a");
		CompletableFuture<Permit> waiter = engine.acquireAsync("a");
		assertThat(engine.snapshot("a").orElseThrow().waiting()).isEqualTo(1);
		assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
			for (int i = 0; i < 1000; i++) {
				assertThat(engine.tryAcquire("a")).isEmpty();
				assertThat(engine.tryAcquireExecutionSlot("a")).isFalse();
			}
		});
		// Nothing queued behind the waiter: the tries never enqueued themselves.
		assertThat(engine.snapshot("a").orElseThrow().waiting()).isEqualTo(1);
		assertThat(engine.snapshot("a").orElseThrow().rejectedByReason())
			.containsEntry(RejectionReason.CONCURRENCY_LIMIT, 2000L);
		held.close();
		assertThat(waiter).succeedsWithin(Duration.ofSeconds(5));
		waiter.join().close();
	}

	// --- 3. Replacing a quota while slots were held leaked or invented permits. ----------

	@Test
	void replacingQuotaWhileSlotsAreHeldNeitherLeaksNorInventsPermits() {
		PolicyEngine engine = new PolicyEngine();
		engine.setQuota("a", ResourceQuota.of("a", 5));
		List<Permit> held = new ArrayList<>();
		for (int i = 0; i < 4; i++) {
			held.add(engine.tryAcquire("a").orElseThrow());
		}
		engine.setQuota("a", ResourceQuota.of("a", 2));
		QuotaSnapshot shrunk = engine.snapshot("a").orElseThrow();
		assertThat(shrunk.inFlight()).isEqualTo(4);
		assertThat(shrunk.available()).isZero();
		assertThat(engine.tryAcquire("a")).isEmpty();
		held.remove(0).close();
		assertThat(engine.tryAcquire("a")).isEmpty();
		held.remove(0).close();
		assertThat(engine.tryAcquire("a")).isEmpty();
		held.remove(0).close();
		// One in flight, limit 2: exactly one more.
		Optional<Permit> next = engine.tryAcquire("a");
		assertThat(next).isPresent();
		assertThat(engine.tryAcquire("a")).isEmpty();
		next.get().close();
		held.remove(0).close();
		assertThat(engine.snapshot("a").orElseThrow().inFlight()).isZero();
		// And the capacity is exactly the new limit, never more.
		assertThat(engine.tryAcquireExecutionSlot("a")).isTrue();
		assertThat(engine.tryAcquireExecutionSlot("a")).isTrue();
		assertThat(engine.tryAcquireExecutionSlot("a")).isFalse();
	}

	@Test
	void growingQuotaAdmitsWaitersAtOnce() {
		PolicyEngine engine = new PolicyEngine();
		engine.setQuota("a", ResourceQuota.builder("a").maxConcurrentExecutions(1).maxWait(Duration.ofHours(1)).build());
		Permit held = engine.acquire("a");
		CompletableFuture<Permit> first = engine.acquireAsync("a");
		CompletableFuture<Permit> second = engine.acquireAsync("a");
		assertThat(first).isNotDone();
		engine.setQuota("a", ResourceQuota.builder("a").maxConcurrentExecutions(3).maxWait(Duration.ofHours(1)).build());
		assertThat(first).succeedsWithin(Duration.ofSeconds(5));
		assertThat(second).succeedsWithin(Duration.ofSeconds(5));
		assertThat(engine.snapshot("a").orElseThrow().inFlight()).isEqualTo(3);
		held.close();
		first.join().close();
		second.join().close();
		assertThat(engine.snapshot("a").orElseThrow().inFlight()).isZero();
	}

	@Test
	void permitsTakenBeforeRemovalNeverRaiseTheCapacityOfANewQuota() {
		PolicyEngine engine = new PolicyEngine();
		engine.setQuota("a", ResourceQuota.of("a", 1));
		Permit old = engine.tryAcquire("a").orElseThrow();
		engine.removeQuota("a");
		engine.setQuota("a", ResourceQuota.of("a", 1));
		Permit fresh = engine.tryAcquire("a").orElseThrow();
		old.close();
		assertThat(engine.tryAcquire("a")).isEmpty();
		assertThat(engine.snapshot("a").orElseThrow().inFlight()).isEqualTo(1);
		fresh.close();
	}

	// --- 5. Fixed windows allowed a double burst; denied calls were still counted. -------

	@Test
	void rateLimitAllowsNoDoubleBurstAtAWindowEdge() {
		MutableClock clock = new MutableClock();
		PolicyEngine engine = PolicyEngine.builder().clock(clock).build();
		engine.setQuota("a", ResourceQuota.builder("a").maxRequestsPerMinute(60).build());
		// The original's window restarted on the first request; spend the whole budget just
		// before its edge, then ask again just after it.
		clock.advance(Duration.ofMillis(59_500));
		int admitted = 0;
		for (int i = 0; i < 200; i++) {
			admitted += engine.checkRateLimit("a") ? 1 : 0;
		}
		clock.advance(Duration.ofSeconds(1));
		for (int i = 0; i < 200; i++) {
			admitted += engine.checkRateLimit("a") ? 1 : 0;
		}
		// 60 plus what one second refills at 60 per minute; the fixed window gave 120.
		assertThat(admitted).isEqualTo(61);
	}

	@Test
	void rateLimitAdmitsAtMostTheLimitPlusRefillInAnySpan() {
		MutableClock clock = new MutableClock();
		PolicyEngine engine = PolicyEngine.builder().clock(clock).build();
		engine.setQuota("a", ResourceQuota.builder("a").maxRequestsPerMinute(60).build());
		Random random = new Random(42);
		List<Long> admittedAt = new ArrayList<>();
		long nowMillis = 0;
		for (int step = 0; step < 3000; step++) {
			long advance = random.nextInt(10) == 0 ? random.nextInt(5000) : random.nextInt(200);
			clock.advance(Duration.ofMillis(advance));
			nowMillis += advance;
			int burst = 1 + random.nextInt(5);
			for (int i = 0; i < burst; i++) {
				if (engine.checkRateLimit("a")) {
					admittedAt.add(nowMillis);
				}
			}
		}
		assertThat(admittedAt).hasSizeGreaterThan(100);
		for (int from = 0; from < admittedAt.size(); from++) {
			int count = 0;
			for (int to = from; to < admittedAt.size() && admittedAt.get(to) - admittedAt.get(from) < 60_000; to++) {
				count++;
				long span = admittedAt.get(to) - admittedAt.get(from);
				long refilled = span * 60 / 60_000;
				assertThat(count).as("admitted within %d ms", span).isLessThanOrEqualTo(60 + (int) refilled + 1);
			}
		}
	}

	@Test
	void deniedCallsAreNotCountedByLaterRules() {
		MutableClock clock = new MutableClock();
		PolicyEngine engine = PolicyEngine.builder().clock(clock).build();
		engine.setQuota("a", ResourceQuota.builder("a")
			.maxConcurrentExecutions(1)
			.maxRequestsPerMinute(2)
			.allowedActionTypes(ActionType.API_CALL)
			.build());
		// Refused by the action rule: the rate budget is untouched.
		assertThatExceptionOfType(QuotaExceededException.class)
			.isThrownBy(() -> engine.admit("a", ActionType.FILE_WRITE, null))
			.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(RejectionReason.ACTION_NOT_ALLOWED));
		assertThat(engine.checkRateLimit("a", ActionType.FILE_WRITE)).isFalse();
		assertThat(engine.snapshot("a").orElseThrow().availableRequestsPerMinute()).isEqualTo(2);
		// Refused by the concurrency rule: the rate budget is untouched.
		Permit held = engine.admit("a", ActionType.API_CALL, null);
		assertThat(engine.snapshot("a").orElseThrow().availableRequestsPerMinute()).isEqualTo(1);
		assertThatExceptionOfType(QuotaExceededException.class)
			.isThrownBy(() -> engine.admit("a", ActionType.API_CALL, null))
			.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(RejectionReason.CONCURRENCY_LIMIT));
		assertThat(engine.snapshot("a").orElseThrow().availableRequestsPerMinute()).isEqualTo(1);
		held.close();
		// Refused by the rate rule after the permit was taken: the permit goes back uncounted.
		engine.admit("a", ActionType.API_CALL, null).close();
		long acquiredBefore = engine.snapshot("a").orElseThrow().acquired();
		assertThatExceptionOfType(QuotaExceededException.class)
			.isThrownBy(() -> engine.admit("a", ActionType.API_CALL, null))
			.satisfies((ex) -> {
				assertThat(ex.reason()).isEqualTo(RejectionReason.RATE_LIMIT);
				assertThat(ex.retryAfter()).hasValueSatisfying(
						(retry) -> assertThat(retry).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(30)));
			});
		QuotaSnapshot snapshot = engine.snapshot("a").orElseThrow();
		assertThat(snapshot.inFlight()).isZero();
		assertThat(snapshot.acquired()).isEqualTo(acquiredBefore);
		assertThat(snapshot.rejectedByReason()).containsEntry(RejectionReason.RATE_LIMIT, 1L)
			.containsEntry(RejectionReason.CONCURRENCY_LIMIT, 1L)
			.containsEntry(RejectionReason.ACTION_NOT_ALLOWED, 2L);
		assertThat(engine.tryAcquire("a")).isPresent();
	}

	@Test
	void rateRefusalIsAllOrNothingAcrossMinuteAndHour() {
		MutableClock clock = new MutableClock();
		PolicyEngine engine = PolicyEngine.builder().clock(clock).build();
		engine.setQuota("a", ResourceQuota.builder("a").maxRequestsPerMinute(10).maxRequestsPerHour(15).build());
		for (int i = 0; i < 10; i++) {
			assertThat(engine.checkRateLimit("a")).isTrue();
		}
		assertThat(engine.checkRateLimit("a")).isFalse();
		clock.advance(Duration.ofMinutes(1));
		for (int i = 0; i < 5; i++) {
			assertThat(engine.checkRateLimit("a")).isTrue();
		}
		// The hour is spent; the refused call must not have taken from the minute.
		assertThat(engine.checkRateLimit("a")).isFalse();
		QuotaSnapshot snapshot = engine.snapshot("a").orElseThrow();
		assertThat(snapshot.availableRequestsPerMinute()).isEqualTo(5);
		assertThat(snapshot.availableRequestsPerHour()).isZero();
	}

	// --- 9. Limits of 0 or below hung or failed late. ------------------------------------

	@Test
	void zeroConcurrencyIsRejectedAtOnceEvenWithAWait() {
		PolicyEngine engine = new PolicyEngine();
		engine.setQuota("a", ResourceQuota.builder("a").maxConcurrentExecutions(0).maxWait(Duration.ofHours(1)).build());
		assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
			assertThat(engine.tryAcquireExecutionSlot("a")).isFalse();
			assertThat(engine.tryAcquire("a")).isEmpty();
			assertThatExceptionOfType(QuotaExceededException.class).isThrownBy(() -> engine.acquire("a"))
				.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(RejectionReason.CONCURRENCY_LIMIT));
			CompletableFuture<Permit> future = engine.acquireAsync("a");
			assertThat(future).isCompletedExceptionally();
		});
		assertThat(engine.snapshot("a").orElseThrow().waiting()).isZero();
	}

	@Test
	void zeroRateBudgetDeniesEverythingAndConsumesNothing() {
		PolicyEngine engine = PolicyEngine.builder().clock(new MutableClock()).build();
		engine.setQuota("a", ResourceQuota.builder("a").maxRequestsPerMinute(0).build());
		assertThat(engine.checkRateLimit("a")).isFalse();
		assertThatExceptionOfType(QuotaExceededException.class).isThrownBy(() -> engine.admit("a", null, null))
			.satisfies((ex) -> {
				assertThat(ex.reason()).isEqualTo(RejectionReason.RATE_LIMIT);
				assertThat(ex.retryAfter()).isEmpty();
			});
		QuotaSnapshot snapshot = engine.snapshot("a").orElseThrow();
		assertThat(snapshot.inFlight()).isZero();
		assertThat(snapshot.acquired()).isZero();
		assertThat(snapshot.availableRequestsPerMinute()).isZero();
	}

	@Test
	void negativeLimitsAreRejectedWhenTheQuotaIsBuilt() {
		assertThatIllegalArgumentException().isThrownBy(() -> ResourceQuota.of("a", -1))
			.withMessageContaining("maxConcurrentExecutions")
			.withMessageContaining("-1");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ResourceQuota.builder("a").maxRequestsPerMinute(-5))
			.withMessageContaining("maxRequestsPerMinute")
			.withMessageContaining("-5");
		assertThatIllegalArgumentException().isThrownBy(() -> ResourceQuota.builder("a").maxWait(Duration.ofSeconds(-1)))
			.withMessageContaining("maxWait")
			.withMessageContaining("PT-1S");
	}

}
