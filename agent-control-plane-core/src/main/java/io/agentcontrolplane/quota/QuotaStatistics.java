package io.agentcontrolplane.quota;

/**
 * A live, read-only view of one agent's counters in a {@link PolicyEngine}, as returned by
 * {@link PolicyEngine#statistics(String)}: every method reads the engine's state at the time of
 * the call and allocates nothing, so that a metrics library can poll it (Micrometer's
 * {@code FunctionCounter}, {@code FunctionTimer} and {@code Gauge}) instead of being told of every
 * call.
 *
 * <p>The view belongs to one incarnation of the agent: when the agent is removed or evicted, the
 * view keeps answering what that incarnation counted, and an agent created later under the same
 * id has a view of its own (compare with {@code ==} to notice). Totals count from when the agent
 * became known. Each method reads its counter on its own, so two totals read one after the other
 * may disagree by the calls made in between; {@link #acquired()} may also step back by a grant
 * that is being revoked at the moment it is read (a permit taken and given back because the rate
 * budget refused the call).
 */
public final class QuotaStatistics {

	private final AgentState state;

	QuotaStatistics(AgentState state) {
		this.state = state;
	}

	/**
	 * The agent.
	 * @return the agent id
	 */
	public String agentId() {
		return this.state.agentId();
	}

	/**
	 * The concurrency limit in force.
	 * @return the limit
	 */
	public int maxConcurrentExecutions() {
		return this.state.permits().limit();
	}

	/**
	 * Executions holding a permit or slot now.
	 * @return the number in flight
	 */
	public int inFlight() {
		return this.state.permits().inFlight();
	}

	/**
	 * Permits free now ({@code max(0, limit - inFlight)}).
	 * @return the number available
	 */
	public int available() {
		return available(maxConcurrentExecutions(), inFlight());
	}

	/**
	 * Permits free under a limit with some in flight: never negative, since in-flight may stay
	 * above a limit that was lowered.
	 * @param limit the limit
	 * @param inFlight the executions in flight
	 * @return the permits free
	 */
	static int available(int limit, int inFlight) {
		return Math.max(0, limit - inFlight);
	}

	/**
	 * Callers waiting for a permit now.
	 * @return the number waiting
	 */
	public int waiting() {
		return this.state.permits().waiting();
	}

	/**
	 * Permits and slots granted so far, as {@link QuotaSnapshot#acquired()}.
	 * @return the total
	 */
	public long acquired() {
		return this.state.permits().acquired();
	}

	/**
	 * Calls refused so far, for every reason.
	 * @return the total
	 */
	public long rejected() {
		long total = 0;
		for (RejectionReason reason : RejectionReason.values()) {
			total += this.state.rejected(reason);
		}
		return total;
	}

	/**
	 * Calls refused so far for one reason.
	 * @param reason the reason
	 * @return the total
	 */
	public long rejected(RejectionReason reason) {
		return this.state.rejected(reason);
	}

	/**
	 * The time the granted calls waited for their permit, in total: the sum of the
	 * {@code waitNanos} that {@link QuotaListener#onAcquired} reports.
	 * @return the total wait, in nanoseconds
	 */
	public long acquiredWaitNanos() {
		return this.state.acquiredWaitNanos();
	}

	/**
	 * The time the refused calls waited before they were refused, in total: the sum of the
	 * {@code waitNanos} that {@link QuotaListener#onRejected} reports.
	 * @return the total wait, in nanoseconds
	 */
	public long rejectedWaitNanos() {
		return this.state.rejectedWaitNanos();
	}

	/**
	 * The permits released with a known hold time. The engine measures hold times only when
	 * built with {@link PolicyEngine.Builder#measureHoldTimes(boolean)} (a timer read at grant and
	 * at release): a permit granted otherwise, and a slot released by agent id, are not counted
	 * here.
	 * @return the number of timed releases
	 */
	public long timedReleases() {
		return this.state.timedReleases();
	}

	/**
	 * The time the {@link #timedReleases() timed releases} held their permits, in total: the sum
	 * of the {@code heldNanos} that {@link QuotaListener#onReleased} reports.
	 * @return the total hold time, in nanoseconds
	 */
	public long heldNanos() {
		return this.state.heldNanos();
	}

	@Override
	public String toString() {
		return "QuotaStatistics[agentId=" + this.state.agentId() + "]";
	}

}
