package io.agentcontrolplane.quota;

/**
 * An agent id the engine refuses to look up: blank, or longer than the engine's maximum
 * ({@link PolicyEngine.Builder#maxAgentIdLength(int)}). Agent ids often come from requests (a
 * tenant id in a SpEL template), so this is bad input from a caller rather than a bug: the web
 * layer answers it with {@code 400 Bad Request}. The message names the limit and quotes at most
 * the first 32 characters of the id, so a huge id never reaches logs or responses whole.
 */
public class InvalidAgentIdException extends IllegalArgumentException {

	private static final long serialVersionUID = 1L;

	/**
	 * Create the exception.
	 * @param message what is wrong with the id and what is allowed
	 */
	public InvalidAgentIdException(String message) {
		super(message);
	}

}
