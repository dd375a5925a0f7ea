package io.agentcontrolplane.redis;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicBoolean;

import io.agentcontrolplane.quota.PermitStoreUnavailableException;
import org.jspecify.annotations.Nullable;

/**
 * Whether one agent's keys answer, on this instance: a failure on them switches this agent
 * (only) to the store's unavailable mode, and a probe of its keys every probe interval brings
 * it back. The probe is the {@link MaintenanceScript} itself, so the answer that ends the
 * unavailable mode has also restored the agent's total (a Redis restarted empty, or a promoted
 * replica that missed writes, may have lost it).
 */
final class AgentAvailability {

	private final RedisPermitStore store;

	private final RedisAgentPermits agent;

	/**
	 * Whether the agent's keys answered at the last call; false: the unavailable mode. Switched
	 * by compare-and-set only, so that two failures at once count the agent once.
	 */
	private final AtomicBoolean available = new AtomicBoolean(true);

	private volatile @Nullable Throwable lastFailure;

	private final AtomicBoolean probing = new AtomicBoolean();

	AgentAvailability(RedisPermitStore store, RedisAgentPermits agent) {
		this.store = store;
		this.agent = agent;
	}

	boolean isAvailable() {
		return this.available.get();
	}

	/**
	 * Record that the agent's keys did not answer, and probe them until they do.
	 * @return whether this call switched the agent to the unavailable mode
	 */
	boolean lost(@Nullable Throwable cause) {
		this.lastFailure = cause;
		boolean switched = this.available.compareAndSet(true, false);
		if (switched) {
			this.store.agentLost(this.agent, cause);
		}
		if (this.probing.compareAndSet(false, true)) {
			if (!this.store.schedule(this::probe, this.store.probeIntervalMillis())) {
				this.probing.set(false);
			}
		}
		return switched;
	}

	private void probe() {
		if (this.agent.isClosed() || this.store.isClosed()) {
			this.probing.set(false);
			return;
		}
		CompletableFuture<List<Object>> answer;
		try {
			answer = this.store.bounded(
					this.store.maintain(this.agent, this.agent.maintenanceArguments(this.agent.heldPermitIds())));
		}
		catch (RuntimeException ex) {
			answer = CompletableFuture.failedFuture(ex);
		}
		answer.whenCompleteAsync((result, ex) -> {
			if (ex != null) {
				this.lastFailure = RedisPermitStore.unwrap(ex);
				if (!this.store.schedule(this::probe, this.store.probeIntervalMillis())) {
					this.probing.set(false);
				}
				return;
			}
			this.agent.applyMaintenance(result);
			this.probing.set(false);
			if (this.available.compareAndSet(false, true)) {
				this.store.agentBack(this.agent);
			}
		}, this.store.callbacks());
	}

	/**
	 * The refusal of a call while the agent is unavailable and the store fails closed.
	 */
	PermitStoreUnavailableException unavailable() {
		Throwable cause = this.lastFailure;
		String message = "Redis is unreachable for this agent's keys ("
				+ ((cause != null) ? RedisPermitStore.describe(cause) : "no answer")
				+ "); the permit store fails closed (agent-control-plane.redis.on-unavailable=fail-closed) "
				+ "until Redis answers again";
		return (cause != null) ? new PermitStoreUnavailableException(message, cause)
				: new PermitStoreUnavailableException(message);
	}

}
