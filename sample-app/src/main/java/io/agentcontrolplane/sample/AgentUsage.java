package io.agentcontrolplane.sample;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.LocalDate;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.agentcontrolplane.autoconfigure.AgentControlPlaneProperties;
import io.agentcontrolplane.autoconfigure.AgentControlPlaneProperties.ModelPrice;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.springai.ModelCallUsage;
import io.agentcontrolplane.springai.SpringAiQuotaListener;
import org.jspecify.annotations.Nullable;

import org.springframework.stereotype.Component;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * What each agent's {@code ChatClient} used, as the Spring AI integration reports it to its
 * {@link SpringAiQuotaListener}s: tokens in the last minute (a sliding window of one-second
 * buckets), tokens and model requests in total, tool calls let through and refused, and the
 * cost today at the prices of {@code agent-control-plane.pricing}. {@code GET /usage} serves it
 * to the dashboard. This is a view only: the budgets that refuse calls are the agents'
 * {@code budgets}, shown by {@code /actuator/quotas}.
 */
@Component
@RestController
public class AgentUsage implements SpringAiQuotaListener {

	private static final int WINDOW_SECONDS = 60;

	private final Map<String, Account> accounts = new ConcurrentHashMap<>();

	private final Map<String, ModelPrice> prices;

	private final Clock clock;

	/**
	 * Create the usage view.
	 * @param properties the starter's properties, for the prices of the models per million tokens
	 */
	public AgentUsage(AgentControlPlaneProperties properties) {
		this.prices = Map.copyOf(properties.getPricing().getModels());
		this.clock = Clock.systemUTC();
	}

	@Override
	public void onModelResponse(ModelCallUsage usage) {
		ModelPrice price = (usage.model() != null) ? this.prices.get(usage.model()) : null;
		account(usage.agentId()).model(usage, price, this.clock);
	}

	@Override
	public void onToolCallAllowed(String agentId, String toolName, String actionName) {
		account(agentId).toolCalls.incrementAndGet();
	}

	@Override
	public void onToolCallRefused(String agentId, String toolName, String actionName, QuotaExceededException refusal) {
		Account account = account(agentId);
		account.toolRefusals.incrementAndGet();
		account.lastRefusal = toolName + ": " + refusal.reason();
	}

	/**
	 * The usage of every agent that has used anything, by agent id.
	 * @return the usage
	 */
	@GetMapping("/usage")
	public Map<String, Usage> usage() {
		Map<String, Usage> usage = new TreeMap<>();
		this.accounts.forEach((agent, account) -> usage.put(agent, account.view(this.clock)));
		return usage;
	}

	private Account account(String agentId) {
		return this.accounts.computeIfAbsent(agentId, (id) -> new Account());
	}

	/**
	 * One agent's usage.
	 *
	 * @param tokensPerMinute tokens (prompt and completion) reported in the last 60 seconds
	 * @param promptTokens prompt tokens in total
	 * @param completionTokens completion tokens in total
	 * @param modelRequests model responses in total
	 * @param model the model of the last response
	 * @param toolCalls tool calls let through
	 * @param toolRefusals tool calls refused
	 * @param lastRefusal the tool and reason of the last refusal, or {@code null}
	 * @param costToday the cost today (UTC), in the pricing currency
	 */
	public record Usage(long tokensPerMinute, long promptTokens, long completionTokens, long modelRequests,
			@Nullable String model, long toolCalls, long toolRefusals, @Nullable String lastRefusal,
			BigDecimal costToday) {

	}

	private static final class Account {

		private final long[] seconds = new long[WINDOW_SECONDS];

		private final long[] tokens = new long[WINDOW_SECONDS];

		private final AtomicLong toolCalls = new AtomicLong();

		private final AtomicLong toolRefusals = new AtomicLong();

		private volatile @Nullable String lastRefusal;

		private long promptTokens;

		private long completionTokens;

		private long modelRequests;

		private @Nullable String model;

		private LocalDate day = LocalDate.MIN;

		private BigDecimal costToday = BigDecimal.ZERO;

		synchronized void model(ModelCallUsage usage, @Nullable ModelPrice price, Clock clock) {
			long prompt = (usage.promptTokens() != null) ? usage.promptTokens() : 0;
			long completion = (usage.completionTokens() != null) ? usage.completionTokens() : 0;
			long now = clock.millis() / 1000;
			int slot = (int) (now % WINDOW_SECONDS);
			if (this.seconds[slot] != now) {
				this.seconds[slot] = now;
				this.tokens[slot] = 0;
			}
			this.tokens[slot] += prompt + completion;
			this.promptTokens += prompt;
			this.completionTokens += completion;
			this.modelRequests++;
			this.model = usage.model();
			LocalDate today = LocalDate.now(clock);
			if (!today.equals(this.day)) {
				this.day = today;
				this.costToday = BigDecimal.ZERO;
			}
			this.costToday = this.costToday.add(perMillion((price != null) ? price.getInput() : null, prompt))
				.add(perMillion((price != null) ? price.getOutput() : null, completion));
		}

		private static BigDecimal perMillion(@Nullable BigDecimal pricePerMillion, long tokens) {
			return (pricePerMillion != null) ? pricePerMillion.multiply(BigDecimal.valueOf(tokens)) : BigDecimal.ZERO;
		}

		synchronized Usage view(Clock clock) {
			long now = clock.millis() / 1000;
			long perMinute = 0;
			for (int i = 0; i < WINDOW_SECONDS; i++) {
				if (now - this.seconds[i] < WINDOW_SECONDS) {
					perMinute += this.tokens[i];
				}
			}
			BigDecimal cost = LocalDate.now(clock).equals(this.day) ? this.costToday : BigDecimal.ZERO;
			return new Usage(perMinute, this.promptTokens, this.completionTokens, this.modelRequests, this.model,
					this.toolCalls.get(), this.toolRefusals.get(), this.lastRefusal,
					cost.divide(BigDecimal.valueOf(1_000_000), 6, RoundingMode.HALF_UP));
		}

	}

}
