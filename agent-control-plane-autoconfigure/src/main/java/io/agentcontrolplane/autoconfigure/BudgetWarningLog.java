package io.agentcontrolplane.autoconfigure;

import java.time.Instant;

import io.agentcontrolplane.quota.Budget;
import io.agentcontrolplane.quota.QuotaListener;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

/**
 * Logs a WARN line when a budget of an agent reaches its {@code warn-at} threshold (once per
 * window), naming the agent, the budget and what was spent, so that a budget about to refuse
 * calls shows in the logs before it does.
 */
final class BudgetWarningLog implements QuotaListener {

	private static final Log logger = LogFactory.getLog(BudgetWarningLog.class);

	@Override
	public void onBudgetWarning(String agentId, Budget budget, long spent, Instant resetsAt) {
		if (logger.isWarnEnabled()) {
			logger.warn("Agent '" + agentId + "' spent " + budget.unit().format(spent)
					+ " of its " + budget.unit().configName() + " budget of " + budget.unit().format(budget.limitInBaseUnits()) + " per "
					+ budget.window() + " (warn-at " + Math.round(budget.warnAt().orElse(1) * 100)
					+ "%); the budget is full again at " + resetsAt);
		}
	}

}
