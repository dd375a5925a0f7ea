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
 * Limit 1, the slot held, one {@code acquireAsync} waiter. The holder closes its permit (handing
 * the slot to the waiter) while the waiter's future is cancelled. A permit granted to a future
 * cancelled in the same instant must come back: never lost, never counted twice. Outcome: (cancel
 * won, in-flight after both, waiting after both, free slots after the waiter's permit, if any, is
 * closed, probing twice).
 */
@JCStressTest
@Outcome(id = "1, 0, 0, 1", expect = ACCEPTABLE, desc = "Cancelled: no permit granted, or the granted one returned.")
@Outcome(id = "0, 1, 0, 1", expect = ACCEPTABLE, desc = "Granted before the cancel: the waiter holds the slot.")
@Outcome(expect = FORBIDDEN, desc = "Permit leaked, lost or double-counted, or the waiter is still queued.")
@State
public class AsyncAcquireVsCancelTest {

	private final PolicyEngine engine = Quotas.waitingEngine(1);

	private final Permit holder = Quotas.acquire(this.engine);

	private final CompletableFuture<Permit> waiter = this.engine.acquireAsync(Quotas.AGENT);

	@Actor
	public void release() {
		this.holder.close();
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
		r.r4 = Quotas.freeSlots(this.engine, 2);
	}

}
