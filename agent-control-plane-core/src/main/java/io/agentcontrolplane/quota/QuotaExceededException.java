package io.agentcontrolplane.quota;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.RejectedExecutionException;

import org.jspecify.annotations.Nullable;

/**
 * Thrown when a call is refused by an agent's quota. Nothing was consumed by the refused call.
 */
public class QuotaExceededException extends RejectedExecutionException {

	private static final long serialVersionUID = 1L;

	private final String agentId;

	private final RejectionReason reason;

	private final @Nullable Duration retryAfter;

	/**
	 * Create a new instance.
	 * @param agentId the agent whose quota refused the call
	 * @param reason why the call was refused
	 * @param message the message, which names the agent, the reason and the limit
	 * @param retryAfter when a retry may succeed, if known (rate limits)
	 */
	public QuotaExceededException(String agentId, RejectionReason reason, String message,
			@Nullable Duration retryAfter) {
		super(message);
		this.agentId = Objects.requireNonNull(agentId, "agentId");
		this.reason = Objects.requireNonNull(reason, "reason");
		this.retryAfter = retryAfter;
	}

	/**
	 * The agent whose quota refused the call.
	 * @return the agent id
	 */
	public String agentId() {
		return this.agentId;
	}

	/**
	 * Why the call was refused.
	 * @return the reason
	 */
	public RejectionReason reason() {
		return this.reason;
	}

	/**
	 * How long until a retry may succeed, when known (for rate limits).
	 * @return the retry delay, or empty
	 */
	public Optional<Duration> retryAfter() {
		return Optional.ofNullable(this.retryAfter);
	}

}
