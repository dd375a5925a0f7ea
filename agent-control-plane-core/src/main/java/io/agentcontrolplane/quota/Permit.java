package io.agentcontrolplane.quota;

import java.util.Optional;

/**
 * One execution slot held for an agent. Closing it returns the slot; closing it again, or from
 * several threads at once, returns it exactly once.
 */
public interface Permit extends AutoCloseable {

	/**
	 * The agent this permit was taken for.
	 * @return the agent id
	 */
	String agentId();

	/**
	 * The quota this permit was granted under, so that limits that apply while it is held (such
	 * as {@link ResourceQuota#maxExecutionTime()}) are the ones in force at the grant, whatever
	 * changed since.
	 * @return the quota, or empty for an agent without one (an unknown agent under
	 * {@link UnknownAgentPolicy#ALLOW})
	 */
	default Optional<ResourceQuota> quota() {
		return Optional.empty();
	}

	/**
	 * Returns the slot to the agent's quota. Idempotent and thread-safe.
	 */
	@Override
	void close();

}
