package io.agentcontrolplane.jcstress;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaSnapshot;
import io.agentcontrolplane.quota.ResourceQuota;
import io.agentcontrolplane.quota.UnknownAgentPolicy;

/**
 * Helpers shared by the tests: one engine per test state, an agent called {@link #AGENT}, and the
 * read-outs the arbiters turn into outcomes. Outcomes use {@code -1} for "threw" or "unknown" so
 * that an exception shows up as a forbidden outcome rather than as a test error.
 */
final class Quotas {

	static final String AGENT = "agent";

	/** Long enough that no waiter times out during one jcstress sample. */
	static final Duration LONG_WAIT = Duration.ofMinutes(10);

	private Quotas() {
	}

	static PolicyEngine engine(int limit) {
		PolicyEngine engine = new PolicyEngine();
		engine.setQuota(AGENT, ResourceQuota.of(AGENT, limit));
		return engine;
	}

	/**
	 * An engine whose waiters' futures are completed on the releasing thread itself (a direct
	 * hand-off executor), so that each race ends within its actors and the arbiter sees its
	 * outcome: the races are those of the store and the engine, which the hand-off executor
	 * does not change; it only moves where the caller's future completes.
	 */
	static PolicyEngine waitingEngine(int limit) {
		PolicyEngine engine = PolicyEngine.builder().handOffExecutor(Runnable::run).build();
		engine.setQuota(AGENT, quota(limit));
		return engine;
	}

	static ResourceQuota quota(int limit) {
		return ResourceQuota.builder(AGENT).maxConcurrentExecutions(limit).maxWait(LONG_WAIT).build();
	}

	static PolicyEngine dynamicEngine(int limit) {
		return PolicyEngine.builder()
			.unknownAgentPolicy(UnknownAgentPolicy.DEFAULT_QUOTA)
			.defaultQuota(ResourceQuota.of("template", limit))
			.build();
	}

	static Permit acquire(PolicyEngine engine) {
		return engine.tryAcquire(AGENT).orElseThrow(() -> new IllegalStateException("setup: no permit free"));
	}

	static int inFlight(PolicyEngine engine) {
		return engine.snapshot(AGENT).map(QuotaSnapshot::inFlight).orElse(-1);
	}

	static int waiting(PolicyEngine engine) {
		return engine.snapshot(AGENT).map(QuotaSnapshot::waiting).orElse(-1);
	}

	static int limit(PolicyEngine engine) {
		return engine.snapshot(AGENT).map(QuotaSnapshot::maxConcurrentExecutions).orElse(-1);
	}

	/**
	 * Try {@code attempts} non-blocking acquisitions, count the successes, then close every permit
	 * taken: the arbiter's probe of how much capacity is really left.
	 */
	static int freeSlots(PolicyEngine engine, int attempts) {
		List<Permit> taken = new ArrayList<>();
		try {
			for (int i = 0; i < attempts; i++) {
				Optional<Permit> permit = engine.tryAcquire(AGENT);
				permit.ifPresent(taken::add);
			}
			return taken.size();
		}
		catch (RuntimeException ex) {
			return -1;
		}
		finally {
			taken.forEach(Permit::close);
		}
	}

	/** Close a permit; {@code 0} when it returned normally, {@code -1} when it threw. */
	static int close(Permit permit) {
		try {
			permit.close();
			return 0;
		}
		catch (RuntimeException ex) {
			return -1;
		}
	}

	/**
	 * Close the permit a completed future holds, if any; {@code 1} when the future had a permit,
	 * {@code 0} when it was cancelled or failed, {@code -1} when it is still pending.
	 */
	static int settle(CompletableFuture<Permit> future) {
		if (!future.isDone()) {
			return -1;
		}
		if (future.isCompletedExceptionally()) {
			return 0;
		}
		future.join().close();
		return 1;
	}

}
