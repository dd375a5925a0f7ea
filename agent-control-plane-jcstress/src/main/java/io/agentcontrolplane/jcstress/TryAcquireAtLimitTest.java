package io.agentcontrolplane.jcstress;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

import io.agentcontrolplane.quota.PolicyEngine;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * Two callers race for the last free slot (limit 1): exactly one wins, and in-flight is 1.
 * Outcome: (actor 1 got a permit, actor 2 got a permit, in-flight afterwards).
 */
@JCStressTest
@Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "Actor 1 won the only slot.")
@Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "Actor 2 won the only slot.")
@Outcome(expect = FORBIDDEN, desc = "Over the limit, or a slot lost.")
@State
public class TryAcquireAtLimitTest {

	private final PolicyEngine engine = Quotas.engine(1);

	@Actor
	public void actor1(III_Result r) {
		r.r1 = this.engine.tryAcquire(Quotas.AGENT).isPresent() ? 1 : 0;
	}

	@Actor
	public void actor2(III_Result r) {
		r.r2 = this.engine.tryAcquire(Quotas.AGENT).isPresent() ? 1 : 0;
	}

	@Arbiter
	public void arbiter(III_Result r) {
		r.r3 = Quotas.inFlight(this.engine);
	}

}
