package io.agentcontrolplane.autoconfigure.aop;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeoutException;

import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.Usage;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What {@link ReactiveSettlement} does with the permit of one subscription, on a permit that
 * records the calls.
 */
class ReactiveSettlementTests {

	private final RecordingPermit permit = new RecordingPermit();

	@Test
	void elementsOfOneModelAreSummedUnderThatModel() {
		ReactiveSettlement settlement = new ReactiveSettlement(this.permit, (value) -> (Usage) value);
		settlement.onNext(Usage.of("a", 10, 1));
		settlement.onNext(Usage.of("a", 0, 2).withRequests(0));
		settlement.complete();
		assertThat(this.permit.calls).containsExactly("settle " + Usage.of("a", 10, 3), "close");
	}

	@Test
	void elementsOfDifferentModelsAreSettledWithoutAModel() {
		ReactiveSettlement settlement = new ReactiveSettlement(this.permit, (value) -> (Usage) value);
		settlement.onNext(Usage.of("a", 10, 1));
		settlement.onNext(Usage.of("b", 5, 2));
		settlement.onNext(Usage.of("a", 1, 1));
		settlement.complete();
		assertThat(this.permit.calls).containsExactly("settle " + Usage.estimate(16, 4).withRequests(3), "close");
	}

	@Test
	void aTimeoutBeforeTheFirstElementKeepsTheEstimate() {
		new ReactiveSettlement(this.permit, (value) -> null).error(new TimeoutException());
		assertThat(this.permit.calls).containsExactly("close");
	}

	@Test
	void anErrorBeforeTheFirstElementRefunds() {
		new ReactiveSettlement(this.permit, (value) -> null).error(new IllegalStateException());
		assertThat(this.permit.calls).containsExactly("refund", "close");
	}

	@Test
	void aSettlementThatFailsStillReturnsThePermit() {
		this.permit.settleFails = true;
		ReactiveSettlement settlement = new ReactiveSettlement(this.permit, (value) -> (Usage) value);
		settlement.onNext(Usage.of("unpriced", 1, 1));
		try {
			settlement.complete();
		}
		catch (IllegalArgumentException expected) {
			this.permit.calls.add("thrown");
		}
		assertThat(this.permit.calls).containsExactly("close", "thrown");
	}

	static final class RecordingPermit implements Permit {

		final List<String> calls = new ArrayList<>();

		boolean settleFails;

		@Override
		public String agentId() {
			return "a";
		}

		@Override
		public void settle(Usage actual) {
			if (this.settleFails) {
				throw new IllegalArgumentException("no price for model 'unpriced'");
			}
			this.calls.add("settle " + actual);
		}

		@Override
		public void refund() {
			this.calls.add("refund");
		}

		@Override
		public void close() {
			this.calls.add("close");
		}

	}

}
