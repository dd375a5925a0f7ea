package io.agentcontrolplane.quota;

/**
 * Thrown by a {@link PermitStore} (from {@link PermitStore.AgentPermits#tryTake()}, or as the
 * failure of a {@link PermitStore.AgentPermits#take()} future) when the service that keeps the
 * permits cannot be reached and the store does not fall back to local limits. The
 * {@link PolicyEngine} turns it into a {@link QuotaExceededException} with reason
 * {@link RejectionReason#STORE_UNAVAILABLE}: nothing was taken.
 */
public class PermitStoreUnavailableException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	/**
	 * Create a new instance.
	 * @param message what is unreachable and what happens meanwhile
	 * @param cause the failure that showed the store unreachable, if any
	 */
	public PermitStoreUnavailableException(String message, Throwable cause) {
		super(message, cause);
	}

	/**
	 * Create a new instance.
	 * @param message what is unreachable and what happens meanwhile
	 */
	public PermitStoreUnavailableException(String message) {
		super(message);
	}

}
