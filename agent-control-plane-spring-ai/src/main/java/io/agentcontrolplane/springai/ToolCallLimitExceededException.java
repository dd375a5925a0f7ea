package io.agentcontrolplane.springai;

import java.time.Duration;

import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.RejectionReason;
import org.jspecify.annotations.Nullable;

/**
 * A {@code ChatClient} call asked for more tool calls than
 * {@link ToolGovernance.Builder#maxToolCallsPerCall(int) allowed}: a runaway tool loop was
 * stopped. Reported as a {@link RejectionReason#RATE_LIMIT} refusal with no retry delay.
 */
public class ToolCallLimitExceededException extends QuotaExceededException {

	private static final long serialVersionUID = 1L;

	private final int limit;

	/**
	 * Create a new instance.
	 * @param agentId the agent
	 * @param toolName the tool whose call went over the limit
	 * @param limit the maximum number of tool calls per {@code ChatClient} call
	 */
	public ToolCallLimitExceededException(String agentId, String toolName, int limit) {
		super(agentId, RejectionReason.RATE_LIMIT, "Agent '" + agentId + "' reached its limit of " + limit
				+ " tool calls in one ChatClient call; tool '" + toolName + "' was not run", (@Nullable Duration) null);
		this.limit = limit;
	}

	/**
	 * The maximum number of tool calls per {@code ChatClient} call.
	 * @return the limit
	 */
	public int limit() {
		return this.limit;
	}

}
