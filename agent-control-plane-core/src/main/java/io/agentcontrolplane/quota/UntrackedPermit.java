package io.agentcontrolplane.quota;

/**
 * A permit for an agent without a quota under {@link UnknownAgentPolicy#ALLOW}: nothing is
 * counted, so closing it does nothing.
 */
record UntrackedPermit(String agentId) implements Permit {

	@Override
	public void close() {
	}

}
