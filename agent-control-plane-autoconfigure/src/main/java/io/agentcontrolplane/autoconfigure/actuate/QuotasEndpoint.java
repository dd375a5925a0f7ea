package io.agentcontrolplane.autoconfigure.actuate;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import io.agentcontrolplane.quota.ActionNames;
import io.agentcontrolplane.quota.Budget;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaSnapshot;
import io.agentcontrolplane.quota.ResourceQuota;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.Access;
import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.annotation.Endpoint;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;

/**
 * {@link Endpoint @Endpoint} that shows the quota and the live use of every agent known to a
 * {@link PolicyEngine}, and resizes an agent's quota while the application runs.
 *
 * <p>Access is read-only unless {@code management.endpoint.quotas.access=unrestricted}. A write
 * changes only the limits it names; the others keep their values. A write to an agent that has
 * no quota changes nothing (quotas are created in configuration, so that a typo in an agent id
 * cannot create a new unlimited agent): over HTTP it answers {@code 404}.
 */
@Endpoint(id = "quotas", defaultAccess = Access.READ_ONLY)
public class QuotasEndpoint {

	private final PolicyEngine engine;

	/**
	 * Create an endpoint for the given engine.
	 * @param engine the quota engine to show and change
	 */
	public QuotasEndpoint(PolicyEngine engine) {
		this.engine = engine;
	}

	/**
	 * Snapshots of every known agent.
	 * @return the snapshots, by agent id
	 */
	@ReadOperation
	public QuotasDescriptor quotas() {
		return new QuotasDescriptor(this.engine.snapshots());
	}

	/**
	 * The snapshot of one agent.
	 * @param agent the agent id
	 * @return its snapshot, or {@code null} when the agent is unknown
	 */
	@ReadOperation
	public @Nullable QuotaSnapshot quota(@Selector String agent) {
		return this.engine.snapshot(agent).orElse(null);
	}

	/**
	 * Change the limits of an agent, live. Only the given limits change. Every value is validated
	 * before anything is changed, so a bad request never leaves a partial change behind.
	 * Executions in flight keep counting against the new limit.
	 * @param agent the agent id
	 * @param maxConcurrentExecutions the new concurrency limit ({@code >= 0}), or {@code null}
	 * to keep it
	 * @param maxWait the new maximum wait for a slot ({@code >= 0}, for example {@code "2s"} or
	 * {@code "PT2S"}), or {@code null} to keep it
	 * @param maxRequestsPerMinute the new per-minute budget ({@code >= 0}), or {@code null} to
	 * keep it
	 * @param maxRequestsPerHour the new per-hour budget ({@code >= 0}), or {@code null} to keep
	 * it
	 * @param maxExecutionTime the new maximum execution time ({@code > 0}), or {@code null} to
	 * keep it
	 * @param fair whether free slots go to waiters in arrival order, or {@code null} to keep it
	 * @return the agent's snapshot after the change, or {@code null} when the agent is unknown
	 * (nothing changed)
	 * @throws InvalidEndpointRequestException when no limit is given or a value is invalid
	 */
	public @Nullable QuotaSnapshot updateQuota(@Selector String agent, @Nullable Integer maxConcurrentExecutions,
			@Nullable Duration maxWait, @Nullable Integer maxRequestsPerMinute, @Nullable Integer maxRequestsPerHour,
			@Nullable Duration maxExecutionTime, @Nullable Boolean fair) {
		return updateQuota(agent, maxConcurrentExecutions, maxWait, maxRequestsPerMinute, maxRequestsPerHour,
				maxExecutionTime, fair, null);
	}

	/**
	 * Change the limits of an agent, live, budgets included; see
	 * {@link #updateQuota(String, Integer, Duration, Integer, Integer, Duration, Boolean)}.
	 * Given budgets replace the agent's whole list of budgets (an empty list removes them);
	 * a budget with the unit and window of one before keeps what that one spent, so a change
	 * never refills a budget.
	 * @param agent the agent id
	 * @param maxConcurrentExecutions the new concurrency limit, or {@code null} to keep it
	 * @param maxWait the new maximum wait, or {@code null} to keep it
	 * @param maxRequestsPerMinute the new per-minute budget, or {@code null} to keep it
	 * @param maxRequestsPerHour the new per-hour budget, or {@code null} to keep it
	 * @param maxExecutionTime the new maximum execution time, or {@code null} to keep it
	 * @param fair the new fairness, or {@code null} to keep it
	 * @param budgets the new budgets, or {@code null} to keep them
	 * @return the agent's snapshot after the change, or {@code null} when the agent is unknown
	 * (nothing changed)
	 * @throws InvalidEndpointRequestException when nothing is given or a value is invalid
	 */
	public @Nullable QuotaSnapshot updateQuota(@Selector String agent, @Nullable Integer maxConcurrentExecutions,
			@Nullable Duration maxWait, @Nullable Integer maxRequestsPerMinute, @Nullable Integer maxRequestsPerHour,
			@Nullable Duration maxExecutionTime, @Nullable Boolean fair, @Nullable List<Budget> budgets) {
		return updateQuota(agent, maxConcurrentExecutions, maxWait, maxRequestsPerMinute, maxRequestsPerHour,
				maxExecutionTime, fair, budgets, null);
	}

	/**
	 * Change the limits of an agent, live, budgets and allowed actions included; see
	 * {@link #updateQuota(String, Integer, Duration, Integer, Integer, Duration, Boolean, List)}.
	 * Given allowed actions replace the agent's whole set (action types included; an empty list
	 * allows every action), each checked as {@link ActionNames} says.
	 * @param agent the agent id
	 * @param maxConcurrentExecutions the new concurrency limit, or {@code null} to keep it
	 * @param maxWait the new maximum wait, or {@code null} to keep it
	 * @param maxRequestsPerMinute the new per-minute budget, or {@code null} to keep it
	 * @param maxRequestsPerHour the new per-hour budget, or {@code null} to keep it
	 * @param maxExecutionTime the new maximum execution time, or {@code null} to keep it
	 * @param fair the new fairness, or {@code null} to keep it
	 * @param budgets the new budgets, or {@code null} to keep them
	 * @param allowedActions the new allowed actions by name (such as {@code api-call} or
	 * {@code tool:search}), or {@code null} to keep them
	 * @return the agent's snapshot after the change, or {@code null} when the agent is unknown
	 * (nothing changed)
	 * @throws InvalidEndpointRequestException when nothing is given or a value is invalid
	 */
	@WriteOperation
	public @Nullable QuotaSnapshot updateQuota(@Selector String agent, @Nullable Integer maxConcurrentExecutions,
			@Nullable Duration maxWait, @Nullable Integer maxRequestsPerMinute, @Nullable Integer maxRequestsPerHour,
			@Nullable Duration maxExecutionTime, @Nullable Boolean fair, @Nullable List<Budget> budgets,
			@Nullable List<String> allowedActions) {
		if (maxConcurrentExecutions == null && maxWait == null && maxRequestsPerMinute == null
				&& maxRequestsPerHour == null && maxExecutionTime == null && fair == null && budgets == null
				&& allowedActions == null) {
			throw new InvalidEndpointRequestException("No limit to change for agent '" + agent + "'",
					"Give at least one of maxConcurrentExecutions, maxWait, maxRequestsPerMinute, "
							+ "maxRequestsPerHour, maxExecutionTime, fair, budgets, allowedActions");
		}
		// Atomic against removeQuota: a POST racing a removal never brings the agent back.
		Optional<ResourceQuota> updated;
		try {
			updated = this.engine.updateQuota(agent, (current) -> build(current, maxConcurrentExecutions, maxWait,
					maxRequestsPerMinute, maxRequestsPerHour, maxExecutionTime, fair, budgets, allowedActions));
		}
		catch (IllegalArgumentException ex) {
			// The engine refuses a cost budget without pricing; nothing changed.
			throw new InvalidEndpointRequestException("Invalid quota for agent '" + agent + "': " + ex.getMessage(),
					ex.getMessage());
		}
		return updated.isPresent() ? this.engine.snapshot(agent).orElse(null) : null;
	}

	private ResourceQuota build(ResourceQuota current, @Nullable Integer maxConcurrentExecutions,
			@Nullable Duration maxWait, @Nullable Integer maxRequestsPerMinute, @Nullable Integer maxRequestsPerHour,
			@Nullable Duration maxExecutionTime, @Nullable Boolean fair, @Nullable List<Budget> budgets,
			@Nullable List<String> allowedActions) {
		// The builder validates every value; building the whole quota before setQuota keeps a bad
		// request from changing anything.
		try {
			ResourceQuota.Builder builder = current.toBuilder();
			if (maxConcurrentExecutions != null) {
				builder.maxConcurrentExecutions(maxConcurrentExecutions);
			}
			if (maxWait != null) {
				builder.maxWait(maxWait);
			}
			if (maxRequestsPerMinute != null) {
				builder.maxRequestsPerMinute(maxRequestsPerMinute);
			}
			if (maxRequestsPerHour != null) {
				builder.maxRequestsPerHour(maxRequestsPerHour);
			}
			if (maxExecutionTime != null) {
				builder.maxExecutionTime(maxExecutionTime);
			}
			if (fair != null) {
				builder.fair(fair);
			}
			if (budgets != null) {
				builder.budgets(budgets);
			}
			if (allowedActions != null) {
				builder.allowedActions(allowedActions);
			}
			return builder.build();
		}
		catch (IllegalArgumentException ex) {
			throw new InvalidEndpointRequestException(
					"Invalid quota for agent '" + current.agentId() + "': " + ex.getMessage(), ex.getMessage());
		}
	}

	/**
	 * Description of every agent's quota and use.
	 *
	 * @param agents the snapshots, by agent id
	 */
	public record QuotasDescriptor(Map<String, QuotaSnapshot> agents) implements OperationResponseBody {

	}

}
