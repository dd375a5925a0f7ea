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
 * Limit 1, the slot held. The quota is removed and a new one of limit 1 set, while the holder
 * closes its permit. The late close must never free a slot of the new quota that it did not
 * take (which would let two callers in under a limit of 1), and must not throw. Outcome: (the
 * close threw, in-flight of the new quota after both, free slots of the new quota, probing twice).
 */
@JCStressTest
@Outcome(id = "0, 0, 1", expect = ACCEPTABLE, desc = "Closed quietly; the new quota is whole.")
@Outcome(expect = FORBIDDEN, desc = "The close threw, or freed a slot of the new quota it never took.")
@State
public class RemoveVsReleaseTest {

	private final PolicyEngine engine = Quotas.engine(1);

	private final Permit held = Quotas.acquire(this.engine);

	@Actor
	public void replace() {
		this.engine.removeQuota(Quotas.AGENT);
		this.engine.setQuota(Quotas.AGENT, ResourceQuota.of(Quotas.AGENT, 1));
	}

	@Actor
	public void release(III_Result r) {
		r.r1 = Quotas.close(this.held);
	}

	@Arbiter
	public void arbiter(III_Result r) {
		r.r2 = Quotas.inFlight(this.engine);
		r.r3 = Quotas.freeSlots(this.engine, 2);
	}

}
