package io.agentcontrolplane.autoconfigure.web;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import io.agentcontrolplane.quota.Budget;
import io.agentcontrolplane.quota.BudgetStatus;
import io.agentcontrolplane.quota.InvalidAgentIdException;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.QuotaSnapshot;
import io.agentcontrolplane.quota.RejectionReason;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Answers a {@link QuotaExceededException} thrown out of a Spring MVC or WebFlux handler with an
 * RFC 9457 problem body carrying the {@code agent} and the {@code reason}, and a status that
 * tells the client what to do:
 *
 * <ul>
 * <li>{@code 403 Forbidden} for {@code ACTION_NOT_ALLOWED} and {@code UNKNOWN_AGENT}: permanent,
 * retrying cannot help;</li>
 * <li>{@code 503 Service Unavailable} with {@code Retry-After} for {@code STORE_UNAVAILABLE}: the
 * body says only that the quota store is unavailable; what the store reported (hosts, keys,
 * scripts) goes to the log, never to the client;</li>
 * <li>{@code 429 Too Many Requests} for {@code CONCURRENCY_LIMIT}, {@code RATE_LIMIT} and any
 * other exhausted limit or budget.</li>
 * </ul>
 *
 * <p>An {@link InvalidAgentIdException} (a blank or too long agent id, usually taken from the
 * request) is answered with {@code 400 Bad Request}.
 *
 * <p>{@code Retry-After} (whole seconds, rounded up) is sent whenever the engine knows when a
 * retry may succeed. For a refusal by a rate budget the IETF {@code RateLimit-Policy} and
 * {@code RateLimit} fields (draft-ietf-httpapi-ratelimit-headers, structured-field form) describe
 * the agent's per-minute and per-hour budgets and what is left of them; for a refusal by a
 * token, cost or request budget ({@code BUDGET_EXHAUSTED}) they describe that budget, named
 * after its unit and window ({@code "tokens-per-1m"}), in base units (cost in millionths of the
 * pricing currency), with {@code w} only for a duration window.
 *
 * <p>Ordered last, so that a controller's own {@code @ExceptionHandler} and any application
 * advice (default order) handling the exception or one of its super-types win.
 */
@RestControllerAdvice
@Order(Ordered.LOWEST_PRECEDENCE)
public class QuotaExceededExceptionHandler {

	/**
	 * The title of the problem body of a call refused by a limit (429).
	 */
	public static final String TITLE = "Too Many Requests";

	/**
	 * The {@code Retry-After} sent with 503 when the store gave no better estimate.
	 */
	public static final Duration STORE_UNAVAILABLE_RETRY_AFTER = Duration.ofSeconds(1);

	/**
	 * The IETF header field describing the quota policies.
	 */
	public static final String RATE_LIMIT_POLICY = "RateLimit-Policy";

	/**
	 * The IETF header field describing what is left of each policy.
	 */
	public static final String RATE_LIMIT = "RateLimit";

	private static final Log logger = LogFactory.getLog(QuotaExceededExceptionHandler.class);

	private final Supplier<@Nullable PolicyEngine> policyEngine;

	/**
	 * Create a handler that sends no {@code RateLimit} fields.
	 */
	public QuotaExceededExceptionHandler() {
		this(() -> null);
	}

	/**
	 * Create a handler that reads the refusing agent's rate budgets from the engine for the
	 * {@code RateLimit-Policy} and {@code RateLimit} fields.
	 * @param policyEngine supplies the engine, or {@code null} when there is none
	 */
	public QuotaExceededExceptionHandler(Supplier<@Nullable PolicyEngine> policyEngine) {
		this.policyEngine = policyEngine;
	}

	/**
	 * Map the exception to a 403, 429 or 503 response.
	 * @param ex the exception
	 * @return the response
	 */
	@ExceptionHandler(QuotaExceededException.class)
	public ResponseEntity<ProblemDetail> handleQuotaExceeded(QuotaExceededException ex) {
		HttpStatus status = status(ex.reason());
		String detail = ex.getMessage();
		Optional<Duration> retryAfter = ex.retryAfter();
		if (ex.reason() == RejectionReason.STORE_UNAVAILABLE) {
			logger.warn("Refused a call of agent '" + ex.agentId() + "' with 503: " + ex.getMessage());
			detail = "Agent '" + ex.agentId() + "' could not be admitted: the quota store is unavailable."
					+ " Retry later.";
			retryAfter = Optional.of(retryAfter.orElse(STORE_UNAVAILABLE_RETRY_AFTER));
		}
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
		problem.setTitle((status == HttpStatus.TOO_MANY_REQUESTS) ? TITLE : status.getReasonPhrase());
		problem.setProperty("agent", ex.agentId());
		problem.setProperty("reason", ex.reason().name());
		ResponseEntity.BodyBuilder response = ResponseEntity.status(status);
		retryAfter.ifPresent((delay) -> response.header(HttpHeaders.RETRY_AFTER, Long.toString(seconds(delay))));
		if (ex.reason() == RejectionReason.RATE_LIMIT) {
			addRateLimitFields(response, ex);
		}
		else if (ex.reason() == RejectionReason.BUDGET_EXHAUSTED && ex.budget().isPresent()) {
			addBudgetFields(response, ex, ex.budget().get());
		}
		return response.body(problem);
	}

	/**
	 * Map an agent id the engine refuses (blank, or longer than its maximum) to
	 * {@code 400 Bad Request}: such ids usually come from the request itself (a tenant id in a
	 * SpEL template), so the client sent bad input. The message quotes at most the first 32
	 * characters of the id; nothing is logged above DEBUG, so a client cannot fill the log.
	 * @param ex the exception
	 * @return the response
	 */
	@ExceptionHandler(InvalidAgentIdException.class)
	public ResponseEntity<ProblemDetail> handleInvalidAgentId(InvalidAgentIdException ex) {
		logger.debug("Refused a call with 400: " + ex.getMessage());
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.BAD_REQUEST, ex.getMessage());
		problem.setTitle(HttpStatus.BAD_REQUEST.getReasonPhrase());
		problem.setProperty("reason", "INVALID_AGENT_ID");
		return ResponseEntity.badRequest().body(problem);
	}

	/**
	 * The status for a refusal: whether retrying can help, and when.
	 * @param reason the reason of the refusal
	 * @return the status
	 */
	protected HttpStatus status(RejectionReason reason) {
		return switch (reason.name()) {
			case "ACTION_NOT_ALLOWED", "UNKNOWN_AGENT" -> HttpStatus.FORBIDDEN;
			case "STORE_UNAVAILABLE" -> HttpStatus.SERVICE_UNAVAILABLE;
			// CONCURRENCY_LIMIT, RATE_LIMIT, and every exhausted budget.
			default -> HttpStatus.TOO_MANY_REQUESTS;
		};
	}

	private void addRateLimitFields(ResponseEntity.BodyBuilder response, QuotaExceededException ex) {
		QuotaSnapshot snapshot;
		try {
			PolicyEngine engine = this.policyEngine.get();
			snapshot = (engine != null) ? engine.snapshot(ex.agentId()).orElse(null) : null;
		}
		catch (RuntimeException failure) {
			// The fields are advice; a store that cannot answer now must not turn a 429 into a 500.
			logger.debug("No RateLimit fields for agent '" + ex.agentId() + "'", failure);
			return;
		}
		if (snapshot == null) {
			return;
		}
		List<String> policies = new ArrayList<>(2);
		List<String> limits = new ArrayList<>(2);
		long reset = seconds(ex.retryAfter().orElse(Duration.ZERO));
		addPolicy(policies, limits, "per-minute", snapshot.maxRequestsPerMinute(),
				snapshot.availableRequestsPerMinute(), 60, reset);
		addPolicy(policies, limits, "per-hour", snapshot.maxRequestsPerHour(), snapshot.availableRequestsPerHour(),
				3600, reset);
		if (!policies.isEmpty()) {
			response.header(RATE_LIMIT_POLICY, String.join(", ", policies));
			response.header(RATE_LIMIT, String.join(", ", limits));
		}
	}

	/**
	 * The RateLimit fields for the budget that refused: one item named after its unit and
	 * window ({@code "tokens-per-1m"}), quota and remaining in base units (for cost, millionths
	 * of the pricing currency), {@code w} only for a duration window.
	 */
	private void addBudgetFields(ResponseEntity.BodyBuilder response, QuotaExceededException ex, Budget budget) {
		QuotaSnapshot snapshot;
		try {
			PolicyEngine engine = this.policyEngine.get();
			snapshot = (engine != null) ? engine.snapshot(ex.agentId()).orElse(null) : null;
		}
		catch (RuntimeException failure) {
			logger.debug("No RateLimit fields for agent '" + ex.agentId() + "'", failure);
			return;
		}
		long remaining = 0;
		if (snapshot != null) {
			for (BudgetStatus status : snapshot.budgets()) {
				if (status.budget().unit() == budget.unit() && status.budget().window().equals(budget.window())) {
					remaining = Math.max(0, status.remaining());
				}
			}
		}
		String name = "\"" + budget.unit().configName() + "-per-" + budget.window() + "\"";
		String window = budget.window().duration().map((duration) -> ";w=" + seconds(duration)).orElse("");
		long reset = seconds(ex.retryAfter().orElse(Duration.ZERO));
		response.header(RATE_LIMIT_POLICY, name + ";q=" + budget.limitInBaseUnits() + window);
		response.header(RATE_LIMIT, name + ";r=" + remaining + ((reset > 0) ? ";t=" + reset : ""));
	}

	private static void addPolicy(List<String> policies, List<String> limits, String name, @Nullable Integer quota,
			@Nullable Long available, long windowSeconds, long reset) {
		if (quota == null) {
			return;
		}
		policies.add("\"" + name + "\";q=" + quota + ";w=" + windowSeconds);
		long remaining = Math.max(0, (available != null) ? available : 0);
		limits.add("\"" + name + "\";r=" + remaining + ((remaining == 0 && reset > 0) ? ";t=" + reset : ""));
	}

	private static long seconds(Duration delay) {
		long seconds = delay.getSeconds() + ((delay.getNano() > 0) ? 1 : 0);
		return Math.max(seconds, 0);
	}

}
