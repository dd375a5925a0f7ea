package io.agentcontrolplane.quota;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatNullPointerException;

/**
 * The live counters of {@link PolicyEngine#statistics(String)}.
 */
class QuotaStatisticsTests {

	@Test
	void countsGrantsAndRefusalsByReason() {
		PolicyEngine engine = new PolicyEngine();
		engine.setQuota("a",
				ResourceQuota.builder("a").maxConcurrentExecutions(1).allowedActionTypes(ActionType.FILE_READ).build());
		QuotaStatistics statistics = engine.statistics("a").orElseThrow();
		Permit permit = engine.admit("a", ActionType.FILE_READ, null);
		assertThat(engine.tryAcquire("a")).isEmpty();
		assertThat(engine.tryAcquireExecutionSlot("a")).isFalse();
		permit.close();
		assertThatExceptionOfType(QuotaExceededException.class)
			.isThrownBy(() -> engine.admit("a", ActionType.API_CALL, null));
		assertThat(engine.tryAcquireExecutionSlot("a")).isTrue();
		assertThat(statistics.inFlight()).isEqualTo(1);
		assertThat(statistics.available()).isZero();
		engine.releaseExecutionSlot("a");
		assertThat(statistics.agentId()).isEqualTo("a");
		assertThat(statistics.maxConcurrentExecutions()).isEqualTo(1);
		assertThat(statistics.acquired()).isEqualTo(2);
		assertThat(statistics.rejected(RejectionReason.CONCURRENCY_LIMIT)).isEqualTo(2);
		assertThat(statistics.rejected(RejectionReason.ACTION_NOT_ALLOWED)).isEqualTo(1);
		assertThat(statistics.rejected()).isEqualTo(3);
		assertThat(statistics.inFlight()).isZero();
		assertThat(statistics.waiting()).isZero();
		QuotaSnapshot snapshot = engine.snapshot("a").orElseThrow();
		assertThat(statistics.acquired()).isEqualTo(snapshot.acquired());
		assertThat(statistics.rejected()).isEqualTo(snapshot.rejected());
		// Nothing waited, and without a listener no hold time was measured.
		assertThat(statistics.acquiredWaitNanos()).isZero();
		assertThat(statistics.rejectedWaitNanos()).isZero();
		assertThat(statistics.timedReleases()).isZero();
		assertThat(statistics.heldNanos()).isZero();
	}

	@Test
	void totalsOfWaitAndHoldAreWhatTheListenersAreTold() throws Exception {
		PolicyEngine engine = PolicyEngine.builder().measureHoldTimes(true).build();
		engine.setQuota("a", ResourceQuota.builder("a").maxConcurrentExecutions(1).maxWait(Duration.ofMinutes(1)).build());
		AtomicLong acquiredWait = new AtomicLong();
		AtomicLong rejectedWait = new AtomicLong();
		AtomicLong held = new AtomicLong();
		engine.addListener(new QuotaListener() {
			@Override
			public void onAcquired(String agentId, long waitNanos) {
				acquiredWait.addAndGet(waitNanos);
			}

			@Override
			public void onRejected(String agentId, RejectionReason reason, long waitNanos) {
				rejectedWait.addAndGet(waitNanos);
			}

			@Override
			public void onReleased(String agentId, long heldNanos) {
				held.addAndGet(heldNanos);
			}
		});
		QuotaStatistics statistics = engine.statistics("a").orElseThrow();
		Permit first = engine.acquire("a");
		long firstHeldAtLeastFrom = System.nanoTime();
		CompletableFuture<Permit> second = engine.acquireAsync("a");
		CompletableFuture<Permit> third = engine.admitAsync("a", null, Duration.ofMillis(1));
		// The third caller gives up after 1 ms of waiting.
		assertThatExceptionOfType(Exception.class).isThrownBy(() -> third.get(10, TimeUnit.SECONDS))
			.withCauseInstanceOf(QuotaExceededException.class);
		assertThat(second).isNotDone();
		long firstHeldAtLeastTo = System.nanoTime();
		first.close();
		second.get(10, TimeUnit.SECONDS).close();
		assertThat(statistics.acquired()).isEqualTo(2);
		assertThat(statistics.acquiredWaitNanos()).isPositive().isEqualTo(acquiredWait.get());
		assertThat(statistics.rejected(RejectionReason.CONCURRENCY_LIMIT)).isEqualTo(1);
		assertThat(statistics.rejectedWaitNanos()).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(1))
			.isEqualTo(rejectedWait.get());
		assertThat(statistics.timedReleases()).isEqualTo(2);
		assertThat(statistics.heldNanos()).isEqualTo(held.get())
			.isGreaterThanOrEqualTo(firstHeldAtLeastTo - firstHeldAtLeastFrom);
	}

	@Test
	void eachIncarnationOfAnAgentHasItsOwnView() {
		PolicyEngine engine = new PolicyEngine();
		engine.setQuota("a", ResourceQuota.of("a", 2));
		QuotaStatistics first = engine.statistics("a").orElseThrow();
		engine.acquire("a").close();
		engine.setQuota("a", ResourceQuota.of("a", 3));
		assertThat(engine.statistics("a")).containsSame(first);
		assertThat(first.maxConcurrentExecutions()).isEqualTo(3);
		engine.removeQuota("a");
		assertThat(engine.statistics("a")).isEmpty();
		engine.setQuota("a", ResourceQuota.of("a", 2));
		QuotaStatistics second = engine.statistics("a").orElseThrow();
		assertThat(second).isNotSameAs(first);
		assertThat(second.acquired()).isZero();
		assertThat(first.acquired()).isEqualTo(1);
	}

	@Test
	void unknownAndBlankAgentsHaveNoStatistics() {
		PolicyEngine engine = new PolicyEngine();
		assertThat(engine.statistics("nobody")).isEmpty();
		assertThat(engine.statistics(" ")).isEmpty();
		assertThatNullPointerException().isThrownBy(() -> engine.statistics(null)).withMessage("agentId");
	}

	@Test
	void aBlankAgentIdIsStillRefusedEverywhereSomethingIsTaken() {
		PolicyEngine engine = new PolicyEngine();
		engine.setQuota("a", ResourceQuota.of("a", 1));
		assertThatIllegalArgumentException().isThrownBy(() -> engine.admit(" ", null, null))
			.withMessage("agentId must not be null or blank, was ' '");
		assertThatIllegalArgumentException().isThrownBy(() -> engine.tryAcquire(""));
		assertThatIllegalArgumentException().isThrownBy(() -> engine.tryAcquireExecutionSlot(" "));
		assertThatIllegalArgumentException().isThrownBy(() -> engine.releaseExecutionSlot(" "));
		assertThatIllegalArgumentException().isThrownBy(() -> engine.checkRateLimit(" "));
		assertThatIllegalArgumentException().isThrownBy(() -> engine.admitAsync(" ", null, null));
		assertThatNullPointerException().isThrownBy(() -> engine.admit(null, null, null)).withMessage("agentId");
		assertThatNullPointerException().isThrownBy(() -> engine.releaseExecutionSlot(null)).withMessage("agentId");
		Optional<Permit> permit = engine.tryAcquire("a");
		assertThat(permit).isPresent();
		permit.get().close();
	}

}
