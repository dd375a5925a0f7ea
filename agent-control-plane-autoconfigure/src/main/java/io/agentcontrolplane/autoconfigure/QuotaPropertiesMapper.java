package io.agentcontrolplane.autoconfigure;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import io.agentcontrolplane.autoconfigure.AgentControlPlaneProperties.Defaults;
import io.agentcontrolplane.autoconfigure.AgentControlPlaneProperties.Quota;
import io.agentcontrolplane.quota.ActionType;
import io.agentcontrolplane.quota.PermitStore;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.ResourceQuota;
import io.agentcontrolplane.quota.UnknownAgentPolicy;
import org.jspecify.annotations.Nullable;

/**
 * Validates {@link AgentControlPlaneProperties} and turns them into {@link ResourceQuota quotas}
 * and a {@link PolicyEngine}. Every check names the full property path, so that a bad value fails
 * start-up with a message a user can act on rather than with the core's field names.
 */
final class QuotaPropertiesMapper {

	private static final String PREFIX = "agent-control-plane";

	private static final Pattern SIMPLE_KEY = Pattern.compile("[a-z0-9][a-z0-9-]*");

	private QuotaPropertiesMapper() {
	}

	/**
	 * Check every value of the given properties.
	 * @param properties the properties
	 * @throws AgentControlPlaneConfigurationException on the first invalid value
	 */
	static void validate(AgentControlPlaneProperties properties) {
		Defaults defaults = properties.getDefaults();
		String prefix = PREFIX + ".defaults";
		requireAtLeast(prefix + ".max-concurrent-executions", defaults.getMaxConcurrentExecutions(), 0);
		requireNotNegative(prefix + ".max-wait", defaults.getMaxWait());
		requireAtLeast(prefix + ".max-requests-per-minute", defaults.getMaxRequestsPerMinute(), 0);
		requireAtLeast(prefix + ".max-requests-per-hour", defaults.getMaxRequestsPerHour(), 0);
		requirePositive(prefix + ".max-execution-time", defaults.getMaxExecutionTime());
		if (properties.getUnknownAgent() == UnknownAgentPolicy.DEFAULT_QUOTA) {
			String usable = "a value >= 1 when " + PREFIX + ".unknown-agent is 'default-quota' (every dynamic agent"
					+ " would be refused every call)";
			requireAtLeast(prefix + ".max-concurrent-executions", defaults.getMaxConcurrentExecutions(), 1, usable);
			requireAtLeast(prefix + ".max-requests-per-minute", defaults.getMaxRequestsPerMinute(), 1, usable);
			requireAtLeast(prefix + ".max-requests-per-hour", defaults.getMaxRequestsPerHour(), 1, usable);
		}
		for (Map.Entry<String, Quota> entry : properties.getQuotas().entrySet()) {
			String agentId = entry.getKey();
			if (agentId == null || agentId.isBlank()) {
				throw AgentControlPlaneConfigurationException.invalidProperty(PREFIX + ".quotas", "[" + agentId + "]",
						"a non-blank agent id as the key of every quota");
			}
			Quota quota = entry.getValue();
			String quotaPrefix = quotaPrefix(agentId);
			requireAtLeast(quotaPrefix + ".max-concurrent-executions", quota.getMaxConcurrentExecutions(), 0);
			requireNotNegative(quotaPrefix + ".max-wait", quota.getMaxWait());
			requireAtLeast(quotaPrefix + ".max-requests-per-minute", quota.getMaxRequestsPerMinute(), 0);
			requireAtLeast(quotaPrefix + ".max-requests-per-hour", quota.getMaxRequestsPerHour(), 0);
			requirePositive(quotaPrefix + ".max-execution-time", quota.getMaxExecutionTime());
		}
		requirePositive(PREFIX + ".dynamic-agents.idle-timeout", properties.getDynamicAgents().getIdleTimeout());
		requireAtLeast(PREFIX + ".dynamic-agents.max-agents", properties.getDynamicAgents().getMaxAgents(), 1);
		requireAtLeast(PREFIX + ".max-agent-id-length", properties.getMaxAgentIdLength(), 1);
		requireAtLeast(PREFIX + ".executor.max-concurrency", properties.getExecutor().getMaxConcurrency(), 1);
		requireAtLeast(PREFIX + ".executor.queue-capacity", properties.getExecutor().getQueueCapacity(), 1);
	}

	/**
	 * Build a validated engine holding every configured quota, keeping its permits in the
	 * given store, with the customizers applied to its builder after the properties.
	 * @param properties the properties
	 * @param permitStore the permit store, or {@code null} for the in-memory one
	 * @param customizers the customizers, in order
	 * @return the engine
	 */
	static PolicyEngine policyEngine(AgentControlPlaneProperties properties, @Nullable PermitStore permitStore,
			List<PolicyEngineBuilderCustomizer> customizers) {
		validate(properties);
		if (permitStore == null && properties.getStore() == AgentControlPlaneProperties.Store.REDIS) {
			throw new AgentControlPlaneConfigurationException(
					"Property " + PREFIX + ".store is 'redis', but no Redis permit store could be created",
					"Add io.agentcontrolplane:agent-control-plane-redis (which brings org.redisson:redisson) to the"
							+ " classpath, or set " + PREFIX + ".store=memory");
		}
		PolicyEngine.Builder builder = PolicyEngine.builder()
			.unknownAgentPolicy(properties.getUnknownAgent())
			.trackPermitAge(properties.isTrackPermitAge())
			.dynamicAgentIdleTimeout(properties.getDynamicAgents().getIdleTimeout())
			.maxDynamicAgents(properties.getDynamicAgents().getMaxAgents())
			.maxAgentIdLength(properties.getMaxAgentIdLength());
		if (properties.getUnknownAgent() == UnknownAgentPolicy.DEFAULT_QUOTA) {
			builder.defaultQuota(defaultQuota(properties.getDefaults()));
		}
		if (permitStore != null) {
			builder.permitStore(permitStore);
		}
		customizers.forEach((customizer) -> customizer.customize(builder));
		PolicyEngine engine = builder.build();
		properties.getQuotas()
			.forEach((agentId, quota) -> engine.setQuota(agentId, quota(agentId, quota, properties.getDefaults())));
		return engine;
	}

	/**
	 * The template quota the defaults describe.
	 * @param defaults the defaults
	 * @return the quota, for the placeholder agent id {@code "default"}
	 */
	static ResourceQuota defaultQuota(Defaults defaults) {
		return quota("default", new Quota(), defaults);
	}

	/**
	 * The quota of one agent, with every unset value taken from the defaults.
	 * @param agentId the agent id
	 * @param quota the agent's own values
	 * @param defaults the defaults
	 * @return the quota
	 */
	static ResourceQuota quota(String agentId, Quota quota, Defaults defaults) {
		ResourceQuota.Builder builder = ResourceQuota.builder(agentId)
			.maxConcurrentExecutions(orDefault(quota.getMaxConcurrentExecutions(), defaults.getMaxConcurrentExecutions()))
			.maxWait(orDefault(quota.getMaxWait(), defaults.getMaxWait()))
			.fair(orDefault(quota.getFair(), defaults.isFair()))
			.maxExecutionTime(orDefault(quota.getMaxExecutionTime(), defaults.getMaxExecutionTime()))
			.joinNestedCalls(orDefault(quota.getJoinNestedCalls(), defaults.isJoinNestedCalls()));
		Integer perMinute = orDefault(quota.getMaxRequestsPerMinute(), defaults.getMaxRequestsPerMinute());
		if (perMinute != null) {
			builder.maxRequestsPerMinute(perMinute);
		}
		Integer perHour = orDefault(quota.getMaxRequestsPerHour(), defaults.getMaxRequestsPerHour());
		if (perHour != null) {
			builder.maxRequestsPerHour(perHour);
		}
		Set<ActionType> actionTypes = orDefault(quota.getAllowedActionTypes(), defaults.getAllowedActionTypes());
		if (actionTypes != null) {
			builder.allowedActionTypes(actionTypes);
		}
		return builder.build();
	}

	private static String quotaPrefix(String agentId) {
		return PREFIX + ".quotas" + (SIMPLE_KEY.matcher(agentId).matches() ? "." + agentId : "[" + agentId + "]");
	}

	private static <T> T orDefault(@Nullable T value, T defaultValue) {
		return (value != null) ? value : defaultValue;
	}

	private static void requireAtLeast(String name, @Nullable Integer value, int minimum) {
		requireAtLeast(name, value, minimum, "an integer >= " + minimum);
	}

	private static void requireAtLeast(String name, @Nullable Integer value, int minimum, String allowed) {
		if (value != null && value < minimum) {
			throw AgentControlPlaneConfigurationException.invalidProperty(name, value, allowed);
		}
	}

	private static void requireNotNegative(String name, @Nullable Duration value) {
		if (value != null && value.isNegative()) {
			throw AgentControlPlaneConfigurationException.invalidProperty(name, value,
					"a duration >= 0 (for example 0s, 500ms or 2s)");
		}
	}

	private static void requirePositive(String name, @Nullable Duration value) {
		if (value != null && (value.isNegative() || value.isZero())) {
			throw AgentControlPlaneConfigurationException.invalidProperty(name, value,
					"a duration > 0 (for example 500ms, 30s or 5m)");
		}
	}

}
