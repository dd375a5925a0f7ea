package io.agentcontrolplane.autoconfigure;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.stream.Collectors;

import io.agentcontrolplane.quota.Budget;
import io.agentcontrolplane.quota.DurationFormat;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.ResourceQuota;
import io.agentcontrolplane.quota.UnknownAgentPolicy;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import org.springframework.beans.factory.SmartInitializingSingleton;

/**
 * Says at start-up what the configuration became: one INFO line per configured agent with the
 * limits in force, one line for the template of dynamic agents under {@code default-quota}, and,
 * at DEBUG, each configured quota that no {@code @BoundedExecution} names literally (it may still
 * be used from code or by a templated agent id).
 */
final class QuotaStartupReport implements SmartInitializingSingleton {

	private static final Log logger = LogFactory.getLog(QuotaStartupReport.class);

	private final AgentControlPlaneProperties properties;

	private final Supplier<PolicyEngine> policyEngine;

	private final Supplier<Map<String, String>> annotatedAgentIds;

	QuotaStartupReport(AgentControlPlaneProperties properties, Supplier<PolicyEngine> policyEngine,
			Supplier<Map<String, String>> annotatedAgentIds) {
		this.properties = properties;
		this.policyEngine = policyEngine;
		this.annotatedAgentIds = annotatedAgentIds;
	}

	@Override
	public void afterSingletonsInstantiated() {
		if (!this.properties.isEnabled()) {
			return;
		}
		PolicyEngine engine = this.policyEngine.get();
		if (logger.isInfoEnabled()) {
			for (String agentId : this.properties.getQuotas().keySet()) {
				engine.getQuota(agentId).ifPresent((quota) -> logger.info("Agent '" + agentId + "': " + describe(quota)));
			}
			if (engine.unknownAgentPolicy() == UnknownAgentPolicy.DEFAULT_QUOTA) {
				engine.defaultQuota()
					.ifPresent((template) -> logger.info("Dynamic agents (unknown-agent=default-quota): each new agent id"
							+ " gets " + describe(template) + "; idle ones are evicted after "
							+ DurationFormat.format(this.properties.getDynamicAgents().getIdleTimeout()) + ", at most "
							+ this.properties.getDynamicAgents().getMaxAgents() + " are kept"));
			}
		}
		if (logger.isDebugEnabled()) {
			Set<String> named = this.annotatedAgentIds.get().keySet();
			for (String agentId : new TreeSet<>(this.properties.getQuotas().keySet())) {
				if (!named.contains(agentId)) {
					logger.debug("Quota of agent '" + agentId + "' is named by no @BoundedExecution (it may still be"
							+ " used from code, for example by BoundedExecutor.gatherForAgent, or by a templated agent"
							+ " id)");
				}
			}
		}
	}

	/**
	 * The limits of a quota in property terms, for example
	 * {@code max-concurrent-executions=3, max-wait=2 s, ...}.
	 * @param quota the quota
	 * @return the description
	 */
	static String describe(ResourceQuota quota) {
		return "max-concurrent-executions=" + quota.maxConcurrentExecutions() + ", max-wait="
				+ DurationFormat.format(quota.maxWait()) + ", fair=" + quota.fair() + ", max-requests-per-minute="
				+ (quota.maxRequestsPerMinute().isPresent() ? quota.maxRequestsPerMinute().getAsInt() : "unlimited")
				+ ", max-requests-per-hour="
				+ (quota.maxRequestsPerHour().isPresent() ? quota.maxRequestsPerHour().getAsInt() : "unlimited")
				+ ", max-execution-time=" + quota.maxExecutionTime().map(DurationFormat::format).orElse("none")
				+ ", allowed-actions=" + actions(quota.allowedActions()) + ", join-nested-calls="
				+ quota.joinNestedCalls()
				+ (quota.budgets().isEmpty() ? ""
						: quota.budgets().stream().map(Budget::toString).collect(Collectors.joining(", ", ", budgets=[", "]")));
	}

	private static String actions(Set<String> actions) {
		return actions.isEmpty() ? "all" : actions.stream().collect(Collectors.joining(", ", "[", "]"));
	}

}
