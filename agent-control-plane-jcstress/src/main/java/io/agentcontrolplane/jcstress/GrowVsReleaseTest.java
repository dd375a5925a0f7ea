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
 * Limit 1, the slot held, one {@code acquireAsync} waiter. The quota grows to 2 while the holder
 * releases. Either event alone admits the waiter; together they must admit it exactly once.
 * Outcome: (waiter holds a permit, in-flight after both, waiting after both, free slots of the new
 * limit 2 once the waiter's permit is closed, probing three times).
 */
@JCStressTest
@Outcome(id = "1, 1, 0, 2", expect = ACCEPTABLE, desc = "Waiter admitted once; the holder's slot returned.")
@Outcome(expect = FORBIDDEN, desc = "Waiter not admitted, admitted twice, or a slot lost or invented.")
@State
public class GrowVsReleaseTest {

	private final PolicyEngine engine = Quotas.waitingEngine(1);

	private final Permit holder = Quotas.acquire(this.engine);

	private final CompletableFuture<Permit> waiter = this.engine.acquireAsync(Quotas.AGENT);

	@Actor
	public void grow() {
		this.engine.setQuota(Quotas.AGENT, Quotas.quota(2));
	}

	@Actor
	public void release() {
		this.holder.close();
	}

	@Arbiter
	public void arbiter(IIII_Result r) {
		r.r1 = (this.waiter.isDone() && !this.waiter.isCompletedExceptionally()) ? 1 : 0;
		r.r2 = Quotas.inFlight(this.engine);
		r.r3 = Quotas.waiting(this.engine);
		Quotas.settle(this.waiter);
		r.r4 = Quotas.freeSlots(this.engine, 3);
	}

}
