package io.agentcontrolplane.jcstress;

import java.util.Optional;

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
 * Limit 1, the slot held. One thread closes its permit while another tries to take one. Outcome:
 * (actor 2 got a permit, in-flight after both, free slots left when probing twice).
 */
@JCStressTest
@Outcome(id = "1, 1, 0", expect = ACCEPTABLE, desc = "Acquired after the release; its permit holds the only slot.")
@Outcome(id = "0, 0, 1", expect = ACCEPTABLE, desc = "Tried before the release; the slot is free again.")
@Outcome(expect = FORBIDDEN, desc = "Lost, invented or over-limit slot.")
@State
public class AcquireVsReleaseTest {

	private final PolicyEngine engine = Quotas.engine(1);

	private final Permit held = Quotas.acquire(this.engine);

	private Optional<Permit> taken = Optional.empty();

	@Actor
	public void releaser() {
		this.held.close();
	}

	@Actor
	public void acquirer(III_Result r) {
		this.taken = this.engine.tryAcquire(Quotas.AGENT);
		r.r1 = this.taken.isPresent() ? 1 : 0;
	}

	@Arbiter
	public void arbiter(III_Result r) {
		r.r2 = Quotas.inFlight(this.engine);
		r.r3 = Quotas.freeSlots(this.engine, 2);
	}

}
