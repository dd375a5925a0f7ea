package io.agentcontrolplane.jcstress;

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
 * Limit 2, two permits held; two threads close the same permit at once. It must be released
 * exactly once: the other permit still counts, so in-flight is 1 and exactly one more slot can be
 * taken. Outcome: (close 1 threw, close 2 threw, in-flight, free slots when probing twice).
 */
@JCStressTest
@Outcome(id = "0, 0, 1, 1", expect = ACCEPTABLE, desc = "Released exactly once; neither close threw.")
@Outcome(expect = FORBIDDEN, desc = "Released twice or never, or a close threw.")
@State
public class DoubleCloseTest {

	private final PolicyEngine engine = Quotas.engine(2);

	private final Permit permit = Quotas.acquire(this.engine);

	@SuppressWarnings("unused")
	private final Permit other = Quotas.acquire(this.engine);

	@Actor
	public void closer1(IIII_Result r) {
		r.r1 = Quotas.close(this.permit);
	}

	@Actor
	public void closer2(IIII_Result r) {
		r.r2 = Quotas.close(this.permit);
	}

	@Arbiter
	public void arbiter(IIII_Result r) {
		r.r3 = Quotas.inFlight(this.engine);
		r.r4 = Quotas.freeSlots(this.engine, 2);
	}

}
