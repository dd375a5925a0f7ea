package io.agentcontrolplane.quota;

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
	 * Returns the slot to the agent's quota. Idempotent and thread-safe.
	 */
	@Override
	void close();

}
