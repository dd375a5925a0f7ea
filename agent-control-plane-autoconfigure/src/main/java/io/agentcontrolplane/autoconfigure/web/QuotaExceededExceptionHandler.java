package io.agentcontrolplane.autoconfigure.web;

import java.time.Duration;

import io.agentcontrolplane.quota.QuotaExceededException;

import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.RestControllerAdvice;

/**
 * Answers a {@link QuotaExceededException} thrown out of a Spring MVC or WebFlux handler with
 * {@code 429 Too Many Requests} and an RFC 9457 problem body carrying the {@code agent} and the
 * {@code reason}, plus {@code Retry-After} (whole seconds, rounded up) when the engine knows when
 * a retry may succeed.
 *
 * <p>Ordered last, so that a controller's own {@code @ExceptionHandler} and any application
 * advice (default order) handling the exception or one of its super-types win.
 */
@RestControllerAdvice
@Order(Ordered.LOWEST_PRECEDENCE)
public class QuotaExceededExceptionHandler {

	/**
	 * The title of the problem body of a refused call.
	 */
	public static final String TITLE = "Too Many Requests";

	/**
	 * Map the exception to a 429 response.
	 * @param ex the exception
	 * @return the response
	 */
	@ExceptionHandler(QuotaExceededException.class)
	public ResponseEntity<ProblemDetail> handleQuotaExceeded(QuotaExceededException ex) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(HttpStatus.TOO_MANY_REQUESTS, ex.getMessage());
		problem.setTitle(TITLE);
		problem.setProperty("agent", ex.agentId());
		problem.setProperty("reason", ex.reason().name());
		ResponseEntity.BodyBuilder response = ResponseEntity.status(HttpStatus.TOO_MANY_REQUESTS);
		ex.retryAfter().ifPresent((retryAfter) -> response.header(HttpHeaders.RETRY_AFTER, seconds(retryAfter)));
		return response.body(problem);
	}

	private static String seconds(Duration retryAfter) {
		long seconds = retryAfter.getSeconds() + ((retryAfter.getNano() > 0) ? 1 : 0);
		return Long.toString(Math.max(seconds, 0));
	}

}
