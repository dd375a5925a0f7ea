package io.agentcontrolplane.quota;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The defects a-g of the engine found by issue 14, each a test that failed before its fix (see
 * {@code docs/reliability.md}).
 */
class EngineDefectsTests {

	private static final Duration BOUND = Duration.ofSeconds(10);

	private final ExecutorService threads = Executors.newCachedThreadPool();

	@AfterEach
	void stopThreads() throws InterruptedException {
		this.threads.shutdownNow();
		assertThat(this.threads.awaitTermination(BOUND.toSeconds(), TimeUnit.SECONDS)).isTrue();
	}

	private static void await(CountDownLatch latch) {
		try {
			assertThat(latch.await(BOUND.toSeconds(), TimeUnit.SECONDS)).as("latch reached in time").isTrue();
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	/** a. Waiters' continuations never run on a releasing thread. */
	@Nested
	class HandOff {

		@Test
		void closeReturnsWhileTheNextWaitersContinuationIsStillBlocked() throws Exception {
			PolicyEngine engine = new PolicyEngine();
			engine.setQuota("a", ResourceQuota.builder("a").maxConcurrentExecutions(1).maxWait(BOUND).build());
			Permit held = engine.acquire("a");
			CountDownLatch entered = new CountDownLatch(1);
			CountDownLatch finish = new CountDownLatch(1);
			CompletableFuture<Void> continuation = engine.acquireAsync("a").thenAccept((permit) -> {
				entered.countDown();
				EngineDefectsTests.await(finish);
				permit.close();
			});
			try {
				Future<?> closing = EngineDefectsTests.this.threads.submit(held::close);
				// Before the fix the close ran the continuation, which waits for finish: time-out.
				closing.get(BOUND.toSeconds(), TimeUnit.SECONDS);
				EngineDefectsTests.await(entered);
				assertThat(finish.getCount()).as("the continuation is still blocked").isOne();
			}
			finally {
				finish.countDown();
			}
			assertThat(continuation).succeedsWithin(BOUND);
			assertThat(engine.snapshot("a").orElseThrow().inFlight()).isZero();
		}

		@Test
		void aFreePermitGoesToABlockedWaiterWhileAnotherWaitersContinuationRuns() throws Exception {
			PolicyEngine engine = new PolicyEngine();
			engine.setQuota("a", ResourceQuota.builder("a").maxConcurrentExecutions(2).maxWait(BOUND).build());
			Permit first = engine.acquire("a");
			Permit second = engine.acquire("a");
			CountDownLatch entered = new CountDownLatch(1);
			CountDownLatch finish = new CountDownLatch(1);
			CompletableFuture<Void> slow = engine.acquireAsync("a").thenAccept((permit) -> {
				entered.countDown();
				EngineDefectsTests.await(finish);
				permit.close();
			});
			Future<Permit> blocking = EngineDefectsTests.this.threads.submit(() -> engine.acquire("a"));
			try {
				EngineDefectsTests.this.threads.submit(first::close);
				EngineDefectsTests.await(entered);
				second.close();
				// The permit just freed must reach the blocked caller while the slow one runs.
				Permit permit = blocking.get(BOUND.toSeconds(), TimeUnit.SECONDS);
				assertThat(finish.getCount()).isOne();
				permit.close();
			}
			finally {
				finish.countDown();
			}
			assertThat(slow).succeedsWithin(BOUND);
			assertThat(engine.snapshot("a").orElseThrow().inFlight()).isZero();
		}

		@Test
		void twiceTheLimitOfWaitersHoldingTheirPermitsAreAllAdmitted() {
			int limit = 4;
			long holdMillis = 200;
			PolicyEngine engine = new PolicyEngine();
			engine.setQuota("a", ResourceQuota.builder("a")
				.maxConcurrentExecutions(limit)
				.maxWait(Duration.ofMillis(3 * holdMillis))
				.build());
			List<Permit> holders = new ArrayList<>();
			for (int i = 0; i < limit; i++) {
				holders.add(engine.acquire("a"));
			}
			AtomicInteger admitted = new AtomicInteger();
			List<CompletableFuture<Void>> calls = new ArrayList<>();
			for (int i = 0; i < 2 * limit; i++) {
				calls.add(engine.admitAsync("a", null, null).thenAccept((permit) -> {
					admitted.incrementAndGet();
					try {
						// The work the call does while it holds its permit.
						Thread.sleep(holdMillis);
					}
					catch (InterruptedException ex) {
						Thread.currentThread().interrupt();
					}
					permit.close();
				}));
			}
			holders.forEach(Permit::close);
			CompletableFuture.allOf(calls.toArray(CompletableFuture[]::new)).orTimeout(10, TimeUnit.SECONDS).join();
			QuotaSnapshot snapshot = engine.snapshot("a").orElseThrow();
			assertThat(admitted).hasValue(2 * limit);
			assertThat(snapshot.rejected()).isZero();
			assertThat(snapshot.inFlight()).isZero();
		}

	}

	/** b. Dynamic agents stay bounded, evicted off the callers' path, and never refilled by eviction. */
	@Nested
	class DynamicAgents {

		@Test
		void agentsWithASpentBudgetStayWithinTheCeilingAndKeepWhatTheySpent() {
			MutableClock clock = new MutableClock();
			PolicyEngine engine = PolicyEngine.builder()
				.clock(clock)
				.unknownAgentPolicy(UnknownAgentPolicy.DEFAULT_QUOTA)
				.defaultQuota(ResourceQuota.builder("template").maxRequestsPerHour(10).build())
				.maxDynamicAgents(10)
				.build();
			try {
				for (int i = 0; i < 10; i++) {
					assertThat(engine.checkRateLimit("spender")).isTrue();
				}
				int refused = 0;
				for (int i = 0; i < 200; i++) {
					try {
						engine.admit("tenant-" + i, null, null).close();
					}
					catch (QuotaExceededException ex) {
						assertThat(ex.reason()).isEqualTo(RejectionReason.CONCURRENCY_LIMIT);
						assertThat(ex.getMessage()).contains("maxDynamicAgents=10");
						refused++;
					}
					assertThat(engine.agentIds()).as("live dynamic agents after %d ids", i + 1).hasSizeLessThanOrEqualTo(20);
				}
				assertThat(refused).isEqualTo(181);
				// The spender was never evicted with its budget spent, so nothing refilled it.
				assertThat(engine.checkRateLimit("spender")).isFalse();
				// Time refills the budgets; the agents become idle, are evicted, and room is back.
				clock.advance(Duration.ofHours(2));
				engine.evictIdleAgents();
				engine.admit("newcomer", null, null).close();
			}
			finally {
				engine.close();
			}
		}

		@Test
		void idleAgentsAreEvictedOnABackgroundThread() {
			PolicyEngine engine = PolicyEngine.builder()
				.unknownAgentPolicy(UnknownAgentPolicy.DEFAULT_QUOTA)
				.dynamicAgentIdleTimeout(Duration.ofMillis(20))
				.build();
			List<String> evictingThreads = new java.util.concurrent.CopyOnWriteArrayList<>();
			engine.addListener(new QuotaListener() {
				@Override
				public void onAgentRemoved(String agentId) {
					evictingThreads.add(Thread.currentThread().getName());
				}
			});
			try {
				engine.tryAcquire("tenant").orElseThrow().close();
				org.awaitility.Awaitility.await().atMost(BOUND).until(() -> engine.agentIds().isEmpty());
				assertThat(evictingThreads).containsExactly("agent-control-plane-evictor");
			}
			finally {
				engine.close();
			}
		}

		@Test
		void snapshotsNeverEvict() {
			MutableClock clock = new MutableClock();
			PolicyEngine engine = PolicyEngine.builder()
				.clock(clock)
				.unknownAgentPolicy(UnknownAgentPolicy.DEFAULT_QUOTA)
				.dynamicAgentIdleTimeout(Duration.ofMinutes(1))
				.build();
			try {
				engine.tryAcquire("tenant").orElseThrow().close();
				// Idle for longer than the time-out as seen by two reads in a row: a read that
				// swept would evict it at the latest on the second.
				clock.advance(Duration.ofMinutes(5));
				assertThat(engine.snapshots()).containsOnlyKeys("tenant");
				clock.advance(Duration.ofMinutes(5));
				assertThat(engine.snapshots()).containsOnlyKeys("tenant");
			}
			finally {
				engine.close();
			}
		}

	}

	/** c. A slot of a removed quota never counts against a new quota of the same id. */
	@Nested
	class SlotsOfARemovedQuota {

		@Test
		void aLateSlotReleaseGoesToTheRemovedQuota() {
			PolicyEngine engine = new PolicyEngine();
			engine.setQuota("a", ResourceQuota.of("a", 1));
			assertThat(engine.tryAcquireExecutionSlot("a")).isTrue();
			engine.removeQuota("a");
			engine.setQuota("a", ResourceQuota.of("a", 1));
			assertThat(engine.tryAcquireExecutionSlot("a")).isTrue();
			// The slot taken under the removed quota comes back late.
			engine.releaseExecutionSlot("a");
			assertThat(engine.tryAcquireExecutionSlot("a")).as("a second caller under limit 1").isFalse();
			// The legitimate release of the new quota's slot still works.
			engine.releaseExecutionSlot("a");
			assertThat(engine.snapshot("a").orElseThrow().inFlight()).isZero();
		}

	}

	/** d. Changing a limit never refills a budget beyond what elapsed time refilled. */
	@Nested
	class LimitToggles {

		@Test
		void aLimitSetToZeroAndBackKeepsWhatWasSpent() {
			assertToggleKeepsTheBudget(ResourceQuota.builder("a").maxRequestsPerMinute(0).build());
		}

		@Test
		void aLimitSetToUnlimitedAndBackKeepsWhatWasSpent() {
			assertToggleKeepsTheBudget(ResourceQuota.builder("a").build());
		}

		private void assertToggleKeepsTheBudget(ResourceQuota between) {
			MutableClock clock = new MutableClock();
			PolicyEngine engine = PolicyEngine.builder().clock(clock).build();
			ResourceQuota limited = ResourceQuota.builder("a").maxRequestsPerMinute(60).build();
			engine.setQuota("a", limited);
			for (int i = 0; i < 60; i++) {
				assertThat(engine.checkRateLimit("a")).isTrue();
			}
			assertThat(engine.checkRateLimit("a")).isFalse();
			engine.setQuota("a", between);
			engine.setQuota("a", limited);
			assertThat(engine.checkRateLimit("a")).as("no time passed, nothing refilled").isFalse();
			clock.advance(Duration.ofSeconds(1));
			assertThat(engine.checkRateLimit("a")).isTrue();
			assertThat(engine.checkRateLimit("a")).isFalse();
		}

	}

	/** e. A clock step never freezes a budget, and Retry-After is the true wait. */
	@Nested
	class ClockSteps {

		@Test
		void aClockSteppedBackRefillsOnTheTimeThatReallyPasses() {
			MutableClock clock = new MutableClock();
			PolicyEngine engine = PolicyEngine.builder().clock(clock).build();
			engine.setQuota("a", ResourceQuota.builder("a").maxRequestsPerMinute(60).build());
			for (int i = 0; i < 60; i++) {
				engine.admit("a", null, null).close();
			}
			clock.advance(Duration.ofHours(-1));
			QuotaExceededException refused = catchRefusal(engine);
			assertThat(refused.reason()).isEqualTo(RejectionReason.RATE_LIMIT);
			assertThat(refused.retryAfter()).hasValueSatisfying(
					(wait) -> assertThat(wait).isPositive().isLessThanOrEqualTo(Duration.ofSeconds(1)));
			clock.advance(refused.retryAfter().orElseThrow());
			engine.admit("a", null, null).close();
		}

		@Test
		void aClockSteppedForwardAndBackHandsOutNoExtraRequests() {
			MutableClock clock = new MutableClock();
			PolicyEngine engine = PolicyEngine.builder().clock(clock).build();
			engine.setQuota("a", ResourceQuota.builder("a").maxRequestsPerMinute(2).build());
			assertThat(engine.checkRateLimit("a")).isTrue();
			assertThat(engine.checkRateLimit("a")).isTrue();
			clock.advance(Duration.ofHours(-1));
			assertThat(engine.checkRateLimit("a")).isFalse();
			clock.advance(Duration.ofSeconds(30));
			assertThat(engine.checkRateLimit("a")).isTrue();
			assertThat(engine.checkRateLimit("a")).isFalse();
		}

		private QuotaExceededException catchRefusal(PolicyEngine engine) {
			try {
				engine.admit("a", null, null).close();
			}
			catch (QuotaExceededException ex) {
				return ex;
			}
			throw new AssertionError("expected a refusal");
		}

	}

	/** g. Agent ids have a maximum length. */
	@Nested
	class AgentIdLength {

		@Test
		void anIdLongerThanTheDefaultMaximumIsRefusedNamingTheLimit() {
			PolicyEngine engine = PolicyEngine.builder().unknownAgentPolicy(UnknownAgentPolicy.DEFAULT_QUOTA).build();
			String tooLong = "x".repeat(257);
			assertThatIllegalArgumentException().isThrownBy(() -> engine.setQuota(tooLong, ResourceQuota.of(tooLong, 1)))
				.withMessageContaining("256");
			assertThatIllegalArgumentException().isThrownBy(() -> engine.tryAcquire(tooLong))
				.withMessageContaining("256");
			assertThatIllegalArgumentException().isThrownBy(() -> engine.admitAsync(tooLong, null, null))
				.withMessageContaining("256");
			assertThat(engine.agentIds()).isEmpty();
			String longest = "x".repeat(256);
			assertThat(engine.tryAcquire(longest)).isPresent();
		}

		@Test
		void theMaximumIsConfigurable() {
			PolicyEngine engine = PolicyEngine.builder().maxAgentIdLength(8).build();
			assertThatIllegalArgumentException().isThrownBy(() -> engine.setQuota("123456789", ResourceQuota.of("123456789", 1)))
				.withMessageContaining("8");
			engine.setQuota("12345678", ResourceQuota.of("12345678", 1));
			assertThatExceptionOfType(IllegalArgumentException.class)
				.isThrownBy(() -> PolicyEngine.builder().maxAgentIdLength(0));
		}

	}

}
