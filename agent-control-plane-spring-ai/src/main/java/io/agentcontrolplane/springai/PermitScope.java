package io.agentcontrolplane.springai;

/**
 * What one permit of the agent's quota covers.
 */
public enum PermitScope {

	/**
	 * Each request to the model: a {@code ChatClient} call that makes one tool round trip takes
	 * two permits, one after the other, and the request budget counts two requests. The permit
	 * is not held while tools run.
	 */
	MODEL_REQUEST,

	/**
	 * A whole {@code ChatClient} call, including every tool round trip: one permit, held from
	 * the first model request until the last response (for a stream, until the {@code Flux}
	 * completes, fails or is cancelled), and one request from the request budget.
	 */
	CHAT_CLIENT_CALL

}
