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
 * The slot form of {@link AcquireVsReleaseTest}: limit 1, the slot taken with
 * {@code tryAcquireExecutionSlot}; one thread releases it while another tries to take it. Outcome:
 * (release returned normally, actor 2 took the slot, in-flight after both).
 */
@JCStressTest
@Outcome(id = "0, 1, 1", expect = ACCEPTABLE, desc = "Taken after the release.")
@Outcome(id = "0, 0, 0", expect = ACCEPTABLE, desc = "Tried before the release.")
@Outcome(expect = FORBIDDEN, desc = "Lost, invented or over-limit slot, or the release threw.")
@State
public class SlotAcquireVsReleaseTest {

	private final PolicyEngine engine = Quotas.engine(1);

	public SlotAcquireVsReleaseTest() {
		if (!this.engine.tryAcquireExecutionSlot(Quotas.AGENT)) {
			throw new IllegalStateException("setup: no slot free");
		}
	}

	@Actor
	public void releaser(III_Result r) {
		try {
			this.engine.releaseExecutionSlot(Quotas.AGENT);
			r.r1 = 0;
		}
		catch (RuntimeException ex) {
			r.r1 = -1;
		}
	}

	@Actor
	public void acquirer(III_Result r) {
		r.r2 = this.engine.tryAcquireExecutionSlot(Quotas.AGENT) ? 1 : 0;
	}

	@Arbiter
	public void arbiter(III_Result r) {
		r.r3 = Quotas.inFlight(this.engine);
	}

}
