package io.agentcontrolplane.quota;

import java.time.Clock;
import java.time.ZoneId;
import java.util.List;

import io.github.bucket4j.TimeMeter;
import org.jspecify.annotations.Nullable;

/**
 * What every agent's {@link BudgetLedger} of one engine shares: the pricing, the time of
 * duration windows, the clock and zone of calendar windows, the listeners its warnings go to,
 * and the permit store, which may keep the balances. Only agents whose quota has budgets get a ledger.
 */
final class BudgetLedgers {

	private final @Nullable Pricing pricing;

	private final TimeMeter timeMeter;

	private final Clock clock;

	private final ZoneId zone;

	private final CompositeListener listeners;

	private final PermitStore store;

	BudgetLedgers(@Nullable Pricing pricing, TimeMeter timeMeter, Clock clock, ZoneId zone,
			CompositeListener listeners, PermitStore store) {
		this.store = store;
		this.pricing = pricing;
		this.timeMeter = timeMeter;
		this.clock = clock;
		this.zone = zone;
		this.listeners = listeners;
	}

	/**
	 * The ledger of an agent whose quota has budgets, or {@code null} when it has none.
	 * @throws IllegalArgumentException when a cost budget has no pricing
	 */
	@Nullable BudgetLedger create(String agentId, List<Budget> budgets) {
		if (budgets.isEmpty()) {
			return null;
		}
		CompositeListener listeners = this.listeners;
		PermitStore store = this.store;
		return new BudgetLedger(budgets, this.pricing, this.timeMeter, this.clock, this.zone,
				(budget, spent, resetsAt) -> listeners.onBudgetWarning(agentId, budget, spent, resetsAt),
				(budget, clock, zone, local) -> store.createBudgetAccount(agentId, budget, clock, zone, local));
	}

	/**
	 * Check that a quota's budgets can be kept by this engine, before anything changes.
	 * @throws IllegalArgumentException when a cost budget has no pricing
	 */
	void check(ResourceQuota quota) {
		if (this.pricing == null) {
			for (Budget budget : quota.budgets()) {
				if (budget.unit() == BudgetUnit.COST) {
					throw new IllegalArgumentException("quota of agent '" + quota.agentId()
							+ "' has a cost budget [" + budget + "] but the engine has no pricing");
				}
			}
		}
	}

	/** The engine's pricing, {@code null} when it has none. */
	@Nullable Pricing pricing() {
		return this.pricing;
	}

	/**
	 * Tell the listeners what a settled call really spent, one event per unit it spent.
	 */
	void reportUsage(String agentId, Usage usage) {
		CompositeListener listeners = this.listeners;
		if (listeners.isEmpty()) {
			return;
		}
		Pricing pricing = this.pricing;
		for (BudgetUnit unit : BudgetUnit.values()) {
			if (unit == BudgetUnit.COST && pricing == null) {
				continue;
			}
			long amount;
			try {
				amount = unit.amountOf(usage, pricing, false);
			}
			catch (IllegalArgumentException ex) {
				// A model without a price, for an agent without a cost budget: no cost to report.
				continue;
			}
			report(listeners, agentId, unit, amount);
		}
	}

	private static void report(CompositeListener listeners, String agentId, BudgetUnit unit, long amount) {
		if (amount > 0) {
			listeners.onUsage(agentId, unit, amount);
		}
	}

}
