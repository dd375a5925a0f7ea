package io.agentcontrolplane.jcstress;

import java.util.Optional;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.ResourceQuota;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * Limit 2, one permit held. The quota shrinks to 1 while another caller tries to take a permit.
 * A permit granted before the shrink keeps counting (in-flight 2 over a limit of 1 for a while);
 * after the shrink nobody is admitted while in-flight is at least 1. Outcome: (the caller got a
 * permit, in-flight after both, the limit in force, free slots once every permit is closed,
 * probing twice).
 */
@JCStressTest
@Outcome(id = "0, 1, 1, 1", expect = ACCEPTABLE, desc = "Shrink first: the caller is refused.")
@Outcome(id = "1, 2, 1, 1", expect = ACCEPTABLE, desc = "Acquire first: it keeps counting after the shrink.")
@Outcome(expect = FORBIDDEN, desc = "Admitted over the new limit, or a slot lost or invented.")
@State
public class ShrinkVsAcquireTest {

	private final PolicyEngine engine = Quotas.engine(2);

	private final Permit held = Quotas.acquire(this.engine);

	private Optional<Permit> taken = Optional.empty();

	@Actor
	public void shrink() {
		this.engine.setQuota(Quotas.AGENT, ResourceQuota.of(Quotas.AGENT, 1));
	}

	@Actor
	public void acquire(IIII_Result r) {
		this.taken = this.engine.tryAcquire(Quotas.AGENT);
		r.r1 = this.taken.isPresent() ? 1 : 0;
	}

	@Arbiter
	public void arbiter(IIII_Result r) {
		r.r2 = Quotas.inFlight(this.engine);
		r.r3 = Quotas.limit(this.engine);
		this.held.close();
		this.taken.ifPresent(Permit::close);
		r.r4 = Quotas.freeSlots(this.engine, 2);
	}

}
