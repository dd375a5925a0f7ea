package io.agentcontrolplane.jcstress;

import org.openjdk.jcstress.annotations.Actor;
import org.openjdk.jcstress.annotations.Arbiter;
import org.openjdk.jcstress.annotations.JCStressTest;
import org.openjdk.jcstress.annotations.Outcome;
import org.openjdk.jcstress.annotations.State;
import org.openjdk.jcstress.infra.results.IIII_Result;

import io.agentcontrolplane.quota.PolicyEngine;

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * The original's first defect, under a race: limit 2, one slot taken, two threads release at
 * once. One release succeeds, the other throws {@link IllegalStateException} and changes nothing,
 * so capacity never grows past the limit. Outcome: (release 1 ok, release 2 ok, in-flight, slots
 * that can be taken when trying three times).
 */
@JCStressTest
@Outcome(id = "1, 0, 0, 2", expect = ACCEPTABLE, desc = "First release won; the second was refused.")
@Outcome(id = "0, 1, 0, 2", expect = ACCEPTABLE, desc = "Second release won; the first was refused.")
@Outcome(expect = FORBIDDEN, desc = "Both released (capacity above the limit) or neither did.")
@State
public class DoubleSlotReleaseTest {

	private final PolicyEngine engine = Quotas.engine(2);

	public DoubleSlotReleaseTest() {
		if (!this.engine.tryAcquireExecutionSlot(Quotas.AGENT)) {
			throw new IllegalStateException("setup: no slot free");
		}
	}

	@Actor
	public void release1(IIII_Result r) {
		r.r1 = release();
	}

	@Actor
	public void release2(IIII_Result r) {
		r.r2 = release();
	}

	private int release() {
		try {
			this.engine.releaseExecutionSlot(Quotas.AGENT);
			return 1;
		}
		catch (IllegalStateException ex) {
			return 0;
		}
	}

	@Arbiter
	public void arbiter(IIII_Result r) {
		r.r3 = Quotas.inFlight(this.engine);
		int taken = 0;
		for (int i = 0; i < 3; i++) {
			if (this.engine.tryAcquireExecutionSlot(Quotas.AGENT)) {
				taken++;
			}
		}
		r.r4 = taken;
	}

}
