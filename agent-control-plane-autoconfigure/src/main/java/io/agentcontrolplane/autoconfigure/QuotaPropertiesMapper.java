package io.agentcontrolplane.autoconfigure;

import java.math.BigDecimal;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

import io.agentcontrolplane.autoconfigure.AgentControlPlaneProperties.BudgetProperties;
import io.agentcontrolplane.autoconfigure.AgentControlPlaneProperties.Defaults;
import io.agentcontrolplane.autoconfigure.AgentControlPlaneProperties.ModelPrice;
import io.agentcontrolplane.autoconfigure.AgentControlPlaneProperties.Quota;
import io.agentcontrolplane.quota.ActionNames;
import io.agentcontrolplane.quota.ActionType;
import io.agentcontrolplane.quota.Budget;
import io.agentcontrolplane.quota.BudgetUnit;
import io.agentcontrolplane.quota.PermitStore;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.Pricing;
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
		budgetZone(properties);
		pricing(properties);
		boolean priced = !properties.getPricing().getModels().isEmpty();
		budgets(prefix + ".budgets", defaults.getBudgets(), priced);
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
			List<BudgetProperties> budgets = quota.getBudgets();
			if (budgets != null) {
				budgets(quotaPrefix + ".budgets", budgets, priced);
			}
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
			.dynamicAgentIdleTimeout(properties.getDynamicAgents().getIdleTimeout())
			.maxDynamicAgents(properties.getDynamicAgents().getMaxAgents())
			.maxAgentIdLength(properties.getMaxAgentIdLength())
			.budgetZone(budgetZone(properties));
		Pricing pricing = pricing(properties);
		if (pricing != null) {
			builder.pricing(pricing);
		}
		if (properties.getUnknownAgent() == UnknownAgentPolicy.DEFAULT_QUOTA) {
			builder.defaultQuota(defaultQuota(properties.getDefaults()));
		}
		if (permitStore != null) {
			builder.permitStore(permitStore);
		}
		customizers.forEach((customizer) -> customizer.customize(builder));
		Boolean trackPermitAge = properties.getTrackPermitAge();
		if (trackPermitAge != null) {
			// Set by the user: wins over the auto-configurations that switch it on (the endpoint).
			builder.trackPermitAge(trackPermitAge);
		}
		PolicyEngine engine = builder.build();
		engine.addListener(new BudgetWarningLog());
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
		return quota("default", new Quota(), defaults, PREFIX + ".defaults");
	}

	/**
	 * The quota of one agent, with every unset value taken from the defaults.
	 * @param agentId the agent id
	 * @param quota the agent's own values
	 * @param defaults the defaults
	 * @return the quota
	 */
	static ResourceQuota quota(String agentId, Quota quota, Defaults defaults) {
		return quota(agentId, quota, defaults, quotaPrefix(agentId));
	}

	private static ResourceQuota quota(String agentId, Quota quota, Defaults defaults, String path) {
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
		// Each property inherits on its own; the quota allows the union of both.
		List<String> actions = quota.getAllowedActions();
		String actionsPath = ((actions != null) ? path : PREFIX + ".defaults") + ".allowed-actions";
		List<String> allowed = new ArrayList<>(
				allowedActions(actionsPath, (actions != null) ? actions : defaults.getAllowedActions()));
		Set<ActionType> actionTypes = orDefault(quota.getAllowedActionTypes(), defaults.getAllowedActionTypes());
		if (actionTypes != null) {
			actionTypes.forEach((type) -> allowed.add(type.actionName()));
		}
		builder.allowedActions(allowed);
		List<BudgetProperties> budgets = quota.getBudgets();
		String budgetsPath = ((budgets != null) ? path : PREFIX + ".defaults") + ".budgets";
		builder.budgets(budgets(budgetsPath, (budgets != null) ? budgets : defaults.getBudgets(), true));
		return builder.build();
	}

	/**
	 * The allowed action names, each checked and brought to its canonical form.
	 * @param path the property path of the list
	 * @param actions the names, or {@code null} for none
	 * @return the canonical names
	 * @throws AgentControlPlaneConfigurationException naming the entry's property path and value
	 */
	static List<String> allowedActions(String path, @Nullable List<String> actions) {
		if (actions == null) {
			return List.of();
		}
		List<String> canonical = new ArrayList<>(actions.size());
		for (int i = 0; i < actions.size(); i++) {
			String name = path + "[" + i + "]";
			try {
				canonical.add(ActionNames.canonical(name, actions.get(i)));
			}
			catch (IllegalArgumentException ex) {
				throw AgentControlPlaneConfigurationException.invalidProperty(name, printable(actions.get(i)),
						"an action name such as api-call, tool:search or email.send: not blank, at most "
								+ ActionNames.MAX_LENGTH + " characters, no control characters, no leading or trailing"
								+ " white space");
			}
		}
		return canonical;
	}

	/** The value with control characters shown as escapes, so the failure stays one line. */
	private static @Nullable String printable(@Nullable String value) {
		if (value == null) {
			return null;
		}
		StringBuilder printable = new StringBuilder(value.length());
		value.chars()
			.forEach((c) -> printable.append(Character.isISOControl(c) ? String.format("\\u%04x", c) : (char) c));
		return printable.toString();
	}

	/**
	 * The zone of calendar budget windows.
	 * @param properties the properties
	 * @return the zone
	 * @throws AgentControlPlaneConfigurationException naming the property when it is no zone
	 */
	static ZoneId budgetZone(AgentControlPlaneProperties properties) {
		String zone = properties.getBudgetZone();
		try {
			return ZoneId.of(zone.trim());
		}
		catch (DateTimeException | NullPointerException ex) {
			throw AgentControlPlaneConfigurationException.invalidProperty(PREFIX + ".budget-zone", zone,
					"a time zone id such as UTC, Europe/Berlin or +02:00");
		}
	}

	/**
	 * The prices of the models, for cost budgets.
	 * @param properties the properties
	 * @return the pricing, or {@code null} when no model is priced
	 * @throws AgentControlPlaneConfigurationException naming the property of a bad price
	 */
	static @Nullable Pricing pricing(AgentControlPlaneProperties properties) {
		AgentControlPlaneProperties.Pricing pricing = properties.getPricing();
		String currency = pricing.getCurrency();
		if (currency == null || currency.isBlank()) {
			throw AgentControlPlaneConfigurationException.invalidProperty(PREFIX + ".pricing.currency", currency,
					"a currency code such as USD or EUR");
		}
		if (pricing.getModels().isEmpty()) {
			return null;
		}
		Pricing.Builder builder = Pricing.builder(currency.trim());
		for (Map.Entry<String, ModelPrice> entry : pricing.getModels().entrySet()) {
			String model = entry.getKey();
			String path = PREFIX + ".pricing.models" + (SIMPLE_KEY.matcher(model).matches() ? "." + model : "[" + model + "]");
			BigDecimal input = requirePrice(path + ".input", entry.getValue().getInput());
			BigDecimal output = requirePrice(path + ".output", entry.getValue().getOutput());
			builder.model(model, input, output);
		}
		return builder.build();
	}

	private static BigDecimal requirePrice(String name, @Nullable BigDecimal price) {
		if (price == null || price.signum() < 0) {
			throw AgentControlPlaneConfigurationException.invalidProperty(name, price,
					"a price >= 0 per million tokens, such as 0.40");
		}
		return price;
	}

	/**
	 * The budgets of a list of budget properties, each error naming the property.
	 * @param path the property path of the list, such as {@code agent-control-plane.quotas.a.budgets}
	 * @param budgets the budget properties
	 * @param priced whether models are priced (a cost budget needs prices)
	 * @return the budgets
	 * @throws AgentControlPlaneConfigurationException naming the property of the first bad value
	 */
	static List<Budget> budgets(String path, List<BudgetProperties> budgets, boolean priced) {
		List<Budget> result = new ArrayList<>(budgets.size());
		for (int i = 0; i < budgets.size(); i++) {
			result.add(budget(path + "[" + i + "]", budgets.get(i), priced));
		}
		try {
			ResourceQuota.builder("budgets").budgets(result).build();
		}
		catch (IllegalArgumentException ex) {
			// Budgets are the only values checked together (two of one unit and window).
			throw AgentControlPlaneConfigurationException.invalidProperty(path, result,
					"at most one budget per unit and window (" + ex.getMessage() + ")");
		}
		return result;
	}

	private static Budget budget(String path, BudgetProperties properties, boolean priced) {
		String units = "one of requests, tokens, input-tokens, output-tokens, cost";
		String unitValue = properties.getUnit();
		if (unitValue == null) {
			throw AgentControlPlaneConfigurationException.invalidProperty(path + ".unit", null, units);
		}
		BudgetUnit unit;
		try {
			unit = BudgetUnit.parse(unitValue);
		}
		catch (IllegalArgumentException ex) {
			throw AgentControlPlaneConfigurationException.invalidProperty(path + ".unit", unitValue, units);
		}
		if (unit == BudgetUnit.COST && !priced) {
			throw AgentControlPlaneConfigurationException.invalidProperty(path + ".unit", unitValue,
					"a unit other than cost, or the models' prices under " + PREFIX
							+ ".pricing.models (a cost budget charges calls at their model's price)");
		}
		Budget.Builder builder = Budget.builder(unit);
		String limits = (unit == BudgetUnit.COST) ? "an amount >= 0 with at most 6 decimal places, such as 25.00"
				: "a whole number >= 0";
		String limit = properties.getLimit();
		try {
			if (limit == null) {
				throw new IllegalArgumentException("limit must be set");
			}
			builder.limit(limit.trim());
		}
		catch (IllegalArgumentException ex) {
			throw AgentControlPlaneConfigurationException.invalidProperty(path + ".limit", limit, limits);
		}
		String windows = "a duration > 0 such as 30s, 1m, 1h or PT30S, or one of day, week, month";
		String per = properties.getPer();
		try {
			if (per == null) {
				throw new IllegalArgumentException("window must be set");
			}
			builder.per(per.trim());
		}
		catch (IllegalArgumentException ex) {
			throw AgentControlPlaneConfigurationException.invalidProperty(path + ".per", per, windows);
		}
		String warnAt = properties.getWarnAt();
		if (warnAt != null) {
			try {
				builder.warnAt(warnAt.trim());
			}
			catch (IllegalArgumentException ex) {
				throw AgentControlPlaneConfigurationException.invalidProperty(path + ".warn-at", warnAt,
						"a percentage > 0% and <= 100% such as 80%, or a fraction > 0 and <= 1 such as 0.8");
			}
		}
		try {
			return builder.build();
		}
		catch (IllegalArgumentException ex) {
			// Limit and window together: a refill faster than Bucket4j can count.
			throw AgentControlPlaneConfigurationException.invalidProperty(path, "{unit: " + unitValue + ", limit: "
					+ limit + ", per: " + per + "}", "a budget that can be kept (" + ex.getMessage() + ")");
		}
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
