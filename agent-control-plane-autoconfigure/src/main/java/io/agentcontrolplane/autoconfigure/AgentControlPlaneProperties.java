package io.agentcontrolplane.autoconfigure;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.agentcontrolplane.quota.ActionType;
import io.agentcontrolplane.quota.UnknownAgentPolicy;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Configuration properties for agent-control-plane: per-agent quotas, the defaults they inherit,
 * the policy for agents without a quota, the bounded executor and the HTTP error mapping.
 *
 * @see AgentControlPlaneAutoConfiguration
 */
@ConfigurationProperties("agent-control-plane")
public class AgentControlPlaneProperties {

	/**
	 * Whether quotas are enforced. When false the quota engine and bounded executor beans still
	 * exist, but every call passes, no annotated method is intercepted and nothing is counted as
	 * rejected.
	 */
	private boolean enabled = true;

	/**
	 * What happens to a call for an agent that has no quota: 'allow' runs it unlimited,
	 * 'reject' refuses it, 'default-quota' gives the agent a quota built from the defaults (one
	 * per agent id, for per-tenant agents).
	 */
	private UnknownAgentPolicy unknownAgent = UnknownAgentPolicy.ALLOW;

	/**
	 * Whether the engine records when each permit was taken, so that snapshots and the quotas
	 * endpoint show the age of the oldest permit held (a stuck call). Costs a compare-and-set
	 * and a clock read per permit. Unset, it is on when the quotas endpoint is available
	 * (enabled and exposed), the one place the starter shows it, and off otherwise.
	 */
	private @Nullable Boolean trackPermitAge;

	/**
	 * Maximum length of an agent id, in characters. Longer ids (from a request, say) are refused
	 * before anything is kept for them, so that they cannot grow memory or metrics.
	 */
	private int maxAgentIdLength = 256;

	/**
	 * Limits inherited by every quota that does not set them, and the template of the quotas
	 * created under the 'default-quota' policy.
	 */
	private final Defaults defaults = new Defaults();

	/**
	 * Quotas by agent id. A value left unset is taken from the defaults.
	 */
	private final Map<String, Quota> quotas = new LinkedHashMap<>();

	/**
	 * One budget: how much of one unit an agent may spend per window.
	 */
	public static class BudgetProperties {

		/**
		 * Unit the budget counts: 'requests', 'tokens' (input plus output), 'input-tokens',
		 * 'output-tokens' or 'cost' (in the pricing currency).
		 */
		private @Nullable String unit;

		/**
		 * Most the agent may spend per window, >= 0: a whole number for requests and tokens,
		 * an amount with at most 6 decimal places for cost.
		 */
		private @Nullable String limit;

		/**
		 * Window of the budget: a duration ('30s', '1m', '1h', '1d') that refills smoothly, or
		 * 'day', 'week' or 'month', which reset at their start in the budget zone.
		 */
		private @Nullable String per;

		/**
		 * Spending at which a warning is logged and counted, once per window, as a percentage
		 * ('80%') or a fraction ('0.8') of the limit. Unset means no warning.
		 */
		private @Nullable String warnAt;

		public @Nullable String getUnit() {
			return this.unit;
		}

		public void setUnit(@Nullable String unit) {
			this.unit = unit;
		}

		public @Nullable String getLimit() {
			return this.limit;
		}

		public void setLimit(@Nullable String limit) {
			this.limit = limit;
		}

		public @Nullable String getPer() {
			return this.per;
		}

		public void setPer(@Nullable String per) {
			this.per = per;
		}

		public @Nullable String getWarnAt() {
			return this.warnAt;
		}

		public void setWarnAt(@Nullable String warnAt) {
			this.warnAt = warnAt;
		}

	}

	/**
	 * Prices of the models, which cost budgets charge calls at.
	 */
	public static class Pricing {

		/**
		 * Currency of the prices and of every cost budget's limit.
		 */
		private String currency = "USD";

		/**
		 * Prices per million tokens, by model name.
		 */
		private final Map<String, ModelPrice> models = new LinkedHashMap<>();

		public String getCurrency() {
			return this.currency;
		}

		public void setCurrency(String currency) {
			this.currency = currency;
		}

		public Map<String, ModelPrice> getModels() {
			return this.models;
		}

	}

	/**
	 * The price of one model, per million tokens.
	 */
	public static class ModelPrice {

		/**
		 * Price of one million input tokens, >= 0.
		 */
		private @Nullable BigDecimal input;

		/**
		 * Price of one million output tokens, >= 0.
		 */
		private @Nullable BigDecimal output;

		public @Nullable BigDecimal getInput() {
			return this.input;
		}

		public void setInput(@Nullable BigDecimal input) {
			this.input = input;
		}

		public @Nullable BigDecimal getOutput() {
			return this.output;
		}

		public void setOutput(@Nullable BigDecimal output) {
			this.output = output;
		}

	}

	/**
	 * Agents created on demand under the 'default-quota' policy.
	 */
	private final DynamicAgents dynamicAgents = new DynamicAgents();

	/**
	 * The bounded executor used for fan-out.
	 */
	private final Executor executor = new Executor();

	/**
	 * HTTP error mapping of refused calls.
	 */
	private final Web web = new Web();

	/**
	 * Where concurrency permits and rate budgets are kept: 'memory' counts in this JVM only
	 * (needs no service), 'redis' counts cluster-wide in Redis (needs agent-control-plane-redis
	 * on the classpath; the connection comes from spring.data.redis.*).
	 */
	private Store store = Store.MEMORY;

	/**
	 * The Redis store, used when 'store' is 'redis'.
	 */
	private final Redis redis = new Redis();

	/**
	 * Prices of the models, which cost budgets charge calls at.
	 */
	private final Pricing pricing = new Pricing();

	/**
	 * Time zone where the calendar windows of budgets ('day', 'week', 'month') begin, such as
	 * 'UTC' or 'Europe/Berlin'.
	 */
	private String budgetZone = "UTC";

	public boolean isEnabled() {
		return this.enabled;
	}

	public void setEnabled(boolean enabled) {
		this.enabled = enabled;
	}

	public UnknownAgentPolicy getUnknownAgent() {
		return this.unknownAgent;
	}

	public void setUnknownAgent(UnknownAgentPolicy unknownAgent) {
		this.unknownAgent = unknownAgent;
	}

	public int getMaxAgentIdLength() {
		return this.maxAgentIdLength;
	}

	public void setMaxAgentIdLength(int maxAgentIdLength) {
		this.maxAgentIdLength = maxAgentIdLength;
	}

	public @Nullable Boolean getTrackPermitAge() {
		return this.trackPermitAge;
	}

	public void setTrackPermitAge(@Nullable Boolean trackPermitAge) {
		this.trackPermitAge = trackPermitAge;
	}

	public Defaults getDefaults() {
		return this.defaults;
	}

	public Map<String, Quota> getQuotas() {
		return this.quotas;
	}

	public DynamicAgents getDynamicAgents() {
		return this.dynamicAgents;
	}

	public Executor getExecutor() {
		return this.executor;
	}

	public Web getWeb() {
		return this.web;
	}

	public Store getStore() {
		return this.store;
	}

	public void setStore(Store store) {
		this.store = store;
	}

	public Pricing getPricing() {
		return this.pricing;
	}

	public String getBudgetZone() {
		return this.budgetZone;
	}

	public void setBudgetZone(String budgetZone) {
		this.budgetZone = budgetZone;
	}

	public Redis getRedis() {
		return this.redis;
	}

	/**
	 * Limits every quota inherits unless it sets its own.
	 */
	public static class Defaults {

		/**
		 * Maximum number of executions of one agent that may run at once. 0 means the agent
		 * may not run at all.
		 */
		private int maxConcurrentExecutions = 5;

		/**
		 * Maximum time a call waits for a free execution slot. 0 means never wait.
		 */
		private Duration maxWait = Duration.ZERO;

		/**
		 * Whether free execution slots are handed to waiting calls in arrival order.
		 */
		private boolean fair = true;

		/**
		 * Maximum number of calls per minute. Unset means unlimited, 0 denies every call.
		 */
		private @Nullable Integer maxRequestsPerMinute;

		/**
		 * Maximum number of calls per hour. Unset means unlimited, 0 denies every call.
		 */
		private @Nullable Integer maxRequestsPerHour;

		/**
		 * Maximum execution time of an asynchronous call (CompletableFuture, Mono, Flux)
		 * after which it fails with a TimeoutException and returns its permit. Unset means
		 * none.
		 */
		private @Nullable Duration maxExecutionTime;

		/**
		 * Action types an agent may take (the seven kinds, such as api-call). Together with
		 * allowed-actions; both empty means every action is allowed.
		 */
		private @Nullable Set<ActionType> allowedActionTypes;

		/**
		 * Actions an agent may take, by name: any action name (such as tool:search or
		 * email.send) and the seven action types by their names (such as api-call). Matched
		 * exactly and case-sensitively. Together with allowed-action-types; both empty means
		 * every action is allowed.
		 */
		private @Nullable List<String> allowedActions;

		/**
		 * Whether a call made while the same thread already holds a permit of the same agent
		 * (an annotated method calling another one of the same agent) runs on that permit,
		 * like a method joining its caller's transaction, instead of asking for a second one.
		 */
		private boolean joinNestedCalls = true;

		/**
		 * Token, cost and request budgets of every agent whose quota lists none of its own,
		 * each a unit, a limit, a window ('per') and an optional warning threshold.
		 */
		private List<BudgetProperties> budgets = new ArrayList<>();

		public List<BudgetProperties> getBudgets() {
			return this.budgets;
		}

		public void setBudgets(List<BudgetProperties> budgets) {
			this.budgets = budgets;
		}

		public int getMaxConcurrentExecutions() {
			return this.maxConcurrentExecutions;
		}

		public void setMaxConcurrentExecutions(int maxConcurrentExecutions) {
			this.maxConcurrentExecutions = maxConcurrentExecutions;
		}

		public Duration getMaxWait() {
			return this.maxWait;
		}

		public void setMaxWait(Duration maxWait) {
			this.maxWait = maxWait;
		}

		public boolean isFair() {
			return this.fair;
		}

		public void setFair(boolean fair) {
			this.fair = fair;
		}

		public @Nullable Integer getMaxRequestsPerMinute() {
			return this.maxRequestsPerMinute;
		}

		public void setMaxRequestsPerMinute(@Nullable Integer maxRequestsPerMinute) {
			this.maxRequestsPerMinute = maxRequestsPerMinute;
		}

		public @Nullable Integer getMaxRequestsPerHour() {
			return this.maxRequestsPerHour;
		}

		public void setMaxRequestsPerHour(@Nullable Integer maxRequestsPerHour) {
			this.maxRequestsPerHour = maxRequestsPerHour;
		}

		public @Nullable Duration getMaxExecutionTime() {
			return this.maxExecutionTime;
		}

		public void setMaxExecutionTime(@Nullable Duration maxExecutionTime) {
			this.maxExecutionTime = maxExecutionTime;
		}

		public @Nullable Set<ActionType> getAllowedActionTypes() {
			return this.allowedActionTypes;
		}

		public void setAllowedActionTypes(@Nullable Set<ActionType> allowedActionTypes) {
			this.allowedActionTypes = allowedActionTypes;
		}

		public @Nullable List<String> getAllowedActions() {
			return this.allowedActions;
		}

		public void setAllowedActions(@Nullable List<String> allowedActions) {
			this.allowedActions = allowedActions;
		}

		public boolean isJoinNestedCalls() {
			return this.joinNestedCalls;
		}

		public void setJoinNestedCalls(boolean joinNestedCalls) {
			this.joinNestedCalls = joinNestedCalls;
		}

	}

	/**
	 * The quota of one agent. Every value left unset is inherited from the defaults.
	 */
	public static class Quota {

		/**
		 * Maximum number of executions of this agent that may run at once. 0 means the agent
		 * may not run at all. Unset inherits the default.
		 */
		private @Nullable Integer maxConcurrentExecutions;

		/**
		 * Maximum time a call waits for a free execution slot. 0 means never wait. Unset
		 * inherits the default.
		 */
		private @Nullable Duration maxWait;

		/**
		 * Whether free execution slots are handed to waiting calls in arrival order. Unset
		 * inherits the default.
		 */
		private @Nullable Boolean fair;

		/**
		 * Maximum number of calls per minute; 0 denies every call. Unset inherits the default.
		 */
		private @Nullable Integer maxRequestsPerMinute;

		/**
		 * Maximum number of calls per hour; 0 denies every call. Unset inherits the default.
		 */
		private @Nullable Integer maxRequestsPerHour;

		/**
		 * Maximum execution time of an asynchronous call after which it fails with a
		 * TimeoutException and returns its permit. Unset inherits the default.
		 */
		private @Nullable Duration maxExecutionTime;

		/**
		 * Action types this agent may take (the seven kinds, such as api-call). Together with
		 * allowed-actions; both empty means every action is allowed. Unset inherits the default.
		 */
		private @Nullable Set<ActionType> allowedActionTypes;

		/**
		 * Actions this agent may take, by name: any action name (such as tool:search or
		 * email.send) and the seven action types by their names (such as api-call). Matched
		 * exactly and case-sensitively. Together with allowed-action-types; both empty means
		 * every action is allowed. Unset inherits the default.
		 */
		private @Nullable List<String> allowedActions;

		/**
		 * Whether a call made while the same thread already holds a permit of this agent runs
		 * on that permit instead of asking for a second one. Unset inherits the default.
		 */
		private @Nullable Boolean joinNestedCalls;

		/**
		 * Token, cost and request budgets of this agent, each a unit, a limit, a window ('per')
		 * and an optional warning threshold. Unset inherits the default budgets; an empty list
		 * means none.
		 */
		private @Nullable List<BudgetProperties> budgets;

		public @Nullable List<BudgetProperties> getBudgets() {
			return this.budgets;
		}

		public void setBudgets(@Nullable List<BudgetProperties> budgets) {
			this.budgets = budgets;
		}

		public @Nullable Integer getMaxConcurrentExecutions() {
			return this.maxConcurrentExecutions;
		}

		public void setMaxConcurrentExecutions(@Nullable Integer maxConcurrentExecutions) {
			this.maxConcurrentExecutions = maxConcurrentExecutions;
		}

		public @Nullable Duration getMaxWait() {
			return this.maxWait;
		}

		public void setMaxWait(@Nullable Duration maxWait) {
			this.maxWait = maxWait;
		}

		public @Nullable Boolean getFair() {
			return this.fair;
		}

		public void setFair(@Nullable Boolean fair) {
			this.fair = fair;
		}

		public @Nullable Integer getMaxRequestsPerMinute() {
			return this.maxRequestsPerMinute;
		}

		public void setMaxRequestsPerMinute(@Nullable Integer maxRequestsPerMinute) {
			this.maxRequestsPerMinute = maxRequestsPerMinute;
		}

		public @Nullable Integer getMaxRequestsPerHour() {
			return this.maxRequestsPerHour;
		}

		public void setMaxRequestsPerHour(@Nullable Integer maxRequestsPerHour) {
			this.maxRequestsPerHour = maxRequestsPerHour;
		}

		public @Nullable Duration getMaxExecutionTime() {
			return this.maxExecutionTime;
		}

		public void setMaxExecutionTime(@Nullable Duration maxExecutionTime) {
			this.maxExecutionTime = maxExecutionTime;
		}

		public @Nullable Set<ActionType> getAllowedActionTypes() {
			return this.allowedActionTypes;
		}

		public void setAllowedActionTypes(@Nullable Set<ActionType> allowedActionTypes) {
			this.allowedActionTypes = allowedActionTypes;
		}

		public @Nullable List<String> getAllowedActions() {
			return this.allowedActions;
		}

		public void setAllowedActions(@Nullable List<String> allowedActions) {
			this.allowedActions = allowedActions;
		}

		public @Nullable Boolean getJoinNestedCalls() {
			return this.joinNestedCalls;
		}

		public void setJoinNestedCalls(@Nullable Boolean joinNestedCalls) {
			this.joinNestedCalls = joinNestedCalls;
		}

	}

	/**
	 * Agents created on demand under the 'default-quota' policy.
	 */
	public static class DynamicAgents {

		/**
		 * How long a dynamic agent may stay idle (nothing in flight, nobody waiting) before it
		 * is evicted with its counters and meters.
		 */
		private Duration idleTimeout = Duration.ofMinutes(10);

		/**
		 * Maximum number of dynamic agents kept at once; beyond it the longest-idle ones are
		 * evicted first.
		 */
		private int maxAgents = 10_000;

		public Duration getIdleTimeout() {
			return this.idleTimeout;
		}

		public void setIdleTimeout(Duration idleTimeout) {
			this.idleTimeout = idleTimeout;
		}

		public int getMaxAgents() {
			return this.maxAgents;
		}

		public void setMaxAgents(int maxAgents) {
			this.maxAgents = maxAgents;
		}

	}

	/**
	 * The bounded executor used for fan-out.
	 */
	public static class Executor {

		/**
		 * Default bound on the number of tasks a fan-out runs at once, for application code
		 * that does not choose its own.
		 */
		private int maxConcurrency = 16;

		/**
		 * Default number of items read ahead and waiting for a worker in bounded-queue
		 * processing, for application code that does not choose its own.
		 */
		private int queueCapacity = 100;

		public int getMaxConcurrency() {
			return this.maxConcurrency;
		}

		public void setMaxConcurrency(int maxConcurrency) {
			this.maxConcurrency = maxConcurrency;
		}

		public int getQueueCapacity() {
			return this.queueCapacity;
		}

		public void setQueueCapacity(int queueCapacity) {
			this.queueCapacity = queueCapacity;
		}

	}

	/**
	 * HTTP error mapping of refused calls.
	 */
	public static class Web {

		/**
		 * Whether a QuotaExceededException thrown out of a Spring MVC or WebFlux handler is
		 * answered with an RFC 9457 problem body and a status saying whether to retry: 403 for
		 * a forbidden action or unknown agent, 429 for an exhausted limit, 503 when the quota
		 * store is unavailable.
		 */
		private boolean enabled = true;

		public boolean isEnabled() {
			return this.enabled;
		}

		public void setEnabled(boolean enabled) {
			this.enabled = enabled;
		}

	}

	/**
	 * Where permits and rate budgets are kept.
	 */
	public enum Store {

		/** In this JVM's memory: limits hold per instance. */
		MEMORY,

		/** In Redis: limits hold across every instance sharing the key prefix. */
		REDIS

	}

	/**
	 * What the Redis store does while Redis cannot be reached.
	 */
	public enum OnUnavailable {

		/** Refuse calls that need a permit or a request (reason STORE_UNAVAILABLE). */
		FAIL_CLOSED,

		/** Count against the same limits kept locally in each instance until Redis is back. */
		FAIL_OPEN

	}

	/**
	 * The Redis store. The connection is configured with spring.data.redis.* (url, host, port,
	 * username, password, database, ssl.enabled, timeout, connect-timeout), or taken from a
	 * RedissonClient bean when the application defines one.
	 */
	public static class Redis {

		/**
		 * What to do while Redis cannot be reached: 'fail-closed' refuses calls (the limit is
		 * never exceeded), 'fail-open' counts against the same limits kept locally in each
		 * instance. Either way the store returns to Redis by itself when it answers again.
		 */
		private OnUnavailable onUnavailable = OnUnavailable.FAIL_CLOSED;

		/**
		 * How long a permit lives in Redis without renewal: the time after which the permits
		 * of a crashed instance come back. Held permits are renewed every third of it.
		 */
		private Duration leaseTime = Duration.ofSeconds(30);

		/**
		 * Prefix of every Redis key written. Services that must not share limits use
		 * different prefixes.
		 */
		private String keyPrefix = "agent-control-plane";

		/**
		 * How often to check whether Redis is back once it could not be reached.
		 */
		private Duration probeInterval = Duration.ofSeconds(1);

		/**
		 * Maximum time a call waits for Redis. tryAcquire returns within it, acquire within its
		 * max-wait plus it; when it passes, only the agent whose keys did not answer is refused
		 * (or counted locally) until a probe of its keys gets an answer.
		 */
		private Duration commandTimeout = Duration.ofMillis(250);

		/**
		 * How often every agent's total in Redis is restored to its limit, so that a permit lost
		 * for any reason comes back within one interval.
		 */
		private Duration reconcileInterval = Duration.ofSeconds(10);

		/**
		 * Whether rate budgets (max-requests-per-minute, max-requests-per-hour) and the token,
		 * cost and request budgets (budgets) are kept in Redis too, so they hold across
		 * instances; when false they stay per instance.
		 */
		private boolean clusterRateLimits = true;

		public OnUnavailable getOnUnavailable() {
			return this.onUnavailable;
		}

		public void setOnUnavailable(OnUnavailable onUnavailable) {
			this.onUnavailable = onUnavailable;
		}

		public Duration getLeaseTime() {
			return this.leaseTime;
		}

		public void setLeaseTime(Duration leaseTime) {
			this.leaseTime = leaseTime;
		}

		public String getKeyPrefix() {
			return this.keyPrefix;
		}

		public void setKeyPrefix(String keyPrefix) {
			this.keyPrefix = keyPrefix;
		}

		public Duration getProbeInterval() {
			return this.probeInterval;
		}

		public void setProbeInterval(Duration probeInterval) {
			this.probeInterval = probeInterval;
		}

		public Duration getCommandTimeout() {
			return this.commandTimeout;
		}

		public void setCommandTimeout(Duration commandTimeout) {
			this.commandTimeout = commandTimeout;
		}

		public Duration getReconcileInterval() {
			return this.reconcileInterval;
		}

		public void setReconcileInterval(Duration reconcileInterval) {
			this.reconcileInterval = reconcileInterval;
		}

		public boolean isClusterRateLimits() {
			return this.clusterRateLimits;
		}

		public void setClusterRateLimits(boolean clusterRateLimits) {
			this.clusterRateLimits = clusterRateLimits;
		}

	}

}
