package io.agentcontrolplane.springai.autoconfigure;

import io.agentcontrolplane.springai.ProviderRateLimits;
import io.agentcontrolplane.springai.metrics.SpringAiQuotaMetrics;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} of
 * the {@link SpringAiQuotaMetrics}: gauges of the providers' rate-limit figures per agent and
 * model, token and tool-call counters. Ordered by name after Spring Boot's metrics
 * auto-configurations so that the registry exists when the condition is evaluated.
 */
@AutoConfiguration(after = SpringAiQuotaAutoConfiguration.class,
		afterName = { "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
				"org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
				"org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration" })
@ConditionalOnClass(MeterRegistry.class)
@ConditionalOnBean({ MeterRegistry.class, ProviderRateLimits.class })
public final class SpringAiQuotaMetricsAutoConfiguration {

	@Bean
	@ConditionalOnMissingBean
	SpringAiQuotaMetrics springAiQuotaMetrics(MeterRegistry registry, ProviderRateLimits providerRateLimits) {
		SpringAiQuotaMetrics metrics = new SpringAiQuotaMetrics(registry);
		metrics.bindTo(providerRateLimits);
		return metrics;
	}

}
