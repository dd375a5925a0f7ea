package io.agentcontrolplane.autoconfigure.metrics;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.agentcontrolplane.quota.ActionType;
import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.QuotaListener;
import io.agentcontrolplane.quota.RejectionReason;
import io.agentcontrolplane.quota.ResourceQuota;
import io.agentcontrolplane.quota.UnknownAgentPolicy;
import io.agentcontrolplane.test.MutableClock;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.search.RequiredSearch;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.assertj.core.api.Assertions.within;

/**
 * Tests for {@link QuotaMetrics}.
 */
class QuotaMetricsTests {

	private final PolicyEngine engine = PolicyEngine.builder().measureHoldTimes(true).build();

	private final SimpleMeterRegistry registry = new SimpleMeterRegistry();

	private final QuotaMetrics metrics = new QuotaMetrics(this.engine, Tags.of("app", "test"));

	private final ExecutorService other = Executors.newSingleThreadExecutor();

	QuotaMetricsTests() {
		this.engine.setQuota("planner", ResourceQuota.of("planner", 2));
	}

	@AfterEach
	void closeMetrics() throws InterruptedException {
		this.metrics.close();
		this.other.shutdownNow();
		assertThat(this.other.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
	}

	@Test
	void gaugesReadTheLiveEngine() {
		this.metrics.bindTo(this.registry);
		assertThat(gauge("agent.quota.limit", "planner")).isEqualTo(2.0);
		assertThat(gauge("agent.quota.available", "planner")).isEqualTo(2.0);
		try (Permit permit = this.engine.acquire("planner")) {
			assertThat(gauge("agent.quota.in.flight", "planner")).isEqualTo(1.0);
			assertThat(gauge("agent.quota.available", "planner")).isEqualTo(1.0);
			assertThat(gauge("agent.quota.waiting", "planner")).isZero();
		}
		assertThat(gauge("agent.quota.in.flight", "planner")).isZero();
	}

	@Test
	void everyMeterHasADescriptionABaseUnitAndTheAgentTag() {
		this.metrics.bindTo(this.registry);
		assertThat(this.registry.getMeters()).isNotEmpty().allSatisfy((meter) -> {
			Meter.Id id = meter.getId();
			assertThat(id.getName()).startsWith("agent.quota.").matches("[a-z.]+");
			assertThat(id.getDescription()).isNotBlank();
			assertThat(id.getTag("agent")).isEqualTo("planner");
			assertThat(id.getTag("app")).isEqualTo("test");
			if (id.getType() != Meter.Type.TIMER) {
				assertThat(id.getBaseUnit()).isNotBlank();
			}
		});
	}

	@Test
	void callsAreCountedByOutcomeAndReason() {
		this.metrics.bindTo(this.registry);
		Permit first = this.engine.acquire("planner");
		Permit second = this.engine.acquire("planner");
		Optional<Permit> third = this.engine.tryAcquire("planner");
		assertThat(third).isEmpty();
		first.close();
		second.close();
		assertThat(calls("planner", "permitted", "none").count()).isEqualTo(2.0);
		assertThat(calls("planner", "rejected", "concurrency_limit").count()).isEqualTo(1.0);
		assertThat(calls("planner", "rejected", "rate_limit").count()).isZero();
		assertThat(timer("agent.quota.wait", "planner", "permitted").count()).isEqualTo(2);
		assertThat(timer("agent.quota.wait", "planner", "rejected").count()).isEqualTo(1);
		assertThat(timer("agent.quota.hold", "planner", null).count()).isEqualTo(2);
	}

	@Test
	void countersReadTheEnginesTotalsAfterAKnownMixOfCalls() {
		PolicyEngine mixed = PolicyEngine.builder().measureHoldTimes(true).build();
		mixed.setQuota("coder", ResourceQuota.builder("coder")
			.maxConcurrentExecutions(2)
			.maxRequestsPerMinute(3)
			.allowedActionTypes(ActionType.API_CALL)
			.build());
		SimpleMeterRegistry mixedRegistry = new SimpleMeterRegistry();
		try (QuotaMetrics mixedMetrics = new QuotaMetrics(mixed)) {
			mixedMetrics.bindTo(mixedRegistry);
			Permit first = mixed.admit("coder", ActionType.API_CALL, null);
			Permit second = mixed.admit("coder", null, null);
			assertThatExceptionOfType(QuotaExceededException.class).isThrownBy(() -> mixed.admit("coder", null, null))
				.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(RejectionReason.CONCURRENCY_LIMIT));
			assertThat(mixed.tryAcquire("coder")).isEmpty();
			first.close();
			second.close();
			assertThatExceptionOfType(QuotaExceededException.class)
				.isThrownBy(() -> mixed.admit("coder", ActionType.FILE_WRITE, null))
				.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(RejectionReason.ACTION_NOT_ALLOWED));
			mixed.admit("coder", null, null).close();
			// The per-minute budget of 3 is spent: the permit taken for this call is given back.
			assertThatExceptionOfType(QuotaExceededException.class).isThrownBy(() -> mixed.admit("coder", null, null))
				.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(RejectionReason.RATE_LIMIT));
			assertThat(count(mixedRegistry, "permitted", "none")).isEqualTo(3.0);
			assertThat(count(mixedRegistry, "rejected", "concurrency_limit")).isEqualTo(2.0);
			assertThat(count(mixedRegistry, "rejected", "action_not_allowed")).isEqualTo(1.0);
			assertThat(count(mixedRegistry, "rejected", "rate_limit")).isEqualTo(1.0);
			assertThat(count(mixedRegistry, "rejected", "unknown_agent")).isZero();
			assertThat(count(mixedRegistry, "rejected", "store_unavailable")).isZero();
			assertThat(mixedRegistry.get("agent.quota.wait").tag("outcome", "permitted").functionTimer().count())
				.isEqualTo(3.0);
			assertThat(mixedRegistry.get("agent.quota.wait").tag("outcome", "rejected").functionTimer().count())
				.isEqualTo(4.0);
			assertThat(mixedRegistry.get("agent.quota.hold").functionTimer().count()).isEqualTo(3.0);
			assertThat(mixed.snapshot("coder").orElseThrow().acquired()).isEqualTo(3);
		}
	}

	@Test
	void timerTotalsAreTheWaitAndHoldTimesTheEngineMeasured() throws Exception {
		PolicyEngine waiting = PolicyEngine.builder().measureHoldTimes(true).build();
		waiting.setQuota("writer",
				ResourceQuota.builder("writer").maxConcurrentExecutions(1).maxWait(Duration.ofSeconds(10)).build());
		SimpleMeterRegistry waitingRegistry = new SimpleMeterRegistry();
		AtomicLong reportedWait = new AtomicLong();
		AtomicLong reportedHold = new AtomicLong();
		waiting.addListener(new QuotaListener() {
			@Override
			public void onAcquired(String agentId, long waitNanos) {
				reportedWait.addAndGet(waitNanos);
			}

			@Override
			public void onReleased(String agentId, long heldNanos) {
				reportedHold.addAndGet(heldNanos);
			}
		});
		try (QuotaMetrics waitingMetrics = new QuotaMetrics(waiting)) {
			waitingMetrics.bindTo(waitingRegistry);
			long outerStart = System.nanoTime();
			Permit held = waiting.acquire("writer");
			long innerStart = System.nanoTime();
			CountDownLatch queued = new CountDownLatch(1);
			Future<Long> second = this.other.submit(() -> {
				queued.countDown();
				try (Permit permit = waiting.acquire("writer")) {
					return System.nanoTime();
				}
			});
			await(queued);
			awaitWaiting(waiting, "writer");
			long innerEnd = System.nanoTime();
			held.close();
			long secondGranted = second.get(10, TimeUnit.SECONDS);
			FunctionTimer wait = waitingRegistry.get("agent.quota.wait").tag("outcome", "permitted").functionTimer();
			FunctionTimer hold = waitingRegistry.get("agent.quota.hold").functionTimer();
			assertThat(wait.count()).isEqualTo(2.0);
			assertThat(hold.count()).isEqualTo(2.0);
			assertThat(reportedWait.get()).isPositive();
			// Equal to the nanosecond: the double conversion to seconds and back may round.
			assertThat(wait.totalTime(TimeUnit.NANOSECONDS)).isCloseTo(reportedWait.get(), within(1.0));
			assertThat(hold.totalTime(TimeUnit.NANOSECONDS)).isCloseTo(reportedHold.get(), within(1.0));
			// The first permit was held at least while the second caller was seen waiting.
			assertThat(hold.totalTime(TimeUnit.NANOSECONDS)).isGreaterThanOrEqualTo(innerEnd - innerStart);
			assertThat(wait.totalTime(TimeUnit.NANOSECONDS)).isLessThanOrEqualTo(secondGranted - outerStart);
		}
	}

	@Test
	void callsMadeBeforeBindingAreCounted() {
		this.engine.acquire("planner").close();
		assertThat(this.engine.tryAcquireExecutionSlot("planner")).isTrue();
		this.engine.releaseExecutionSlot("planner");
		this.metrics.bindTo(this.registry);
		assertThat(calls("planner", "permitted", "none").count()).isEqualTo(2.0);
		// The engine measures hold times because it was built to, listener or not; the slot
		// released by agent id has no hold time.
		assertThat(timer("agent.quota.hold", "planner", null).count()).isEqualTo(1.0);
		this.engine.acquire("planner").close();
		assertThat(calls("planner", "permitted", "none").count()).isEqualTo(3.0);
		assertThat(timer("agent.quota.hold", "planner", null).count()).isEqualTo(2.0);
	}

	@Test
	void anAgentReCreatedUnderTheSameIdGetsMetersReadingItsOwnCounters() {
		this.metrics.bindTo(this.registry);
		this.engine.setQuota("critic", ResourceQuota.of("critic", 1));
		this.engine.acquire("critic").close();
		this.engine.acquire("critic").close();
		assertThat(calls("critic", "permitted", "none").count()).isEqualTo(2.0);
		this.engine.removeQuota("critic");
		this.engine.setQuota("critic", ResourceQuota.of("critic", 1));
		assertThat(calls("critic", "permitted", "none").count()).isZero();
		this.engine.acquire("critic").close();
		assertThat(calls("critic", "permitted", "none").count()).isEqualTo(1.0);
		assertThat(metersOf("critic")).isEqualTo(metersOf("planner"));
	}

	@Test
	void metersAreRegisteredOnceAndRecordedWithoutLookUp() {
		this.metrics.bindTo(this.registry);
		int meters = this.registry.getMeters().size();
		this.engine.setQuota("planner", ResourceQuota.of("planner", 4));
		for (int i = 0; i < 3; i++) {
			this.engine.acquire("planner").close();
		}
		assertThat(this.registry.getMeters()).hasSize(meters);
		assertThat(calls("planner", "permitted", "none").count()).isEqualTo(3.0);
		assertThat(gauge("agent.quota.limit", "planner")).isEqualTo(4.0);
	}

	@Test
	void agentsAddedAfterBindingGetMeters() {
		this.metrics.bindTo(this.registry);
		this.engine.setQuota("critic", ResourceQuota.of("critic", 1));
		assertThat(gauge("agent.quota.limit", "critic")).isEqualTo(1.0);
		this.engine.acquire("critic").close();
		assertThat(calls("critic", "permitted", "none").count()).isEqualTo(1.0);
	}

	@Test
	void metersOfARemovedAgentAreRemoved() {
		this.metrics.bindTo(this.registry);
		this.engine.setQuota("critic", ResourceQuota.of("critic", 1));
		assertThat(this.registry.find("agent.quota.limit").tag("agent", "critic").gauge()).isNotNull();
		this.engine.removeQuota("critic");
		assertThat(this.registry.getMeters()).noneMatch((meter) -> "critic".equals(meter.getId().getTag("agent")));
		assertThat(this.registry.find("agent.quota.limit").tag("agent", "planner").gauge()).isNotNull();
	}

	@Test
	void metersOfDynamicAgentsLeaveWhenTheEngineEvictsThem() {
		MutableClock clock = new MutableClock();
		PolicyEngine dynamicEngine = PolicyEngine.builder()
			.unknownAgentPolicy(UnknownAgentPolicy.DEFAULT_QUOTA)
			.defaultQuota(ResourceQuota.of("template", 2))
			.dynamicAgentIdleTimeout(Duration.ofMinutes(1))
			.clock(clock)
			.build();
		SimpleMeterRegistry dynamicRegistry = new SimpleMeterRegistry();
		try (QuotaMetrics dynamicMetrics = new QuotaMetrics(dynamicEngine)) {
			dynamicMetrics.bindTo(dynamicRegistry);
			for (int tenant = 0; tenant < 20; tenant++) {
				dynamicEngine.acquire("tenant-" + tenant).close();
			}
			assertThat(dynamicRegistry.get("agent.quota.calls")
				.tags("agent", "tenant-7", "outcome", "permitted")
				.functionCounter()
				.count()).isEqualTo(1.0);
			// Idle since the first pass that saw them idle, then past the idle time-out.
			dynamicEngine.evictIdleAgents();
			clock.advance(Duration.ofMinutes(2));
			dynamicEngine.evictIdleAgents();
			assertThat(dynamicEngine.snapshots()).isEmpty();
			assertThat(dynamicRegistry.getMeters()).isEmpty();
		}
	}

	/**
	 * The engine notifies listeners after a change and outside its locks, so an eviction's
	 * "removed" can reach the binder after the "added" of the agent re-created under the same id
	 * (the race in the 100,000-id bounds test): the new agent must keep its meters.
	 */
	@Test
	void lateRemovalOfAnAgentReAddedMeanwhileKeepsItsMeters() throws Exception {
		CountDownLatch removing = new CountDownLatch(1);
		CountDownLatch reAdded = new CountDownLatch(1);
		// Registered before the binder, so it delays the binder's "removed" for this agent.
		this.engine.addListener(new QuotaListener() {
			@Override
			public void onAgentRemoved(String agentId) {
				if ("critic".equals(agentId) && removing.getCount() > 0) {
					removing.countDown();
					await(reAdded);
				}
			}
		});
		this.engine.setQuota("critic", ResourceQuota.of("critic", 1));
		this.metrics.bindTo(this.registry);
		Future<?> removal = this.other.submit(() -> this.engine.removeQuota("critic"));
		await(removing);
		this.engine.setQuota("critic", ResourceQuota.of("critic", 2));
		reAdded.countDown();
		removal.get(10, TimeUnit.SECONDS);
		assertThat(this.engine.getQuota("critic")).isPresent();
		assertThat(gauge("agent.quota.limit", "critic")).isEqualTo(2.0);
		assertThat(this.registry.getMeters()).filteredOn((meter) -> "critic".equals(meter.getId().getTag("agent")))
			.hasSize(metersOf("planner"));
	}

	/**
	 * The reverse order: the "added" of an agent reaches the binder after the agent was removed
	 * again, and must not leave meters for an agent the engine no longer knows.
	 */
	@Test
	void lateAdditionOfAnAgentRemovedMeanwhileRegistersNoMeters() throws Exception {
		CountDownLatch adding = new CountDownLatch(1);
		CountDownLatch removed = new CountDownLatch(1);
		this.engine.addListener(new QuotaListener() {
			@Override
			public void onAgentAdded(String agentId) {
				if ("critic".equals(agentId) && adding.getCount() > 0) {
					adding.countDown();
					await(removed);
				}
			}
		});
		this.metrics.bindTo(this.registry);
		Future<?> addition = this.other.submit(() -> this.engine.setQuota("critic", ResourceQuota.of("critic", 1)));
		await(adding);
		this.engine.removeQuota("critic");
		removed.countDown();
		addition.get(10, TimeUnit.SECONDS);
		assertThat(this.engine.getQuota("critic")).isEmpty();
		assertThat(this.registry.getMeters()).noneMatch((meter) -> "critic".equals(meter.getId().getTag("agent")));
		assertThat(metersOf("planner")).isPositive();
	}

	@Test
	void unknownAgentsAllowedByThePolicyGetNoMeters() {
		this.metrics.bindTo(this.registry);
		this.engine.acquire("someone-else").close();
		assertThat(this.registry.getMeters()).noneMatch((meter) -> "someone-else".equals(meter.getId().getTag("agent")));
	}

	@Test
	void closeRemovesEveryMeterAndStopsListening() {
		this.metrics.bindTo(this.registry);
		this.metrics.close();
		assertThat(this.registry.getMeters()).isEmpty();
		this.engine.setQuota("critic", ResourceQuota.of("critic", 1));
		assertThat(this.registry.getMeters()).isEmpty();
	}

	@Test
	void bindingToASecondRegistryFails() {
		this.metrics.bindTo(this.registry);
		this.metrics.bindTo(this.registry);
		assertThatIllegalStateException().isThrownBy(() -> this.metrics.bindTo(new SimpleMeterRegistry()));
	}

	private static double count(SimpleMeterRegistry registry, String outcome, String reason) {
		return registry.get("agent.quota.calls").tags("outcome", outcome, "reason", reason).functionCounter().count();
	}

	private static void awaitWaiting(PolicyEngine engine, String agent) throws InterruptedException {
		long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
		while (engine.snapshot(agent).orElseThrow().waiting() == 0) {
			if (System.nanoTime() > deadline) {
				throw new IllegalStateException("nobody waited for a permit of " + agent + " within 10 s");
			}
			Thread.onSpinWait();
		}
	}

	private int metersOf(String agent) {
		return (int) this.registry.getMeters().stream().filter((meter) -> agent.equals(meter.getId().getTag("agent"))).count();
	}

	private static void await(CountDownLatch latch) {
		try {
			if (!latch.await(10, TimeUnit.SECONDS)) {
				throw new IllegalStateException("the other thread did not get there in 10 s");
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	private double gauge(String name, String agent) {
		return this.registry.get(name).tag("agent", agent).gauge().value();
	}

	private FunctionCounter calls(String agent, String outcome, String reason) {
		return this.registry.get("agent.quota.calls")
			.tags("agent", agent, "outcome", outcome, "reason", reason)
			.functionCounter();
	}

	private FunctionTimer timer(String name, String agent, @Nullable String outcome) {
		RequiredSearch search = this.registry.get(name).tag("agent", agent);
		return ((outcome != null) ? search.tag("outcome", outcome) : search).functionTimer();
	}

}
