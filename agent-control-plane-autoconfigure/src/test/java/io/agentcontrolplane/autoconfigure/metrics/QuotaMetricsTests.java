package io.agentcontrolplane.autoconfigure.metrics;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaListener;
import io.agentcontrolplane.quota.ResourceQuota;
import io.agentcontrolplane.quota.UnknownAgentPolicy;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Tests for {@link QuotaMetrics}.
 */
class QuotaMetricsTests {

	private final PolicyEngine engine = new PolicyEngine();

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
		assertThat(this.registry.get("agent.quota.wait").tag("outcome", "permitted").timer().count()).isEqualTo(2);
		assertThat(this.registry.get("agent.quota.wait").tag("outcome", "rejected").timer().count()).isEqualTo(1);
		assertThat(this.registry.get("agent.quota.hold").tag("agent", "planner").timer().count()).isEqualTo(2);
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
			assertThat(dynamicRegistry.get("agent.quota.calls").tag("agent", "tenant-7").counter().count())
				.isEqualTo(1.0);
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

	/**
	 * A clock the test moves by hand.
	 */
	static final class MutableClock extends Clock {

		private volatile Instant now = Instant.parse("2026-01-01T00:00:00Z");

		void advance(Duration duration) {
			this.now = this.now.plus(duration);
		}

		@Override
		public ZoneId getZone() {
			return ZoneOffset.UTC;
		}

		@Override
		public Clock withZone(ZoneId zone) {
			return this;
		}

		@Override
		public Instant instant() {
			return this.now;
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

	private Counter calls(String agent, String outcome, String reason) {
		return this.registry.get("agent.quota.calls")
			.tags("agent", agent, "outcome", outcome, "reason", reason)
			.counter();
	}

}
