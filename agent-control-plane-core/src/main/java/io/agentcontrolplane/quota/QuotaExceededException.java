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

	/** Transient: a budget is not serializable, and a deserialized refusal still has its message. */
	private final transient @Nullable Budget budget;

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
		this.budget = null;
	}

	/**
	 * Create a new instance for a refusal by one of the agent's budgets.
	 * @param agentId the agent whose quota refused the call
	 * @param reason why the call was refused, normally {@link RejectionReason#BUDGET_EXHAUSTED}
	 * @param message the message, which names the agent, the budget's unit and window, and the
	 * limit
	 * @param retryAfter when the budget will cover the call, if it ever can
	 * @param budget the budget that refused the call
	 */
	public QuotaExceededException(String agentId, RejectionReason reason, String message,
			@Nullable Duration retryAfter, Budget budget) {
		super(message);
		this.agentId = Objects.requireNonNull(agentId, "agentId");
		this.reason = Objects.requireNonNull(reason, "reason");
		this.retryAfter = retryAfter;
		this.budget = Objects.requireNonNull(budget, "budget");
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
	 * How long until a retry may succeed, when known (for rate limits and budgets).
	 * @return the retry delay, or empty
	 */
	public Optional<Duration> retryAfter() {
		return Optional.ofNullable(this.retryAfter);
	}

	/**
	 * The budget that refused the call, for {@link RejectionReason#BUDGET_EXHAUSTED}.
	 * @return the budget, or empty for every other reason
	 */
	public Optional<Budget> budget() {
		return Optional.ofNullable(this.budget);
	}

}
