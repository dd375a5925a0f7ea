package io.agentcontrolplane.quota;

import io.agentcontrolplane.test.MutableClock;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The cases the Python original tested, which must keep working here.
 */
class OriginalBehaviourTests {

	@Test
	void limitTwoAdmitsTwoAndRejectsTheThird() {
		PolicyEngine engine = new PolicyEngine();
		engine.setQuota("a", ResourceQuota.of("a", 2));
		assertThat(engine.tryAcquireExecutionSlot("a")).isTrue();
		assertThat(engine.tryAcquireExecutionSlot("a")).isTrue();
		assertThat(engine.tryAcquireExecutionSlot("a")).isFalse();
	}

	@Test
	void releaseThenAcquireSucceeds() {
		PolicyEngine engine = new PolicyEngine();
		engine.setQuota("a", ResourceQuota.of("a", 1));
		assertThat(engine.tryAcquireExecutionSlot("a")).isTrue();
		assertThat(engine.tryAcquireExecutionSlot("a")).isFalse();
		engine.releaseExecutionSlot("a");
		assertThat(engine.tryAcquireExecutionSlot("a")).isTrue();
	}

	@Test
	void twoAgentsAreIndependent() {
		PolicyEngine engine = new PolicyEngine();
		engine.setQuota("a", ResourceQuota.of("a", 1));
		engine.setQuota("b", ResourceQuota.of("b", 1));
		assertThat(engine.tryAcquireExecutionSlot("a")).isTrue();
		assertThat(engine.tryAcquireExecutionSlot("a")).isFalse();
		assertThat(engine.tryAcquireExecutionSlot("b")).isTrue();
		engine.releaseExecutionSlot("a");
		assertThat(engine.snapshot("b").orElseThrow().inFlight()).isEqualTo(1);
		assertThat(engine.snapshot("a").orElseThrow().inFlight()).isZero();
	}

	@Test
	void rateLimitIgnoresInFlightExecutions() {
		PolicyEngine engine = PolicyEngine.builder().clock(new MutableClock()).build();
		engine.setQuota("a", ResourceQuota.builder("a").maxConcurrentExecutions(1).maxRequestsPerMinute(2).build());
		assertThat(engine.tryAcquireExecutionSlot("a")).isTrue();
		// Concurrency is exhausted, yet the rate budget is untouched by it and vice versa.
		assertThat(engine.checkRateLimit("a")).isTrue();
		assertThat(engine.checkRateLimit("a")).isTrue();
		assertThat(engine.checkRateLimit("a")).isFalse();
		engine.releaseExecutionSlot("a");
		assertThat(engine.tryAcquireExecutionSlot("a")).isTrue();
		assertThat(engine.snapshot("a").orElseThrow().availableRequestsPerMinute()).isZero();
	}

}
