package io.agentcontrolplane.jcstress;

import java.util.concurrent.CompletableFuture;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * Limit 1, the slot held, one {@code acquireAsync} waiter. The quota grows to 2 (which admits the
 * waiter at once) while the waiter's future is cancelled. Outcome: (cancel won, in-flight after
 * both, waiting after both, free slots of the new limit 2 once every permit is closed, probing
 * three times).
 */
@JCStressTest
@Outcome(id = "1, 1, 0, 2", expect = ACCEPTABLE, desc = "Cancelled: only the holder counts.")
@Outcome(id = "0, 2, 0, 2", expect = ACCEPTABLE, desc = "Admitted by the growth before the cancel.")
@Outcome(expect = FORBIDDEN, desc = "Permit leaked, lost or double-counted, or the waiter is still queued.")
@State
public class AsyncCancelVsGrowTest {

	private final PolicyEngine engine = Quotas.waitingEngine(1);

	private final Permit holder = Quotas.acquire(this.engine);

	private final CompletableFuture<Permit> waiter = this.engine.acquireAsync(Quotas.AGENT);

	@Actor
	public void grow() {
		this.engine.setQuota(Quotas.AGENT, Quotas.quota(2));
	}

	@Actor
	public void cancel(IIII_Result r) {
		r.r1 = this.waiter.cancel(false) ? 1 : 0;
	}

	@Arbiter
	public void arbiter(IIII_Result r) {
		r.r2 = Quotas.inFlight(this.engine);
		r.r3 = Quotas.waiting(this.engine);
		Quotas.settle(this.waiter);
		this.holder.close();
		r.r4 = Quotas.freeSlots(this.engine, 3);
	}

}
