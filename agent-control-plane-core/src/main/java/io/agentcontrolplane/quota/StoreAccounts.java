package io.agentcontrolplane.quota;

import java.time.Clock;
import java.time.ZoneId;

import io.agentcontrolplane.quota.PermitStore.BudgetAccount;
import org.jspecify.annotations.Nullable;

/**
 * Where a {@link BudgetLedger} gets the store-kept balance of a budget:
 * {@link PermitStore#createBudgetAccount} for one agent.
 */
@FunctionalInterface
interface StoreAccounts {

	/** Keeps every budget in this JVM. */
	StoreAccounts NONE = (budget, clock, zone, local) -> null;

	/**
	 * The store-kept balance of a budget with a limit {@code > 0}, or {@code null} to keep the
	 * local one.
	 */
	@Nullable BudgetAccount create(Budget budget, Clock clock, ZoneId zone, BudgetAccount local);

}
