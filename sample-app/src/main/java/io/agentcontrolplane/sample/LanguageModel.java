package io.agentcontrolplane.sample;

/**
 * A model that agents call to think. The sample simulates one; a real application would call a
 * model API here.
 */
public interface LanguageModel {

	/**
	 * Complete a prompt.
	 * @param agent the agent asking
	 * @param prompt the prompt
	 * @return the completion
	 */
	String complete(String agent, String prompt);

}
