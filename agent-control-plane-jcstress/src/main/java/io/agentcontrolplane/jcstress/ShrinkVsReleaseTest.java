package io.agentcontrolplane.jcstress;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.ResourceQuota;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * Limit 2, both permits held. The quota shrinks to 1 while one holder releases. Whatever the
 * order, one permit is still in flight, the new limit 1 is full, and once the other permit is
 * closed exactly one slot is free. Outcome: (in-flight after both, free slots now, free slots
 * once the other permit is closed).
 */
@JCStressTest
@Outcome(id = "1, 0, 1", expect = ACCEPTABLE, desc = "The release counted once against the new limit.")
@Outcome(expect = FORBIDDEN, desc = "A release lost or applied twice across the resize.")
@State
public class ShrinkVsReleaseTest {

	private final PolicyEngine engine = Quotas.engine(2);

	private final Permit first = Quotas.acquire(this.engine);

	private final Permit second = Quotas.acquire(this.engine);

	@Actor
	public void shrink() {
		this.engine.setQuota(Quotas.AGENT, ResourceQuota.of(Quotas.AGENT, 1));
	}

	@Actor
	public void release() {
		this.first.close();
	}

	@Arbiter
	public void arbiter(III_Result r) {
		r.r1 = Quotas.inFlight(this.engine);
		r.r2 = Quotas.freeSlots(this.engine, 1);
		this.second.close();
		r.r3 = Quotas.freeSlots(this.engine, 2);
	}

}
