package io.agentcontrolplane.springai;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.UnknownHostException;
import java.nio.channels.UnresolvedAddressException;
import java.util.Optional;
import java.util.function.Supplier;

import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.ResourceQuota;
import io.agentcontrolplane.quota.UnknownAgentPolicy;
import io.agentcontrolplane.quota.Usage;
import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;
import org.jspecify.annotations.Nullable;

import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.ai.tokenizer.TokenCountEstimator;

/**
 * The token and cost budgets of model calls: the estimate a permit reserves, and what it settles
 * or refunds when the call ends. See {@link AgentQuotaAdvisor} ("Budgets").
 */
final class ModelCallBudgets {

	private static final Log logger = LogFactory.getLog(ModelCallBudgets.class);

	private final PolicyEngine engine;

	private final Supplier<TokenCountEstimator> estimator;

	private final int defaultMaxOutputTokens;

	ModelCallBudgets(PolicyEngine engine, Supplier<TokenCountEstimator> estimator, int defaultMaxOutputTokens) {
		this.engine = engine;
		this.estimator = estimator;
		this.defaultMaxOutputTokens = defaultMaxOutputTokens;
	}

	/**
	 * What a model request is expected to spend: the prompt's tokens as the estimator counts
	 * them, and the request's max-tokens option (or the default) for the answer. The model is
	 * not named, so a cost budget prices the estimate at the highest prices of the engine's
	 * pricing and never falls short; the settlement charges the answering model's price.
	 * @return the estimate, or {@code null} when the agent has no budgets (nothing to reserve, so
	 * nothing is counted)
	 */
	@Nullable Usage estimate(String agentId, Prompt prompt) {
		if (!hasBudgets(agentId)) {
			return null;
		}
		ChatOptions options = prompt.getOptions();
		Integer maxTokens = (options != null) ? options.getMaxTokens() : null;
		long output = (maxTokens != null && maxTokens > 0) ? maxTokens : this.defaultMaxOutputTokens;
		return Usage.estimate(PromptTokens.estimate(this.estimator.get(), prompt), output);
	}

	private boolean hasBudgets(String agentId) {
		Optional<ResourceQuota> quota = this.engine.getQuota(agentId);
		if (quota.isEmpty() && this.engine.unknownAgentPolicy() == UnknownAgentPolicy.DEFAULT_QUOTA) {
			quota = this.engine.defaultQuota();
		}
		return quota.isPresent() && quota.get().hasBudgets();
	}

	/**
	 * Settle what the responses reported; with no report the estimate stays charged (the real
	 * usage is unknown, and the estimate is the most the call could have spent).
	 */
	void settle(Permit permit, UsageTally tally) {
		Usage usage = tally.usage(true);
		if (usage == null) {
			return;
		}
		try {
			permit.settle(usage);
		}
		catch (IllegalArgumentException unpriced) {
			// A cost budget and an answering model without a price: charge the highest prices
			// rather than leave the estimate, so the token budgets still end at the real usage.
			logger.warn("Settling the usage of agent '" + permit.agentId() + "' at the highest prices: "
					+ unpriced.getMessage());
			Usage unnamed = tally.usage(false);
			if (unnamed != null) {
				permit.settle(unnamed);
			}
		}
	}

	/**
	 * A model call failed: refund the estimate when the request never reached the provider (a
	 * connection that could not be made, a host that could not be resolved) and no response
	 * reported usage; otherwise settle what was reported, or keep the estimate.
	 */
	void failed(Permit permit, Throwable failure, UsageTally tally) {
		if (tally.isEmpty() && neverReachedProvider(failure)) {
			permit.refund();
		}
		else {
			settle(permit, tally);
		}
	}

	static boolean neverReachedProvider(Throwable failure) {
		Throwable cause = failure;
		for (int depth = 0; cause != null && depth < 32; depth++, cause = cause.getCause()) {
			if (cause instanceof ConnectException || cause instanceof UnknownHostException
					|| cause instanceof NoRouteToHostException || cause instanceof UnresolvedAddressException) {
				return true;
			}
		}
		return false;
	}

}
