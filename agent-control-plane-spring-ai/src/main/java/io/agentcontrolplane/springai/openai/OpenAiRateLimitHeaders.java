package io.agentcontrolplane.springai.openai;

import java.io.IOException;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.agentcontrolplane.springai.ModelRequestCustomizer;
import io.agentcontrolplane.springai.ProviderRateLimits;
import okhttp3.Interceptor;
import okhttp3.Request;
import okhttp3.Response;
import org.jspecify.annotations.Nullable;

import org.springframework.ai.chat.metadata.RateLimit;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.openai.OpenAiChatOptions;
import org.springframework.ai.openai.http.okhttp.OpenAiHttpClientBuilderCustomizer;
import org.springframework.ai.openai.http.okhttp.SpringAiOpenAiHttpClient;

/**
 * Feeds the {@code x-ratelimit-*} headers of OpenAI responses into {@link ProviderRateLimits},
 * which Spring AI's OpenAI client (2.0) does not put in the response metadata.
 *
 * <p>Two halves: as a {@link ModelRequestCustomizer} (given to the
 * {@link io.agentcontrolplane.springai.AgentQuotaAdvisor}) it tags each OpenAI request with its
 * agent and model in two request headers; as an {@link OpenAiHttpClientBuilderCustomizer} (a
 * bean Spring AI's OpenAI auto-configuration applies) it adds an HTTP interceptor that removes
 * those headers before the request leaves, and records the response's rate-limit headers for
 * that agent and model. Requests not tagged are left alone.
 */
public final class OpenAiRateLimitHeaders implements OpenAiHttpClientBuilderCustomizer, ModelRequestCustomizer {

	/** The request header that carries the agent from the advisor to the interceptor. */
	public static final String AGENT_HEADER = "X-Agent-Control-Plane-Agent";

	/** The request header that carries the model from the advisor to the interceptor. */
	public static final String MODEL_HEADER = "X-Agent-Control-Plane-Model";

	/** The model key used when the request names no model. */
	public static final String DEFAULT_MODEL = "default";

	private static final Pattern DURATION_PART = Pattern.compile("(\\d+(?:\\.\\d+)?)(ms|h|m|s)");

	private final ProviderRateLimits limits;

	/**
	 * Record into the given figures.
	 * @param limits where the figures are kept
	 */
	public OpenAiRateLimitHeaders(ProviderRateLimits limits) {
		this.limits = Objects.requireNonNull(limits, "limits");
	}

	@Override
	public ChatOptions customize(ChatOptions options, String agentId) {
		if (!(options instanceof OpenAiChatOptions openAi)) {
			return options;
		}
		Map<String, String> headers = new HashMap<>();
		if (openAi.getCustomHeaders() != null) {
			headers.putAll(openAi.getCustomHeaders());
		}
		headers.put(AGENT_HEADER, agentId);
		if (openAi.getModel() != null) {
			headers.put(MODEL_HEADER, openAi.getModel());
		}
		return openAi.mutate().customHeaders(headers).build();
	}

	@Override
	public void customize(SpringAiOpenAiHttpClient.Builder builder) {
		builder.interceptor(this::intercept);
	}

	private Response intercept(Interceptor.Chain chain) throws IOException {
		Request request = chain.request();
		String agentId = request.header(AGENT_HEADER);
		if (agentId == null) {
			return chain.proceed(request);
		}
		String model = request.header(MODEL_HEADER);
		Response response = chain.proceed(request.newBuilder().removeHeader(AGENT_HEADER).removeHeader(MODEL_HEADER).build());
		this.limits.record(agentId, (model != null) ? model : DEFAULT_MODEL, rateLimitOf(response));
		return response;
	}

	static RateLimit rateLimitOf(Response response) {
		return new HeaderRateLimit(number(response.header("x-ratelimit-limit-requests")),
				number(response.header("x-ratelimit-remaining-requests")),
				duration(response.header("x-ratelimit-reset-requests")),
				number(response.header("x-ratelimit-limit-tokens")),
				number(response.header("x-ratelimit-remaining-tokens")),
				duration(response.header("x-ratelimit-reset-tokens")));
	}

	private static @Nullable Long number(@Nullable String value) {
		if (value == null) {
			return null;
		}
		try {
			return Long.parseLong(value.trim());
		}
		catch (NumberFormatException ex) {
			return null;
		}
	}

	/**
	 * Parse OpenAI's reset durations: {@code 20ms}, {@code 1s}, {@code 6m0s}, {@code 1h2m3.5s}.
	 */
	static @Nullable Duration duration(@Nullable String value) {
		if (value == null || value.isBlank()) {
			return null;
		}
		Matcher matcher = DURATION_PART.matcher(value.trim());
		Duration total = Duration.ZERO;
		int end = 0;
		while (matcher.find()) {
			if (matcher.start() != end) {
				return null;
			}
			end = matcher.end();
			long nanos = new BigDecimal(matcher.group(1)).multiply(BigDecimal.valueOf(switch (matcher.group(2)) {
				case "ms" -> 1_000_000L;
				case "s" -> 1_000_000_000L;
				case "m" -> 60_000_000_000L;
				default -> 3_600_000_000_000L;
			})).longValue();
			total = total.plusNanos(nanos);
		}
		return (end == value.trim().length() && end > 0) ? total : null;
	}

	private record HeaderRateLimit(@Nullable Long getRequestsLimit, @Nullable Long getRequestsRemaining,
			@Nullable Duration getRequestsReset, @Nullable Long getTokensLimit, @Nullable Long getTokensRemaining,
			@Nullable Duration getTokensReset) implements RateLimit {
	}

}
