package io.agentcontrolplane.autoconfigure.actuate;

import java.time.Duration;

import io.agentcontrolplane.quota.QuotaSnapshot;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.EndpointWebExtension;

/**
 * {@link EndpointWebExtension @EndpointWebExtension} for the {@link QuotasEndpoint}: a write to
 * an unknown agent answers {@code 404} (a write operation returning {@code null} would answer
 * {@code 204}, as if something had changed).
 */
@EndpointWebExtension(endpoint = QuotasEndpoint.class)
public class QuotasEndpointWebExtension {

	private final QuotasEndpoint delegate;

	/**
	 * Create a web extension for the given endpoint.
	 * @param delegate the endpoint
	 */
	public QuotasEndpointWebExtension(QuotasEndpoint delegate) {
		this.delegate = delegate;
	}

	/**
	 * Change the limits of an agent, live; see
	 * {@link QuotasEndpoint#updateQuota(String, Integer, Duration, Integer, Integer, Duration, Boolean)}.
	 * @param agent the agent id
	 * @param maxConcurrentExecutions the new concurrency limit, or {@code null} to keep it
	 * @param maxWait the new maximum wait, or {@code null} to keep it
	 * @param maxRequestsPerMinute the new per-minute budget, or {@code null} to keep it
	 * @param maxRequestsPerHour the new per-hour budget, or {@code null} to keep it
	 * @param maxExecutionTime the new maximum execution time, or {@code null} to keep it
	 * @param fair the new fairness, or {@code null} to keep it
	 * @return {@code 200} with the new snapshot, or {@code 404} when the agent is unknown
	 */
	@WriteOperation
	public WebEndpointResponse<QuotaSnapshot> updateQuota(@Selector String agent,
			@Nullable Integer maxConcurrentExecutions, @Nullable Duration maxWait,
			@Nullable Integer maxRequestsPerMinute, @Nullable Integer maxRequestsPerHour,
			@Nullable Duration maxExecutionTime, @Nullable Boolean fair) {
		QuotaSnapshot snapshot = this.delegate.updateQuota(agent, maxConcurrentExecutions, maxWait,
				maxRequestsPerMinute, maxRequestsPerHour, maxExecutionTime, fair);
		return (snapshot != null) ? new WebEndpointResponse<>(snapshot, WebEndpointResponse.STATUS_OK)
				: new WebEndpointResponse<>(WebEndpointResponse.STATUS_NOT_FOUND);
	}

}
