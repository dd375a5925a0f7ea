package io.agentcontrolplane.jcstress;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.III_Result;

import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * Under {@code DEFAULT_QUOTA} (template limit 1) a dynamic agent holds its only slot. The agent
 * is removed while the holder closes its permit. The agent is then re-created on demand: it must
 * start whole, with exactly one slot, whatever the order. Outcome: (the close threw, free slots of
 * the agent afterwards probing twice, in-flight afterwards).
 */
@JCStressTest
@Outcome(id = "0, 1, 0", expect = ACCEPTABLE, desc = "Closed quietly; the re-created agent has its one slot.")
@Outcome(expect = FORBIDDEN, desc = "The close threw, or the agent came back with a slot lost or invented.")
@State
public class DynamicRemoveVsReleaseTest {

	private final PolicyEngine engine = Quotas.dynamicEngine(1);

	private final Permit held = Quotas.acquire(this.engine);

	@Actor
	public void remove() {
		this.engine.removeQuota(Quotas.AGENT);
	}

	@Actor
	public void release(III_Result r) {
		r.r1 = Quotas.close(this.held);
	}

	@Arbiter
	public void arbiter(III_Result r) {
		r.r2 = Quotas.freeSlots(this.engine, 2);
		int inFlight = Quotas.inFlight(this.engine);
		r.r3 = (inFlight == -1) ? 0 : inFlight;
	}

}
