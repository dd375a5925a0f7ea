package io.agentcontrolplane.quota;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * A point-in-time view of one agent's quota and its use, as reported by
 * {@link PolicyEngine#snapshot(String)} and the {@code quotas} actuator endpoint.
 *
 * @param agentId the agent
 * @param maxConcurrentExecutions the concurrency limit in force
 * @param inFlight executions holding a slot now (may exceed the limit for a while after the
 * limit was lowered; no new slot is granted until it is below the limit)
 * @param available slots free now ({@code max(0, limit - inFlight)})
 * @param waiting callers waiting for a slot now
 * @param acquired slots granted since the agent became known
 * @param rejected calls refused since the agent became known, for every reason
 * @param rejectedByReason calls refused, by reason (every reason present, zeros included)
 * @param maxWait the maximum wait for a slot
 * @param fair whether free slots are handed to waiters in arrival order
 * @param maxRequestsPerMinute the per-minute budget, {@code null} when unlimited
 * @param availableRequestsPerMinute requests left in the per-minute budget now, {@code null}
 * when unlimited
 * @param maxRequestsPerHour the per-hour budget, {@code null} when unlimited
 * @param availableRequestsPerHour requests left in the per-hour budget now, {@code null} when
 * unlimited
 * @param maxExecutionTime the maximum execution time, {@code null} when none
 * @param allowedActionTypes the {@link ActionType}s among the allowed actions
 * @param oldestPermitAge how long the oldest slot still held has been held, {@code null} when
 * no slot is held or ages are not tracked
 * @param dynamic whether the quota was created from the default-quota template (and may be
 * evicted when idle)
 * @param store the permit store that keeps this agent's count ({@code memory}, or the name of a
 * cluster-wide store and its mode)
 * @param budgets where each budget of the quota's {@link ResourceQuota#budgets()} stands now, in
 * order; empty when it has none
 * @param allowedActions the allowed actions by name ({@link ResourceQuota#allowedActions()}),
 * empty when every action is allowed
 */
public record QuotaSnapshot(String agentId, int maxConcurrentExecutions, int inFlight, int available, int waiting,
		long acquired, long rejected, Map<RejectionReason, Long> rejectedByReason, Duration maxWait, boolean fair,
		@Nullable Integer maxRequestsPerMinute, @Nullable Long availableRequestsPerMinute,
		@Nullable Integer maxRequestsPerHour, @Nullable Long availableRequestsPerHour,
		@Nullable Duration maxExecutionTime, Set<ActionType> allowedActionTypes, @Nullable Duration oldestPermitAge,
		boolean dynamic, String store, List<BudgetStatus> budgets, Set<String> allowedActions) {

	/**
	 * Copy the budgets and actions, so that the snapshot stays what it was.
	 */
	public QuotaSnapshot {
		budgets = List.copyOf(budgets);
		allowedActions = Collections.unmodifiableSet(new LinkedHashSet<>(allowedActions));
	}

	/**
	 * A snapshot whose allowed actions are its action types (the form before actions had
	 * names).
	 * @param agentId the agent
	 * @param maxConcurrentExecutions the concurrency limit in force
	 * @param inFlight executions holding a slot now
	 * @param available slots free now
	 * @param waiting callers waiting for a slot now
	 * @param acquired slots granted since the agent became known
	 * @param rejected calls refused since the agent became known
	 * @param rejectedByReason calls refused, by reason
	 * @param maxWait the maximum wait for a slot
	 * @param fair whether free slots are handed to waiters in arrival order
	 * @param maxRequestsPerMinute the per-minute budget, {@code null} when unlimited
	 * @param availableRequestsPerMinute requests left in the per-minute budget now
	 * @param maxRequestsPerHour the per-hour budget, {@code null} when unlimited
	 * @param availableRequestsPerHour requests left in the per-hour budget now
	 * @param maxExecutionTime the maximum execution time, {@code null} when none
	 * @param allowedActionTypes the allowed action types
	 * @param oldestPermitAge how long the oldest slot still held has been held
	 * @param dynamic whether the quota was created from the default-quota template
	 * @param store the permit store that keeps this agent's count
	 * @param budgets where each budget stands now
	 */
	public QuotaSnapshot(String agentId, int maxConcurrentExecutions, int inFlight, int available, int waiting,
			long acquired, long rejected, Map<RejectionReason, Long> rejectedByReason, Duration maxWait, boolean fair,
			@Nullable Integer maxRequestsPerMinute, @Nullable Long availableRequestsPerMinute,
			@Nullable Integer maxRequestsPerHour, @Nullable Long availableRequestsPerHour,
			@Nullable Duration maxExecutionTime, Set<ActionType> allowedActionTypes, @Nullable Duration oldestPermitAge,
			boolean dynamic, String store, List<BudgetStatus> budgets) {
		this(agentId, maxConcurrentExecutions, inFlight, available, waiting, acquired, rejected, rejectedByReason,
				maxWait, fair, maxRequestsPerMinute, availableRequestsPerMinute, maxRequestsPerHour,
				availableRequestsPerHour, maxExecutionTime, allowedActionTypes, oldestPermitAge, dynamic, store,
				budgets, names(allowedActionTypes));
	}

	private static Set<String> names(Set<ActionType> types) {
		Set<String> names = new LinkedHashSet<>();
		types.forEach((type) -> names.add(type.actionName()));
		return names;
	}

	/**
	 * A snapshot of a quota without budgets (the form before budgets were reported).
	 * @param agentId the agent
	 * @param maxConcurrentExecutions the concurrency limit in force
	 * @param inFlight executions holding a slot now
	 * @param available slots free now
	 * @param waiting callers waiting for a slot now
	 * @param acquired slots granted since the agent became known
	 * @param rejected calls refused since the agent became known
	 * @param rejectedByReason calls refused, by reason
	 * @param maxWait the maximum wait for a slot
	 * @param fair whether free slots are handed to waiters in arrival order
	 * @param maxRequestsPerMinute the per-minute budget, {@code null} when unlimited
	 * @param availableRequestsPerMinute requests left in the per-minute budget now
	 * @param maxRequestsPerHour the per-hour budget, {@code null} when unlimited
	 * @param availableRequestsPerHour requests left in the per-hour budget now
	 * @param maxExecutionTime the maximum execution time, {@code null} when none
	 * @param allowedActionTypes the allowed action types
	 * @param oldestPermitAge how long the oldest slot still held has been held
	 * @param dynamic whether the quota was created from the default-quota template
	 * @param store the permit store that keeps this agent's count
	 */
	public QuotaSnapshot(String agentId, int maxConcurrentExecutions, int inFlight, int available, int waiting,
			long acquired, long rejected, Map<RejectionReason, Long> rejectedByReason, Duration maxWait, boolean fair,
			@Nullable Integer maxRequestsPerMinute, @Nullable Long availableRequestsPerMinute,
			@Nullable Integer maxRequestsPerHour, @Nullable Long availableRequestsPerHour,
			@Nullable Duration maxExecutionTime, Set<ActionType> allowedActionTypes, @Nullable Duration oldestPermitAge,
			boolean dynamic, String store) {
		this(agentId, maxConcurrentExecutions, inFlight, available, waiting, acquired, rejected, rejectedByReason,
				maxWait, fair, maxRequestsPerMinute, availableRequestsPerMinute, maxRequestsPerHour,
				availableRequestsPerHour, maxExecutionTime, allowedActionTypes, oldestPermitAge, dynamic, store,
				List.of());
	}

}
