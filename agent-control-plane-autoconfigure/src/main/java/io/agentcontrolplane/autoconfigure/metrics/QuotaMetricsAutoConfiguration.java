package io.agentcontrolplane.autoconfigure.metrics;

import io.agentcontrolplane.autoconfigure.PolicyEngineBuilderCustomizer;
import io.agentcontrolplane.quota.PolicyEngine;
import io.micrometer.core.instrument.MeterRegistry;

import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration} for
 * the {@link QuotaMetrics} of the application's {@link PolicyEngine}.
 *
 * <p>Ordered by name after Spring Boot's metrics auto-configurations (module
 * {@code spring-boot-micrometer-metrics}) so that the registries exist when the
 * {@link ConditionalOnBean @ConditionalOnBean} condition is evaluated, and so that this class
 * loads when that module is absent. Spring Boot's {@code MetricsAutoConfiguration} binds the
 * {@link QuotaMetrics} bean to the registry, so it is required too.
 */
@AutoConfiguration(afterName = { "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration",
		"org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration",
		"org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration",
		"io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration" })
@ConditionalOnClass(value = MeterRegistry.class,
		name = "org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration")
@ConditionalOnBean({ MeterRegistry.class, PolicyEngine.class })
public final class QuotaMetricsAutoConfiguration {

	/**
	 * Hold times are measured only when asked for (a timer read at grant and at release), and
	 * the hold timer of {@link QuotaMetrics} is what asks. A {@link PolicyEngine} defined by the
	 * application decides for itself with {@link PolicyEngine.Builder#measureHoldTimes(boolean)}.
	 */
	@Bean
	static PolicyEngineBuilderCustomizer quotaMetricsHoldTimes() {
		return (builder) -> builder.measureHoldTimes(true);
	}

	@Bean
	@ConditionalOnMissingBean
	QuotaMetrics quotaMetrics(PolicyEngine engine) {
		return new QuotaMetrics(engine);
	}

}
