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

import static org.openjdk.jcstress.annotations.Expect.ACCEPTABLE;
import static org.openjdk.jcstress.annotations.Expect.FORBIDDEN;

/**
 * Defect D2 under a race: limit 1, a {@link Permit} held and no execution slot. One thread
 * releases a slot by agent id and then tries to take a slot; the other closes the permit and
 * tries to take a permit again. No slot was ever taken, so the release must be refused whenever
 * it runs, and afterwards exactly one of the two may hold the only place. Before the fix the
 * release freed the permit's place and both ran under a limit of 1. Outcome: (slot release
 * accepted, slot taken, permit taken again, in-flight).
 */
@JCStressTest
@Outcome(id = "0, 1, 0, 1", expect = ACCEPTABLE,
		desc = "Release refused; the slot was taken after the close, so the permit was refused.")
@Outcome(id = "0, 0, 1, 1", expect = ACCEPTABLE,
		desc = "Release refused; the slot was tried before the close (or after the new permit), which holds the place.")
@Outcome(id = "[01], 1, 1, .*", expect = FORBIDDEN,
		desc = "Two callers run under a limit of 1: the slot and the permit taken again.")
@Outcome(id = { "1, 0, .*", "1, 1, 0, .*" }, expect = FORBIDDEN,
		desc = "A slot release with no slot held was accepted.")
@Outcome(expect = FORBIDDEN, desc = "Lost or invented place.")
@State
public class SlotReleaseBesidePermitTest {

	private final PolicyEngine engine = Quotas.engine(1);

	private final Permit held = Quotas.acquire(this.engine);

	private Optional<Permit> again = Optional.empty();

	@Actor
	public void slotUser(IIII_Result r) {
		try {
			this.engine.releaseExecutionSlot(Quotas.AGENT);
			r.r1 = 1;
		}
		catch (IllegalStateException ex) {
			r.r1 = 0;
		}
		r.r2 = this.engine.tryAcquireExecutionSlot(Quotas.AGENT) ? 1 : 0;
	}

	@Actor
	public void permitHolder(IIII_Result r) {
		this.held.close();
		this.again = this.engine.tryAcquire(Quotas.AGENT);
		r.r3 = this.again.isPresent() ? 1 : 0;
	}

	@Arbiter
	public void arbiter(IIII_Result r) {
		r.r4 = Quotas.inFlight(this.engine);
	}

}
