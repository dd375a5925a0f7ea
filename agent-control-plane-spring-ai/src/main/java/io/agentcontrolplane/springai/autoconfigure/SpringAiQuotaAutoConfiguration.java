package io.agentcontrolplane.springai.autoconfigure;

import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.springai.AgentIdResolver;
import io.agentcontrolplane.springai.AgentQuotaAdvisor;
import io.agentcontrolplane.springai.ModelRequestCustomizer;
import io.agentcontrolplane.springai.ProviderRateLimits;
import io.agentcontrolplane.springai.SpringAiQuotaListener;
import io.agentcontrolplane.springai.ToolGovernance;
import io.agentcontrolplane.springai.openai.OpenAiRateLimitHeaders;

import org.springframework.ai.chat.client.ChatClient;
import org.springframework.ai.chat.client.ChatClientCustomizer;
import org.springframework.ai.tokenizer.TokenCountEstimator;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} of
 * quotas on Spring AI model and tool calls: the {@link AgentQuotaAdvisor}, the
 * {@link ToolGovernance} it applies to each request's tools, and the {@link ProviderRateLimits}
 * it fills from response metadata (and, with Spring AI's OpenAI client, from its rate-limit
 * headers through {@link OpenAiRateLimitHeaders}). Needs the application's {@link PolicyEngine}.
 */
@AutoConfiguration(afterName = "io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration")
@ConditionalOnClass(ChatClient.class)
@ConditionalOnBean(PolicyEngine.class)
@ConditionalOnBooleanProperty(name = "agent-control-plane.spring-ai.enabled", matchIfMissing = true)
@EnableConfigurationProperties(SpringAiQuotaProperties.class)
public final class SpringAiQuotaAutoConfiguration {

	private static final String PREFIX = "agent-control-plane.spring-ai";

	@Bean
	@ConditionalOnMissingBean
	ProviderRateLimits providerRateLimits() {
		return new ProviderRateLimits();
	}

	@Bean
	@ConditionalOnMissingBean
	@ConditionalOnBooleanProperty(name = "agent-control-plane.spring-ai.tools.enabled", matchIfMissing = true)
	ToolGovernance toolGovernance(PolicyEngine engine, SpringAiQuotaProperties properties,
			ObjectProvider<SpringAiQuotaListener> listeners) {
		SpringAiQuotaProperties.Tools tools = properties.getTools();
		ToolGovernance.Builder builder = ToolGovernance.builder(engine)
			.maxToolCallsPerCall(tools.getMaxCallsPerChatClientCall())
			.refusalMode(tools.getRefusal())
			.maxWait(tools.getMaxWait());
		tools.getByName().forEach((name, tool) -> {
			String path = PREFIX + ".tools.by-name." + name;
			if (tool.getActionName() != null && tool.getActionType() != null) {
				throw new IllegalStateException("Properties " + path + ".action-name ('" + tool.getActionName()
						+ "') and " + path + ".action-type ('" + tool.getActionType().actionName()
						+ "') are both set: set one of them (action-type is a shorthand for an action-name)");
			}
			if (tool.getActionName() != null) {
				try {
					builder.actionName(name, tool.getActionName());
				}
				catch (IllegalArgumentException ex) {
					throw new IllegalStateException("Property " + path + ".action-name is invalid: " + ex.getMessage(),
							ex);
				}
			}
			if (tool.getActionType() != null) {
				builder.actionType(name, tool.getActionType());
			}
			if (tool.getQuotaKey() != null) {
				builder.quotaKey(name, tool.getQuotaKey());
			}
		});
		listeners.orderedStream().forEach(builder::listener);
		return builder.build();
	}

	@Bean
	@ConditionalOnMissingBean
	AgentQuotaAdvisor agentQuotaAdvisor(PolicyEngine engine, SpringAiQuotaProperties properties,
			ObjectProvider<AgentIdResolver> agentIdResolver, ObjectProvider<ToolGovernance> toolGovernance,
			ProviderRateLimits providerRateLimits, ObjectProvider<SpringAiQuotaListener> listeners,
			ObjectProvider<ModelRequestCustomizer> requestCustomizers,
			ObjectProvider<TokenCountEstimator> tokenCountEstimator) {
		AgentQuotaAdvisor.Builder builder = AgentQuotaAdvisor.builder(engine)
			.defaultAgentId(properties.getDefaultAgentId())
			.agentIdResolver(agentIdResolver.getIfUnique())
			.permitScope(properties.getPermitScope());
		try {
			builder.actionName(properties.getAction());
		}
		catch (IllegalArgumentException ex) {
			throw new IllegalStateException("Property " + PREFIX + ".action is invalid: " + ex.getMessage(), ex);
		}
		try {
			builder.defaultMaxOutputTokens(properties.getDefaultMaxOutputTokens());
		}
		catch (IllegalArgumentException ex) {
			throw new IllegalStateException(
					"Property " + PREFIX + ".default-max-output-tokens is invalid: " + ex.getMessage(), ex);
		}
		builder.tokenCountEstimator(tokenCountEstimator.getIfUnique())
			.maxWait(properties.getMaxWait())
			.toolGovernance(toolGovernance.getIfUnique())
			.providerRateLimits(providerRateLimits)
			.pauseOnProviderLimit(properties.getProvider().isPauseOnLimit());
		listeners.orderedStream().forEach(builder::listener);
		requestCustomizers.orderedStream().forEach(builder::modelRequestCustomizer);
		return builder.build();
	}

	@Bean
	@ConditionalOnBooleanProperty(name = "agent-control-plane.spring-ai.customize-chat-clients")
	ChatClientCustomizer agentQuotaChatClientCustomizer(AgentQuotaAdvisor advisor) {
		return (builder) -> builder.defaultAdvisors(advisor);
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(name = "org.springframework.ai.openai.http.okhttp.OpenAiHttpClientBuilderCustomizer")
	static class OpenAiRateLimitHeadersConfiguration {

		@Bean
		@ConditionalOnMissingBean
		OpenAiRateLimitHeaders openAiRateLimitHeaders(ProviderRateLimits providerRateLimits) {
			return new OpenAiRateLimitHeaders(providerRateLimits);
		}

	}

}
