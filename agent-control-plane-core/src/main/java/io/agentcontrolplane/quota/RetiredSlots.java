package io.agentcontrolplane.quota;

import java.util.Arrays;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Removed agent states whose execution slots are still out, by agent id. Slots are given back
 * by agent id alone, so a release must first go to a removed state that still counts one:
 * released into a quota set later for the same id, it would free that quota's slot and let a
 * second caller run under its limit. An entry lives only while its slots are out.
 */
final class RetiredSlots {

	private final ConcurrentHashMap<String, AgentState[]> retired = new ConcurrentHashMap<>();

	/**
	 * Keep a state being removed, before it leaves the registry: a slot release arriving
	 * meanwhile finds it here or still in the registry, never nowhere.
	 */
	void retire(String agentId, AgentState state) {
		this.retired.merge(agentId, new AgentState[] { state }, RetiredSlots::concat);
	}

	/**
	 * Forget a removed state at once when none of its slots is out (its permits are closed, so
	 * none can be taken any more).
	 */
	void forgetUnlessSlotsOut(String agentId, AgentState state) {
		if (!state.holdsSlots()) {
			forget(agentId, state);
		}
	}

	/**
	 * Give a slot back to a removed state of the agent that still counts one.
	 * @return whether one took it
	 */
	boolean release(String agentId) {
		if (this.retired.isEmpty()) {
			return false;
		}
		AgentState[] states = this.retired.get(agentId);
		if (states == null) {
			return false;
		}
		for (AgentState state : states) {
			if (state.releaseSlot()) {
				forgetUnlessSlotsOut(agentId, state);
				return true;
			}
		}
		return false;
	}

	private void forget(String agentId, AgentState state) {
		this.retired.computeIfPresent(agentId, (id, states) -> {
			AgentState[] kept = Arrays.stream(states).filter((each) -> each != state).toArray(AgentState[]::new);
			return (kept.length == 0) ? null : kept;
		});
	}

	private static AgentState[] concat(AgentState[] first, AgentState[] second) {
		AgentState[] both = Arrays.copyOf(first, first.length + second.length);
		System.arraycopy(second, 0, both, first.length, second.length);
		return both;
	}

}
