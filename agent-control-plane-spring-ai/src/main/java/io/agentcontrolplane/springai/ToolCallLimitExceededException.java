package io.agentcontrolplane.springai;

import java.time.Duration;

import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.RejectionReason;
import org.jspecify.annotations.Nullable;

/**
 * A {@code ChatClient} call asked for more tool calls than
 * {@link ToolGovernance.Builder#maxToolCallsPerCall(int) allowed}: a runaway tool loop was
 * stopped. Reported as a {@link RejectionReason#RATE_LIMIT} refusal with no retry delay.
 *
 * <p>Under {@link ToolRefusalMode#TELL_MODEL} the first call over the limit is told to the
 * model; a model that calls a tool again after that would loop for ever, so every later call
 * throws, whatever the refusal mode.
 */
public class ToolCallLimitExceededException extends QuotaExceededException {

	private static final long serialVersionUID = 1L;

	private final int limit;

	private final int attempt;

	/**
	 * Create a new instance.
	 * @param agentId the agent
	 * @param toolName the tool whose call went over the limit
	 * @param limit the maximum number of tool calls per {@code ChatClient} call
	 * @param attempt the number of the refused call in its {@code ChatClient} call, from 1
	 */
	public ToolCallLimitExceededException(String agentId, String toolName, int limit, int attempt) {
		super(agentId, RejectionReason.RATE_LIMIT, "Agent '" + agentId + "' reached its limit of " + limit
				+ " tool calls in one ChatClient call; tool '" + toolName + "' (call " + attempt + ") was not run",
				(@Nullable Duration) null);
		this.limit = limit;
		this.attempt = attempt;
	}

	/**
	 * The number of the refused call in its {@code ChatClient} call, counting from 1.
	 * @return the attempt, greater than {@link #limit()}
	 */
	public int attempt() {
		return this.attempt;
	}

	/**
	 * The maximum number of tool calls per {@code ChatClient} call.
	 * @return the limit
	 */
	public int limit() {
		return this.limit;
	}

}
