package io.agentcontrolplane.quota;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link QuotaListener#onQuotaChanged(String)}: told when the quota of a known agent is
 * replaced, after {@link QuotaListener#onAgentAdded(String)} for a new one, never for a change
 * that did not happen.
 */
class QuotaChangedEventTests {

	private final PolicyEngine engine = new PolicyEngine();

	private final List<String> events = new CopyOnWriteArrayList<>();

	QuotaChangedEventTests() {
		this.engine.addListener(new QuotaListener() {

			@Override
			public void onAgentAdded(String agentId) {
				QuotaChangedEventTests.this.events.add("added " + agentId);
			}

			@Override
			public void onAgentRemoved(String agentId) {
				QuotaChangedEventTests.this.events.add("removed " + agentId);
			}

			@Override
			public void onQuotaChanged(String agentId) {
				QuotaChangedEventTests.this.events.add("changed " + agentId);
			}

		});
	}

	@Test
	void settingAQuotaAddsAnAgentOnceAndChangesItAfterwards() {
		this.engine.setQuota("a", ResourceQuota.of("a", 1));
		this.engine.setQuota("a", ResourceQuota.of("a", 2));
		this.engine.updateQuota("a", (quota) -> quota.toBuilder("a")
			.budgets(Budget.builder(BudgetUnit.TOKENS).limit(10).per("1m").build())
			.build());
		this.engine.removeQuota("a");
		assertThat(this.events).containsExactly("added a", "changed a", "changed a", "removed a");
	}

	@Test
	void updatingAnUnknownAgentChangesNothingAndTellsNothing() {
		assertThat(this.engine.updateQuota("nobody", (quota) -> quota)).isEmpty();
		assertThat(this.events).isEmpty();
	}

}
