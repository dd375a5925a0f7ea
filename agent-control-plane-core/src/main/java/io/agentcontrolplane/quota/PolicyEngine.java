package io.agentcontrolplane.quota;

import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.jspecify.annotations.Nullable;

/**
 * Enforces per-agent {@link ResourceQuota quotas}. Thread-safe; every operation on one agent is
 * independent of every other agent.
 *
 * <p>API CONTRACT STUB: the signatures are final, the bodies are being implemented.
 */
public final class PolicyEngine {

	/**
	 * An engine with {@link UnknownAgentPolicy#ALLOW} and the system clock.
	 */
	public PolicyEngine() {
		this(builder());
	}

	private PolicyEngine(Builder builder) {
	}

	/**
	 * Start building an engine.
	 * @return a builder
	 */
	public static Builder builder() {
		return new Builder();
	}

	/**
	 * Add or replace the quota of an agent, live. In-flight executions keep counting against
	 * the new limit; no permit is lost or invented.
	 * @param agentId the agent
	 * @param quota its quota, whose {@code agentId()} must equal {@code agentId}
	 */
	public void setQuota(String agentId, ResourceQuota quota) {
		throw new UnsupportedOperationException("not implemented yet");
	}

	/**
	 * The quota of an agent, if it has one.
	 * @param agentId the agent
	 * @return its quota
	 */
	public Optional<ResourceQuota> getQuota(String agentId) {
		throw new UnsupportedOperationException("not implemented yet");
	}

	/**
	 * Remove an agent's quota.
	 * @param agentId the agent
	 */
	public void removeQuota(String agentId) {
		throw new UnsupportedOperationException("not implemented yet");
	}

	/**
	 * Take an execution slot if one is free. Never blocks, never waits.
	 * @param agentId the agent
	 * @return whether a slot was taken
	 */
	public boolean tryAcquireExecutionSlot(String agentId) {
		throw new UnsupportedOperationException("not implemented yet");
	}

	/**
	 * Return a slot taken with {@link #tryAcquireExecutionSlot(String)}.
	 * @param agentId the agent
	 * @throws IllegalStateException when no slot is held (nothing changes)
	 */
	public void releaseExecutionSlot(String agentId) {
		throw new UnsupportedOperationException("not implemented yet");
	}

	/**
	 * Take a permit if one is free. Never blocks, never waits.
	 * @param agentId the agent
	 * @return the permit, or empty
	 */
	public Optional<Permit> tryAcquire(String agentId) {
		throw new UnsupportedOperationException("not implemented yet");
	}

	/**
	 * Take a permit, waiting up to the quota's {@code maxWait}.
	 * @param agentId the agent
	 * @return the permit
	 * @throws QuotaExceededException when none was free in time
	 */
	public Permit acquire(String agentId) {
		throw new UnsupportedOperationException("not implemented yet");
	}

	/**
	 * Take a permit without blocking a thread, waiting up to the quota's {@code maxWait}.
	 * @param agentId the agent
	 * @return a future of the permit
	 */
	public CompletableFuture<Permit> acquireAsync(String agentId) {
		throw new UnsupportedOperationException("not implemented yet");
	}

	/**
	 * The full admission check for one call, as {@code @BoundedExecution} makes it: action
	 * allowed, then a concurrency permit (waiting up to {@code maxWait}), then one request from
	 * the rate budgets. A refused call consumes nothing.
	 * @param agentId the agent
	 * @param action the action type, or {@code null} for no action check
	 * @param maxWait the maximum wait, or {@code null} for the quota's own
	 * @return the permit
	 * @throws QuotaExceededException when refused, with the reason
	 */
	public Permit admit(String agentId, @Nullable ActionType action, @Nullable Duration maxWait) {
		throw new UnsupportedOperationException("not implemented yet");
	}

	/**
	 * The asynchronous form of {@link #admit(String, ActionType, Duration)}: no thread is
	 * blocked while waiting; the future fails with {@link QuotaExceededException} when refused.
	 * @param agentId the agent
	 * @param action the action type, or {@code null} for no action check
	 * @param maxWait the maximum wait, or {@code null} for the quota's own
	 * @return a future of the permit
	 */
	public CompletableFuture<Permit> admitAsync(String agentId, @Nullable ActionType action,
			@Nullable Duration maxWait) {
		throw new UnsupportedOperationException("not implemented yet");
	}

	/**
	 * Consume one request from the agent's per-minute and per-hour budgets.
	 * @param agentId the agent
	 * @return {@code true} when allowed (one request consumed), {@code false} otherwise (nothing
	 * consumed)
	 */
	public boolean checkRateLimit(String agentId) {
		throw new UnsupportedOperationException("not implemented yet");
	}

	/**
	 * Check the action type, then consume one request from the agent's budgets.
	 * @param agentId the agent
	 * @param action the action type
	 * @return {@code true} when allowed (one request consumed), {@code false} otherwise (nothing
	 * consumed)
	 */
	public boolean checkRateLimit(String agentId, ActionType action) {
		throw new UnsupportedOperationException("not implemented yet");
	}

	/**
	 * A snapshot of one agent.
	 * @param agentId the agent
	 * @return its snapshot, empty when the agent is unknown
	 */
	public Optional<QuotaSnapshot> snapshot(String agentId) {
		throw new UnsupportedOperationException("not implemented yet");
	}

	/**
	 * Snapshots of every known agent, by agent id, in id order.
	 * @return the snapshots
	 */
	public Map<String, QuotaSnapshot> snapshots() {
		throw new UnsupportedOperationException("not implemented yet");
	}

	/**
	 * Register a listener.
	 * @param listener the listener
	 */
	public void addListener(QuotaListener listener) {
		throw new UnsupportedOperationException("not implemented yet");
	}

	/**
	 * Unregister a listener.
	 * @param listener the listener
	 */
	public void removeListener(QuotaListener listener) {
		throw new UnsupportedOperationException("not implemented yet");
	}

	/**
	 * The policy for agents without a quota.
	 * @return the policy
	 */
	public UnknownAgentPolicy unknownAgentPolicy() {
		throw new UnsupportedOperationException("not implemented yet");
	}

	/**
	 * The template for dynamic quotas, if any.
	 * @return the default quota
	 */
	public Optional<ResourceQuota> defaultQuota() {
		throw new UnsupportedOperationException("not implemented yet");
	}

	/**
	 * Builds a {@link PolicyEngine}.
	 */
	public static final class Builder {

		private Builder() {
		}

		/**
		 * The policy for agents without a quota (default {@link UnknownAgentPolicy#ALLOW}).
		 * @param policy the policy
		 * @return this builder
		 */
		public Builder unknownAgentPolicy(UnknownAgentPolicy policy) {
			return this;
		}

		/**
		 * The template for {@link UnknownAgentPolicy#DEFAULT_QUOTA}; its agent id is ignored.
		 * @param quota the template
		 * @return this builder
		 */
		public Builder defaultQuota(ResourceQuota quota) {
			return this;
		}

		/**
		 * How long a dynamic agent may stay idle (nothing in flight, nobody waiting) before it is
		 * evicted (default 10 minutes).
		 * @param idleTimeout the idle time-out, {@code > 0}
		 * @return this builder
		 */
		public Builder dynamicAgentIdleTimeout(Duration idleTimeout) {
			return this;
		}

		/**
		 * The maximum number of dynamic agents kept at once (default 10,000); beyond it the
		 * longest-idle dynamic agents are evicted first.
		 * @param maxDynamicAgents the maximum, {@code > 0}
		 * @return this builder
		 */
		public Builder maxDynamicAgents(int maxDynamicAgents) {
			return this;
		}

		/**
		 * The time source for rate budgets and permit ages (default the system UTC clock).
		 * Waiting uses the JVM's monotonic timer.
		 * @param clock the clock
		 * @return this builder
		 */
		public Builder clock(Clock clock) {
			return this;
		}

		/**
		 * Build the engine.
		 * @return the engine
		 */
		public PolicyEngine build() {
			return new PolicyEngine(this);
		}

	}

}
