package io.agentcontrolplane.springai.metrics;

import java.util.Objects;

import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.springai.ModelCallUsage;
import io.agentcontrolplane.springai.ProviderRateLimit;
import io.agentcontrolplane.springai.ProviderRateLimits;
import io.agentcontrolplane.springai.SpringAiQuotaListener;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.jspecify.annotations.Nullable;

/**
 * Meters of the Spring AI integration. As a {@link SpringAiQuotaListener} it counts tokens per
 * agent and model ({@value #TOKENS}) and tool calls per agent, tool and outcome
 * ({@value #TOOL_CALLS}); bound to {@link ProviderRateLimits} it registers gauges of the
 * requests and tokens each provider reported left, per agent and model
 * ({@value #PROVIDER_REQUESTS_REMAINING}, {@value #PROVIDER_TOKENS_REMAINING}), the first time
 * figures arrive for them.
 */
public final class SpringAiQuotaMetrics implements SpringAiQuotaListener {

	/** Tokens reported by model responses. */
	public static final String TOKENS = "agent.control.plane.model.tokens";

	/** Tool calls, by outcome. */
	public static final String TOOL_CALLS = "agent.control.plane.tool.calls";

	/** Requests the provider reported left. */
	public static final String PROVIDER_REQUESTS_REMAINING = "agent.control.plane.provider.requests.remaining";

	/** Tokens the provider reported left. */
	public static final String PROVIDER_TOKENS_REMAINING = "agent.control.plane.provider.tokens.remaining";

	private final MeterRegistry registry;

	/**
	 * Meters registered with the given registry.
	 * @param registry the registry
	 */
	public SpringAiQuotaMetrics(MeterRegistry registry) {
		this.registry = Objects.requireNonNull(registry, "registry");
	}

	/**
	 * Register gauges for the provider figures there are and for those that arrive later.
	 * @param limits the providers' figures
	 */
	public void bindTo(ProviderRateLimits limits) {
		limits.onNewEntry((limit) -> registerGauges(limits, limit));
		limits.all().forEach((limit) -> registerGauges(limits, limit));
	}

	private void registerGauges(ProviderRateLimits limits, ProviderRateLimit first) {
		String agentId = first.agentId();
		String model = first.model();
		Gauge.builder(PROVIDER_REQUESTS_REMAINING, limits, (l) -> value(l.get(agentId, model)
			.map(ProviderRateLimit::requestsRemaining)
			.orElse(null)))
			.description("Requests the model provider reported left before its rate limit resets")
			.baseUnit("requests")
			.tag("agent", agentId)
			.tag("model", model)
			.register(this.registry);
		Gauge.builder(PROVIDER_TOKENS_REMAINING, limits, (l) -> value(l.get(agentId, model)
			.map(ProviderRateLimit::tokensRemaining)
			.orElse(null)))
			.description("Tokens the model provider reported left before its rate limit resets")
			.baseUnit("tokens")
			.tag("agent", agentId)
			.tag("model", model)
			.register(this.registry);
	}

	private static double value(@Nullable Long figure) {
		return (figure != null) ? figure : Double.NaN;
	}

	@Override
	public void onModelResponse(ModelCallUsage usage) {
		String model = (usage.model() != null) ? usage.model() : "unknown";
		if (usage.promptTokens() != null) {
			tokens(usage.agentId(), model, "prompt").increment(usage.promptTokens());
		}
		if (usage.completionTokens() != null) {
			tokens(usage.agentId(), model, "completion").increment(usage.completionTokens());
		}
	}

	private Counter tokens(String agentId, String model, String type) {
		return Counter.builder(TOKENS)
			.description("Tokens the model reported for the agent's requests")
			.baseUnit("tokens")
			.tag("agent", agentId)
			.tag("model", model)
			.tag("type", type)
			.register(this.registry);
	}

	@Override
	public void onToolCallAllowed(String agentId, String toolName, String actionName) {
		toolCalls(agentId, toolName, "allowed", "none").increment();
	}

	@Override
	public void onToolCallRefused(String agentId, String toolName, String actionName,
			QuotaExceededException refusal) {
		toolCalls(agentId, toolName, "refused", refusal.reason().name()).increment();
	}

	private Counter toolCalls(String agentId, String toolName, String outcome, String reason) {
		return Counter.builder(TOOL_CALLS)
			.description("Tool calls of the agent, allowed or refused by its quota")
			.baseUnit("calls")
			.tag("agent", agentId)
			.tag("tool", toolName)
			.tag("outcome", outcome)
			.tag("reason", reason)
			.register(this.registry);
	}

}
