package io.agentcontrolplane.quota;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;

import org.jspecify.annotations.Nullable;

/**
 * The limits of one agent: concurrent executions, how long a caller may wait for a slot, request
 * budgets per minute and per hour, token and cost {@link Budget budgets}, a maximum execution time
 * and the allowed actions. Immutable; validated when built. Bad values throw
 * {@link IllegalArgumentException} naming the field and the value.
 * <p>
 * {@link #maxRequestsPerMinute()} and {@link #maxRequestsPerHour()} keep their meaning and their
 * enforcement: they are two {@link BudgetUnit#REQUESTS requests} budgets per {@code 1m} and per
 * {@code 1h}, beside the budgets listed in {@link #budgets()}. The engine consumes both kinds in
 * one all-or-nothing step at admission ({@link PolicyEngine#admit(String, ActionType, Usage,
 * java.time.Duration)}).
 * <p>
 * <b>Allowed actions</b> are action names: the seven {@link ActionType}s by their kebab-case
 * {@link ActionType#actionName() names} and any other name ({@code tool:search},
 * {@code email.send}). {@link #allowedActions()} is the whole set, {@link #allowedActionTypes()}
 * the {@code ActionType}s in it; none at all means every action is allowed. The matching rule
 * and the valid names are those of {@link ActionNames}.
 */
public final class ResourceQuota {

	/** Default maximum number of concurrent executions. */
	public static final int DEFAULT_MAX_CONCURRENT_EXECUTIONS = 5;

	/** Default maximum wait for an execution slot: never wait. */
	public static final Duration DEFAULT_MAX_WAIT = Duration.ZERO;

	/** Default fairness: waiters are served in arrival order. */
	public static final boolean DEFAULT_FAIR = true;

	/** Default of {@link Builder#joinNestedCalls(boolean)}: nested calls join the held permit. */
	public static final boolean DEFAULT_JOIN_NESTED_CALLS = true;

	private final String agentId;

	private final int maxConcurrentExecutions;

	private final Duration maxWait;

	private final boolean fair;

	private final int maxRequestsPerMinute;

	private final int maxRequestsPerHour;

	private final @Nullable Duration maxExecutionTime;

	private final Set<ActionType> allowedActionTypes;

	private final Set<String> allowedActions;

	private final boolean joinNestedCalls;
	private final List<Budget> budgets;

	private ResourceQuota(Builder builder) {
		this.agentId = builder.agentId;
		this.maxConcurrentExecutions = builder.maxConcurrentExecutions;
		this.maxWait = builder.maxWait;
		this.fair = builder.fair;
		this.maxRequestsPerMinute = builder.maxRequestsPerMinute;
		this.maxRequestsPerHour = builder.maxRequestsPerHour;
		this.maxExecutionTime = builder.maxExecutionTime;
		this.allowedActionTypes = builder.allowedActionTypes.isEmpty() ? Collections.emptySet()
				: Collections.unmodifiableSet(EnumSet.copyOf(builder.allowedActionTypes));
		this.allowedActions = allowedActions(builder.allowedActionTypes, builder.otherAllowedActions);
		this.joinNestedCalls = builder.joinNestedCalls;
		this.budgets = List.copyOf(builder.budgets);
	}

	/** The union, types first in their declaration order, then the other names as given. */
	private static Set<String> allowedActions(Set<ActionType> types, Set<String> others) {
		if (types.isEmpty() && others.isEmpty()) {
			return Collections.emptySet();
		}
		Set<String> all = new LinkedHashSet<>();
		types.forEach((type) -> all.add(type.actionName()));
		all.addAll(others);
		return Collections.unmodifiableSet(all);
	}

	/**
	 * Start building a quota for the given agent.
	 * @param agentId the agent id, not blank
	 * @return a builder with the defaults
	 */
	public static Builder builder(String agentId) {
		return new Builder(agentId);
	}

	/**
	 * A quota that only limits concurrent executions.
	 * @param agentId the agent id, not blank
	 * @param maxConcurrentExecutions the limit, {@code >= 0}
	 * @return the quota
	 */
	public static ResourceQuota of(String agentId, int maxConcurrentExecutions) {
		return builder(agentId).maxConcurrentExecutions(maxConcurrentExecutions).build();
	}

	/**
	 * A builder that starts from this quota's values, for a copy with some changes.
	 * @return a builder holding every value of this quota
	 */
	public Builder toBuilder() {
		return toBuilder(this.agentId);
	}

	/**
	 * A builder that starts from this quota's values but for another agent; used to create
	 * quotas from a template.
	 * @param agentId the agent id of the copy
	 * @return a builder holding every value of this quota and the given agent id
	 */
	public Builder toBuilder(String agentId) {
		Builder builder = new Builder(agentId).maxConcurrentExecutions(this.maxConcurrentExecutions)
			.maxWait(this.maxWait)
			.fair(this.fair)
			.maxExecutionTime(this.maxExecutionTime)
			.allowedActions(this.allowedActions)
			.joinNestedCalls(this.joinNestedCalls)
			.budgets(this.budgets);
		builder.maxRequestsPerMinute = this.maxRequestsPerMinute;
		builder.maxRequestsPerHour = this.maxRequestsPerHour;
		return builder;
	}

	/**
	 * The agent this quota belongs to.
	 * @return the agent id
	 */
	public String agentId() {
		return this.agentId;
	}

	/**
	 * Maximum number of executions of this agent that may run at once; {@code 0} means the
	 * agent may not run at all.
	 * @return the limit
	 */
	public int maxConcurrentExecutions() {
		return this.maxConcurrentExecutions;
	}

	/**
	 * Maximum time a caller of {@link PolicyEngine#acquire(String)} waits for a slot;
	 * {@link Duration#ZERO} means never wait.
	 * @return the maximum wait
	 */
	public Duration maxWait() {
		return this.maxWait;
	}

	/**
	 * Whether waiters are handed free slots in arrival order.
	 * @return whether the quota is fair
	 */
	public boolean fair() {
		return this.fair;
	}

	/**
	 * Maximum number of requests per minute, empty when unlimited.
	 * @return the limit
	 */
	public OptionalInt maxRequestsPerMinute() {
		return (this.maxRequestsPerMinute < 0) ? OptionalInt.empty() : OptionalInt.of(this.maxRequestsPerMinute);
	}

	/**
	 * Maximum number of requests per hour, empty when unlimited.
	 * @return the limit
	 */
	public OptionalInt maxRequestsPerHour() {
		return (this.maxRequestsPerHour < 0) ? OptionalInt.empty() : OptionalInt.of(this.maxRequestsPerHour);
	}

	/**
	 * Maximum execution time of one call, empty when none.
	 * @return the maximum execution time
	 */
	public Optional<Duration> maxExecutionTime() {
		return Optional.ofNullable(this.maxExecutionTime);
	}

	/**
	 * The {@link ActionType}s among the {@link #allowedActions() allowed actions}. Empty means
	 * every action is allowed only when {@link #allowedActions()} is empty too: a quota that
	 * allows only {@code tool:search} has no allowed action type and refuses every one.
	 * @return an unmodifiable set
	 */
	public Set<ActionType> allowedActionTypes() {
		return this.allowedActionTypes;
	}

	/**
	 * The actions this agent may take, by {@linkplain ActionNames canonical name}: the
	 * {@link ActionType}s by their kebab-case names first, then the other names in the order
	 * they were given. Empty means every action is allowed.
	 * @return an unmodifiable set
	 */
	public Set<String> allowedActions() {
		return this.allowedActions;
	}

	/**
	 * Whether the given action is allowed by this quota.
	 * @param action the action type
	 * @return {@code true} when allowed
	 */
	public boolean allows(ActionType action) {
		return this.allowedActions.isEmpty() || this.allowedActionTypes.contains(action);
	}

	/**
	 * Whether the given action is allowed by this quota, matched as {@link ActionNames}
	 * describes: exactly and case-sensitively, the seven {@link ActionType} names in any case
	 * and with {@code -} or {@code _}.
	 * @param action the action name
	 * @return {@code true} when allowed
	 * @throws IllegalArgumentException when the name is not a valid action name
	 */
	public boolean allows(String action) {
		return allowsCanonical(ActionNames.canonical("action", action));
	}

	/**
	 * {@link #allows(String)} for a name already in its canonical form (checked, and an
	 * {@link ActionType}'s in its action name), as the engine's admission passes it.
	 */
	boolean allowsCanonical(String canonical) {
		return this.allowedActions.isEmpty() || this.allowedActions.contains(canonical);
	}

	/**
	 * Whether a call made by a thread that already holds one of this agent's permits runs on
	 * that permit, like a method joining the transaction its caller started, instead of asking
	 * for a second one. See {@link Builder#joinNestedCalls(boolean)}.
	 * @return {@code true} when nested calls join the held permit (the default)
	 */
	public boolean joinNestedCalls() {
		return this.joinNestedCalls;
	}

	/**
	 * The token, cost and request budgets of this agent, in the order they were added. The
	 * per-minute and per-hour request limits are not in this list.
	 * @return an unmodifiable list, empty when the agent has no budgets
	 */
	public List<Budget> budgets() {
		return this.budgets;
	}

	/**
	 * Whether this quota has any {@link #budgets() budget}, so that agents without budgets can
	 * skip budget bookkeeping entirely.
	 * @return {@code true} when {@link #budgets()} is not empty
	 */
	public boolean hasBudgets() {
		return !this.budgets.isEmpty();
	}

	/**
	 * Whether this quota has a per-minute or per-hour request budget.
	 * @return {@code true} when rate-limited
	 */
	public boolean hasRateLimit() {
		return this.maxRequestsPerMinute >= 0 || this.maxRequestsPerHour >= 0;
	}

	@Override
	public boolean equals(@Nullable Object obj) {
		if (this == obj) {
			return true;
		}
		if (!(obj instanceof ResourceQuota other)) {
			return false;
		}
		return this.agentId.equals(other.agentId) && this.maxConcurrentExecutions == other.maxConcurrentExecutions
				&& this.maxWait.equals(other.maxWait) && this.fair == other.fair
				&& this.maxRequestsPerMinute == other.maxRequestsPerMinute
				&& this.maxRequestsPerHour == other.maxRequestsPerHour
				&& Objects.equals(this.maxExecutionTime, other.maxExecutionTime)
				&& this.allowedActions.equals(other.allowedActions)
				&& this.joinNestedCalls == other.joinNestedCalls
				&& this.budgets.equals(other.budgets);
	}

	@Override
	public int hashCode() {
		return Objects.hash(this.agentId, this.maxConcurrentExecutions, this.maxWait, this.fair,
				this.maxRequestsPerMinute, this.maxRequestsPerHour, this.maxExecutionTime, this.allowedActions,
				this.joinNestedCalls, this.budgets);
	}

	@Override
	public String toString() {
		return "ResourceQuota[agentId=" + this.agentId + ", maxConcurrentExecutions=" + this.maxConcurrentExecutions
				+ ", maxWait=" + this.maxWait + ", fair=" + this.fair + ", maxRequestsPerMinute="
				+ ((this.maxRequestsPerMinute < 0) ? "unlimited" : this.maxRequestsPerMinute) + ", maxRequestsPerHour="
				+ ((this.maxRequestsPerHour < 0) ? "unlimited" : this.maxRequestsPerHour) + ", maxExecutionTime="
				+ ((this.maxExecutionTime != null) ? this.maxExecutionTime : "none") + ", allowedActions="
				+ (this.allowedActions.isEmpty() ? "all" : this.allowedActions) + ", joinNestedCalls="
				+ this.joinNestedCalls + ", budgets="
				+ (this.budgets.isEmpty() ? "none" : this.budgets) + "]";
	}

	/**
	 * Builds a validated {@link ResourceQuota}. Every setter validates its argument at once and
	 * throws {@link IllegalArgumentException} naming the field and the value.
	 */
	public static final class Builder {

		private final String agentId;

		private int maxConcurrentExecutions = DEFAULT_MAX_CONCURRENT_EXECUTIONS;

		private Duration maxWait = DEFAULT_MAX_WAIT;

		private boolean fair = DEFAULT_FAIR;

		private int maxRequestsPerMinute = -1;

		private int maxRequestsPerHour = -1;

		private @Nullable Duration maxExecutionTime;

		private Set<ActionType> allowedActionTypes = EnumSet.noneOf(ActionType.class);

		/** The allowed actions that are none of the seven {@link ActionType}s, canonical. */
		private Set<String> otherAllowedActions = new LinkedHashSet<>();

		private boolean joinNestedCalls = DEFAULT_JOIN_NESTED_CALLS;
		private final List<Budget> budgets = new ArrayList<>();

		private Builder(String agentId) {
			if (agentId == null || agentId.isBlank()) {
				throw new IllegalArgumentException(
						"agentId must not be null or blank, was " + ((agentId == null) ? "null" : "'" + agentId + "'"));
			}
			this.agentId = agentId;
		}

		/**
		 * Maximum number of concurrent executions, {@code >= 0} (default 5).
		 * @param maxConcurrentExecutions the limit
		 * @return this builder
		 */
		public Builder maxConcurrentExecutions(int maxConcurrentExecutions) {
			if (maxConcurrentExecutions < 0) {
				throw new IllegalArgumentException(
						"maxConcurrentExecutions must be >= 0, was " + maxConcurrentExecutions);
			}
			this.maxConcurrentExecutions = maxConcurrentExecutions;
			return this;
		}

		/**
		 * Maximum time to wait for a slot, {@code >= 0} ({@link Duration#ZERO}, the default,
		 * means never wait).
		 * @param maxWait the maximum wait
		 * @return this builder
		 */
		public Builder maxWait(Duration maxWait) {
			if (maxWait == null) {
				throw new IllegalArgumentException("maxWait must not be null");
			}
			if (maxWait.isNegative()) {
				throw new IllegalArgumentException("maxWait must be >= 0, was " + maxWait);
			}
			this.maxWait = maxWait;
			return this;
		}

		/**
		 * Whether free slots are handed to waiters in arrival order (default {@code true}).
		 * @param fair whether the quota is fair
		 * @return this builder
		 */
		public Builder fair(boolean fair) {
			this.fair = fair;
			return this;
		}

		/**
		 * Maximum number of requests per minute, {@code >= 0}; {@code 0} denies every request.
		 * Unset means unlimited.
		 * @param maxRequestsPerMinute the limit
		 * @return this builder
		 */
		public Builder maxRequestsPerMinute(int maxRequestsPerMinute) {
			if (maxRequestsPerMinute < 0) {
				throw new IllegalArgumentException("maxRequestsPerMinute must be >= 0, was " + maxRequestsPerMinute);
			}
			this.maxRequestsPerMinute = maxRequestsPerMinute;
			return this;
		}

		/**
		 * Maximum number of requests per hour, {@code >= 0}; {@code 0} denies every request.
		 * Unset means unlimited.
		 * @param maxRequestsPerHour the limit
		 * @return this builder
		 */
		public Builder maxRequestsPerHour(int maxRequestsPerHour) {
			if (maxRequestsPerHour < 0) {
				throw new IllegalArgumentException("maxRequestsPerHour must be >= 0, was " + maxRequestsPerHour);
			}
			this.maxRequestsPerHour = maxRequestsPerHour;
			return this;
		}

		/**
		 * Maximum execution time of one call, {@code > 0}; {@code null} (the default) means none.
		 * @param maxExecutionTime the maximum execution time, or {@code null}
		 * @return this builder
		 */
		public Builder maxExecutionTime(@Nullable Duration maxExecutionTime) {
			if (maxExecutionTime != null && (maxExecutionTime.isNegative() || maxExecutionTime.isZero())) {
				throw new IllegalArgumentException("maxExecutionTime must be > 0, was " + maxExecutionTime);
			}
			this.maxExecutionTime = maxExecutionTime;
			return this;
		}

		/**
		 * The action types this agent may take, replacing the action types set before and
		 * keeping the other {@link #allowedActions(String...) allowed actions}; no action type
		 * and no other action means every action is allowed.
		 * @param actionTypes the allowed action types
		 * @return this builder
		 */
		public Builder allowedActionTypes(ActionType... actionTypes) {
			if (actionTypes == null) {
				throw new IllegalArgumentException("allowedActionTypes must not be null");
			}
			return allowedActionTypes(new java.util.HashSet<>(Arrays.asList(actionTypes)));
		}

		/**
		 * The action types this agent may take, replacing the action types set before and
		 * keeping the other {@link #allowedActions(String...) allowed actions}; no action type
		 * and no other action means every action is allowed.
		 * @param actionTypes the allowed action types
		 * @return this builder
		 */
		public Builder allowedActionTypes(Set<ActionType> actionTypes) {
			if (actionTypes == null || actionTypes.stream().anyMatch(Objects::isNull)) {
				throw new IllegalArgumentException("allowedActionTypes must not be null or contain null, was " + actionTypes);
			}
			this.allowedActionTypes = actionTypes.isEmpty() ? EnumSet.noneOf(ActionType.class) : EnumSet.copyOf(actionTypes);
			return this;
		}

		/**
		 * The actions this agent may take, by name, replacing every allowed action set before
		 * (action types included); none means every action is allowed. A name that is one of
		 * the seven {@link ActionType}s ({@code api-call}, also {@code API_CALL}) allows that
		 * type; any other name ({@code tool:search}, {@code email.send}) is matched exactly and
		 * case-sensitively, see {@link ActionNames}.
		 * @param actions the allowed action names
		 * @return this builder
		 * @throws IllegalArgumentException naming the entry ({@code allowedActions[1]}) when a
		 * name is blank, longer than {@value ActionNames#MAX_LENGTH} characters, or holds
		 * control characters; the builder is left as it was
		 */
		public Builder allowedActions(String... actions) {
			if (actions == null) {
				throw new IllegalArgumentException("allowedActions must not be null");
			}
			return allowedActions(Arrays.asList(actions));
		}

		/**
		 * The actions this agent may take, by name; see {@link #allowedActions(String...)}.
		 * @param actions the allowed action names
		 * @return this builder
		 */
		public Builder allowedActions(Collection<String> actions) {
			if (actions == null) {
				throw new IllegalArgumentException("allowedActions must not be null");
			}
			Set<ActionType> types = EnumSet.noneOf(ActionType.class);
			Set<String> others = new LinkedHashSet<>();
			int i = 0;
			for (String action : actions) {
				String canonical = ActionNames.canonical("allowedActions[" + i++ + "]", action);
				Optional<ActionType> type = ActionType.fromActionName(canonical);
				if (type.isPresent()) {
					types.add(type.get());
				}
				else {
					others.add(canonical);
				}
			}
			this.allowedActionTypes = types;
			this.otherAllowedActions = others;
			return this;
		}

		/**
		 * Whether a nested synchronous call joins the permit its thread already holds. When a
		 * method bounded by this agent calls, on the same thread, another method bounded by the
		 * same agent, the inner call is part of the execution the outer call was admitted for:
		 * with {@code true} (the default) it runs on the outer call's permit and takes neither a
		 * second permit nor a request from the rate budgets (its action type is still checked);
		 * with {@code false} it is admitted on its own, so with a limit of 1 it is refused (or
		 * waits for its own caller to finish, until its wait runs out). Enforced by callers that
		 * track the permits a thread holds, such as the {@code @BoundedExecution} interceptor;
		 * asynchronous results never join, because their work outlives the caller's permit.
		 * @param joinNestedCalls whether nested calls join the held permit
		 * @return this builder
		 */
		public Builder joinNestedCalls(boolean joinNestedCalls) {
			this.joinNestedCalls = joinNestedCalls;
			return this;
		}

		/**
		 * Replace the budgets with the given ones; none means no budgets. Two budgets of the
		 * same unit and window are refused: one of them would never matter, and which one was
		 * meant cannot be told.
		 * @param budgets the budgets
		 * @return this builder
		 */
		public Builder budgets(Budget... budgets) {
			if (budgets == null) {
				throw new IllegalArgumentException("budgets must not be null");
			}
			return budgets(Arrays.asList(budgets));
		}

		/**
		 * Replace the budgets with the given ones; an empty list means no budgets.
		 * @param budgets the budgets
		 * @return this builder
		 * @see #budgets(Budget...)
		 */
		public Builder budgets(List<Budget> budgets) {
			if (budgets == null) {
				throw new IllegalArgumentException("budgets must not be null");
			}
			List<Budget> previous = new ArrayList<>(this.budgets);
			this.budgets.clear();
			try {
				budgets.forEach(this::budget);
			}
			catch (IllegalArgumentException ex) {
				// Leave the builder as it was, so a refused list changes nothing.
				this.budgets.clear();
				this.budgets.addAll(previous);
				throw ex;
			}
			return this;
		}

		/**
		 * Add one budget.
		 * @param budget the budget; its unit and window must differ from every budget added
		 * before
		 * @return this builder
		 */
		public Builder budget(Budget budget) {
			if (budget == null) {
				throw new IllegalArgumentException("budgets must not contain null");
			}
			for (Budget existing : this.budgets) {
				if (existing.unit() == budget.unit() && existing.window().equals(budget.window())) {
					throw new IllegalArgumentException("budgets must not hold two " + budget.unit().configName()
							+ " budgets per " + budget.window() + ", was [" + existing + "] and [" + budget + "]");
				}
			}
			this.budgets.add(budget);
			return this;
		}

		/**
		 * Build the quota.
		 * @return the immutable quota
		 */
		public ResourceQuota build() {
			return new ResourceQuota(this);
		}

	}

}
