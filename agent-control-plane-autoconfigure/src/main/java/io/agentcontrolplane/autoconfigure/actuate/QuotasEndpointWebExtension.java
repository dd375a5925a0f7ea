package io.agentcontrolplane.autoconfigure.actuate;

import java.time.Duration;

import io.agentcontrolplane.quota.QuotaSnapshot;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.EndpointWebExtension;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.core.convert.ConversionException;
import org.springframework.core.convert.ConversionService;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;

/**
 * {@link EndpointWebExtension @EndpointWebExtension} for the {@link QuotasEndpoint}: answers a
 * refused write over HTTP with an RFC 9457 problem body ({@code application/problem+json}) whose
 * {@code detail} says why, and a write to an unknown agent with {@code 404} (a write operation
 * returning {@code null} would answer {@code 204}, as if something had changed).
 *
 * <p>Why an extension: Actuator turns an {@link InvalidEndpointRequestException} into a bare
 * {@code 400} whose reason Spring Boot's error page drops (its default is
 * {@code server.error.include-message=never}), so every refused write would get the same body.
 * For the same reason the limits are taken as text and converted here, with the conversions
 * Actuator would apply: a value that is not a number, a duration or a boolean gets a reason too.
 * Reads are the endpoint's own; access is the endpoint's ({@code read-only} by default, so this
 * write operation is only mapped with {@code management.endpoint.quotas.access=unrestricted}).
 */
@EndpointWebExtension(endpoint = QuotasEndpoint.class)
public class QuotasEndpointWebExtension {

	private static final MediaType PROBLEM_JSON = MediaType.APPLICATION_PROBLEM_JSON;

	private static final String INTEGER = "an integer from 0 to " + Integer.MAX_VALUE;

	private static final String DURATION = "a duration such as 500ms, 2s or PT2S";

	private static final String BOOLEAN = "true or false";

	private final QuotasEndpoint delegate;

	private final ConversionService conversionService = ApplicationConversionService.getSharedInstance();

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
	 * Each limit is given as JSON text or number; {@code null} or absent keeps it.
	 * @param agent the agent id
	 * @param maxConcurrentExecutions the new concurrency limit, or {@code null} to keep it
	 * @param maxWait the new maximum wait, or {@code null} to keep it
	 * @param maxRequestsPerMinute the new per-minute budget, or {@code null} to keep it
	 * @param maxRequestsPerHour the new per-hour budget, or {@code null} to keep it
	 * @param maxExecutionTime the new maximum execution time, or {@code null} to keep it
	 * @param fair the new fairness, or {@code null} to keep it
	 * @return {@code 200} with the new snapshot, {@code 400} with a problem body saying what is
	 * wrong (nothing changed), or {@code 404} with a problem body when the agent is unknown
	 */
	@WriteOperation
	public WebEndpointResponse<Object> updateQuota(@Selector String agent, @Nullable String maxConcurrentExecutions,
			@Nullable String maxWait, @Nullable String maxRequestsPerMinute, @Nullable String maxRequestsPerHour,
			@Nullable String maxExecutionTime, @Nullable String fair) {
		QuotaSnapshot snapshot;
		try {
			snapshot = this.delegate.updateQuota(agent,
					convert("maxConcurrentExecutions", maxConcurrentExecutions, Integer.class, INTEGER),
					convert("maxWait", maxWait, Duration.class, DURATION),
					convert("maxRequestsPerMinute", maxRequestsPerMinute, Integer.class, INTEGER),
					convert("maxRequestsPerHour", maxRequestsPerHour, Integer.class, INTEGER),
					convert("maxExecutionTime", maxExecutionTime, Duration.class, DURATION),
					convert("fair", fair, Boolean.class, BOOLEAN));
		}
		catch (IllegalArgumentException ex) {
			return problem(HttpStatus.BAD_REQUEST, agent, "Invalid quota for agent '" + agent + "': " + ex.getMessage());
		}
		catch (InvalidEndpointRequestException ex) {
			return problem(HttpStatus.BAD_REQUEST, agent, ex.getMessage());
		}
		if (snapshot == null) {
			return problem(HttpStatus.NOT_FOUND, agent, "Agent '" + agent
					+ "' has no quota; quotas are created in configuration (agent-control-plane.quotas), not here");
		}
		return new WebEndpointResponse<>(snapshot, WebEndpointResponse.STATUS_OK);
	}

	private <T> @Nullable T convert(String name, @Nullable String value, Class<T> type, String expected) {
		if (value == null) {
			return null;
		}
		T converted;
		try {
			converted = this.conversionService.convert(value, type);
		}
		catch (ConversionException ex) {
			converted = null;
		}
		// An empty value converts to null; a key given with no value is refused rather than ignored.
		if (converted == null) {
			throw new IllegalArgumentException(name + " must be " + expected + ", was '" + value + "'");
		}
		return converted;
	}

	private static WebEndpointResponse<Object> problem(HttpStatus status, String agent, @Nullable String detail) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
		problem.setProperty("agent", agent);
		return new WebEndpointResponse<>(problem, status.value(), PROBLEM_JSON);
	}

}
