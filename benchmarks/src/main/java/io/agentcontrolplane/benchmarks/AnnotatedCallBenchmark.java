package io.agentcontrolplane.benchmarks;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import java.util.concurrent.TimeUnit;

import io.agentcontrolplane.annotation.BoundedExecution;
import io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration;
import io.agentcontrolplane.autoconfigure.aop.BoundedExecutionAutoConfiguration;
import io.agentcontrolplane.autoconfigure.metrics.QuotaMetrics;
import io.agentcontrolplane.autoconfigure.metrics.QuotaMetricsAutoConfiguration;
import io.agentcontrolplane.quota.PolicyEngine;
import io.github.resilience4j.bulkhead.BulkheadRegistry;
import io.github.resilience4j.bulkhead.annotation.Bulkhead;
import io.github.resilience4j.springboot.bulkhead.autoconfigure.BulkheadAutoConfiguration;
import io.github.resilience4j.springboot.bulkhead.autoconfigure.BulkheadMetricsAutoConfiguration;
import io.micrometer.core.instrument.MeterRegistry;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import org.springframework.aop.framework.autoproxy.AbstractBeanFactoryAwareAdvisingPostProcessor;
import org.springframework.aop.support.AopUtils;
import org.springframework.aop.support.DefaultPointcutAdvisor;
import org.springframework.aop.support.annotation.AnnotationMatchingPointcut;
import org.springframework.boot.WebApplicationType;
import org.springframework.boot.autoconfigure.ImportAutoConfiguration;
import org.springframework.boot.autoconfigure.aop.AopAutoConfiguration;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.micrometer.metrics.autoconfigure.CompositeMeterRegistryAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.MetricsAutoConfiguration;
import org.springframework.boot.micrometer.metrics.autoconfigure.export.simple.SimpleMetricsExportAutoConfiguration;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.resilience.annotation.ConcurrencyLimit;
import org.springframework.resilience.annotation.EnableResilientMethods;

/**
 * Benchmark group 2 of issue 6: one call of a Spring bean method with a trivial body, through a
 * real Spring Boot application context, guarded by
 * <ul>
 * <li>{@code @BoundedExecution(agent = "bench")} with the project's auto-configurations and
 * Micrometer metrics on (a {@code SimpleMeterRegistry} from Spring Boot's metrics
 * auto-configuration, with the project's {@code QuotaMetrics} bound to it);</li>
 * <li>the same without the project's metrics auto-configuration ({@code boundedExecutionNoMetrics}:
 * like for like with {@code @ConcurrencyLimit}, which records no metrics);</li>
 * <li>Spring Framework 7 {@code @ConcurrencyLimit} (enabled by {@code @EnableResilientMethods},
 * default {@code BLOCK} policy);</li>
 * <li>Resilience4j {@code @Bulkhead} through its Spring aspect (resilience4j-spring-boot4's
 * auto-configuration, Spring Boot's AOP auto-configuration, a semaphore bulkhead);</li>
 * <li>nothing but a pass-through {@code MethodInterceptor} on the same kind of CGLIB proxy the
 * guards use ({@code proxyOnly}: the proxy cost alone);</li>
 * <li>nothing at all ({@code direct}: a plain bean, the floor).</li>
 * </ul>
 * Each guard has a context of its own, started only in the forks that measure it, so that no
 * guard's post-processors or aspects touch another's bean. Every limit is {@value #LIMIT}, far
 * above the thread count: no call is refused or waits. Every context has the same metrics
 * auto-configurations. The set-up checks that each bean is advised as intended before
 * measuring.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(value = 2, jvmArgsAppend = { "-Xms1g", "-Xmx1g" })
public class AnnotatedCallBenchmark {

	static final String AGENT = "bench";

	static final int LIMIT = 64;

	// --- ours ------------------------------------------------------------------------------

	@Benchmark
	@Threads(1)
	public int boundedExecution_1t(BoundedExecutionContext context) {
		return context.service.work(context.input);
	}

	@Benchmark
	@Threads(2)
	public int boundedExecution_2t(BoundedExecutionContext context) {
		return context.service.work(context.input);
	}

	@Benchmark
	@Threads(1)
	public int boundedExecutionNoMetrics_1t(BoundedExecutionNoMetricsContext context) {
		return context.service.work(context.input);
	}

	@Benchmark
	@Threads(2)
	public int boundedExecutionNoMetrics_2t(BoundedExecutionNoMetricsContext context) {
		return context.service.work(context.input);
	}

	// --- peers -----------------------------------------------------------------------------

	@Benchmark
	@Threads(1)
	public int concurrencyLimit_1t(ConcurrencyLimitContext context) {
		return context.service.work(context.input);
	}

	@Benchmark
	@Threads(2)
	public int concurrencyLimit_2t(ConcurrencyLimitContext context) {
		return context.service.work(context.input);
	}

	@Benchmark
	@Threads(1)
	public int bulkheadAspect_1t(BulkheadAspectContext context) {
		return context.service.work(context.input);
	}

	@Benchmark
	@Threads(2)
	public int bulkheadAspect_2t(BulkheadAspectContext context) {
		return context.service.work(context.input);
	}

	@Benchmark
	@Threads(1)
	public int proxyOnly_1t(ProxyOnlyContext context) {
		return context.service.work(context.input);
	}

	@Benchmark
	@Threads(2)
	public int proxyOnly_2t(ProxyOnlyContext context) {
		return context.service.work(context.input);
	}

	@Benchmark
	@Threads(1)
	public int direct_1t(DirectContext context) {
		return context.service.work(context.input);
	}

	@Benchmark
	@Threads(2)
	public int direct_2t(DirectContext context) {
		return context.service.work(context.input);
	}

	// --- contexts --------------------------------------------------------------------------

	static ConfigurableApplicationContext start(Class<?> configuration, String... properties) {
		return new SpringApplicationBuilder(configuration).web(WebApplicationType.NONE)
			.bannerMode(org.springframework.boot.Banner.Mode.OFF)
			.logStartupInfo(false)
			.properties("logging.level.root=warn")
			.properties(properties)
			.run();
	}

	static void requireProxy(Object bean, boolean proxy) {
		if (AopUtils.isAopProxy(bean) != proxy) {
			throw new IllegalStateException(bean.getClass().getName() + (proxy ? " is not" : " is")
					+ " an AOP proxy: the benchmark would not measure what it says");
		}
	}

	/** The {@code @BoundedExecution} context. */
	@State(Scope.Benchmark)
	public static class BoundedExecutionContext {

		ConfigurableApplicationContext context;

		GuardedService service;

		int input = 41;

		@Setup(Level.Trial)
		public void setUp() {
			this.context = start(BoundedExecutionConfiguration.class,
					"agent-control-plane.quotas." + AGENT + ".max-concurrent-executions=" + LIMIT);
			this.service = this.context.getBean(GuardedService.class);
			requireProxy(this.service, true);
			PolicyEngine engine = this.context.getBean(PolicyEngine.class);
			MeterRegistry registry = this.context.getBean(MeterRegistry.class);
			this.context.getBean(QuotaMetrics.class);
			this.service.work(this.input);
			long acquired = engine.snapshot(AGENT).orElseThrow().acquired();
			double permitted = registry.get("agent.quota.calls")
				.tag(QuotaMetrics.AGENT_TAG, AGENT)
				.tag(QuotaMetrics.OUTCOME_TAG, "permitted")
				.functionCounter()
				.count();
			if (acquired != 1 || permitted != 1) {
				throw new IllegalStateException("@BoundedExecution is not applied with metrics: acquired=" + acquired
						+ ", permitted counter=" + permitted);
			}
		}

		@TearDown(Level.Trial)
		public void tearDown() {
			this.context.close();
		}

	}

	/**
	 * The {@code @BoundedExecution} context without the project's metrics binder (the registry
	 * is there, as in every context, but nothing binds the engine to it and hold times are not
	 * measured): like for like with {@code @ConcurrencyLimit}, which has no metrics.
	 */
	@State(Scope.Benchmark)
	public static class BoundedExecutionNoMetricsContext {

		ConfigurableApplicationContext context;

		GuardedService service;

		int input = 41;

		@Setup(Level.Trial)
		public void setUp() {
			this.context = start(BoundedExecutionNoMetricsConfiguration.class,
					"agent-control-plane.quotas." + AGENT + ".max-concurrent-executions=" + LIMIT);
			this.service = this.context.getBean(GuardedService.class);
			requireProxy(this.service, true);
			if (!this.context.getBeansOfType(QuotaMetrics.class).isEmpty()) {
				throw new IllegalStateException("QuotaMetrics is bound: this context must have no metrics binder");
			}
			this.service.work(this.input);
			long acquired = this.context.getBean(PolicyEngine.class).snapshot(AGENT).orElseThrow().acquired();
			if (acquired != 1) {
				throw new IllegalStateException("@BoundedExecution is not applied: acquired=" + acquired);
			}
		}

		@TearDown(Level.Trial)
		public void tearDown() {
			this.context.close();
		}

	}

	/** The {@code @ConcurrencyLimit} context. */
	@State(Scope.Benchmark)
	public static class ConcurrencyLimitContext {

		ConfigurableApplicationContext context;

		ConcurrencyLimitedService service;

		int input = 41;

		@Setup(Level.Trial)
		public void setUp() {
			this.context = start(ConcurrencyLimitConfiguration.class);
			this.service = this.context.getBean(ConcurrencyLimitedService.class);
			requireProxy(this.service, true);
		}

		@TearDown(Level.Trial)
		public void tearDown() {
			this.context.close();
		}

	}

	/** The Resilience4j {@code @Bulkhead} aspect context. */
	@State(Scope.Benchmark)
	public static class BulkheadAspectContext {

		ConfigurableApplicationContext context;

		BulkheadService service;

		int input = 41;

		@Setup(Level.Trial)
		public void setUp() {
			this.context = start(BulkheadAspectConfiguration.class,
					"resilience4j.bulkhead.instances." + AGENT + ".max-concurrent-calls=" + LIMIT,
					"resilience4j.bulkhead.instances." + AGENT + ".max-wait-duration=0");
			this.service = this.context.getBean(BulkheadService.class);
			requireProxy(this.service, true);
			this.service.work(this.input);
			BulkheadRegistry registry = this.context.getBean(BulkheadRegistry.class);
			int limit = registry.find(AGENT)
				.orElseThrow(() -> new IllegalStateException("the @Bulkhead aspect did not run"))
				.getBulkheadConfig()
				.getMaxConcurrentCalls();
			if (limit != LIMIT) {
				throw new IllegalStateException("bulkhead '" + AGENT + "' has limit " + limit + ", not " + LIMIT);
			}
		}

		@TearDown(Level.Trial)
		public void tearDown() {
			this.context.close();
		}

	}

	/** The pass-through proxy context. */
	@State(Scope.Benchmark)
	public static class ProxyOnlyContext {

		ConfigurableApplicationContext context;

		ProxiedService service;

		int input = 41;

		@Setup(Level.Trial)
		public void setUp() {
			this.context = start(ProxyOnlyConfiguration.class);
			this.service = this.context.getBean(ProxiedService.class);
			requireProxy(this.service, true);
		}

		@TearDown(Level.Trial)
		public void tearDown() {
			this.context.close();
		}

	}

	/** The unproxied context. */
	@State(Scope.Benchmark)
	public static class DirectContext {

		ConfigurableApplicationContext context;

		PlainService service;

		int input = 41;

		@Setup(Level.Trial)
		public void setUp() {
			this.context = start(DirectConfiguration.class);
			this.service = this.context.getBean(PlainService.class);
			requireProxy(this.service, false);
		}

		@TearDown(Level.Trial)
		public void tearDown() {
			this.context.close();
		}

	}

	// --- configurations: the same metrics in each, one guard each ---------------------------

	/** The metrics every context has. */
	@ImportAutoConfiguration({ MetricsAutoConfiguration.class, CompositeMeterRegistryAutoConfiguration.class,
			SimpleMetricsExportAutoConfiguration.class })
	@Retention(RetentionPolicy.RUNTIME)
	@Target(ElementType.TYPE)
	@interface WithMetrics {

	}

	@Configuration(proxyBeanMethods = false)
	@WithMetrics
	@ImportAutoConfiguration({ AgentControlPlaneAutoConfiguration.class, BoundedExecutionAutoConfiguration.class,
			QuotaMetricsAutoConfiguration.class })
	public static class BoundedExecutionConfiguration {

		@Bean
		GuardedService guardedService() {
			return new GuardedService();
		}

	}

	@Configuration(proxyBeanMethods = false)
	@WithMetrics
	@ImportAutoConfiguration({ AgentControlPlaneAutoConfiguration.class, BoundedExecutionAutoConfiguration.class })
	public static class BoundedExecutionNoMetricsConfiguration {

		@Bean
		GuardedService guardedService() {
			return new GuardedService();
		}

	}

	@Configuration(proxyBeanMethods = false)
	@WithMetrics
	@EnableResilientMethods
	public static class ConcurrencyLimitConfiguration {

		@Bean
		ConcurrencyLimitedService concurrencyLimitedService() {
			return new ConcurrencyLimitedService();
		}

	}

	@Configuration(proxyBeanMethods = false)
	@WithMetrics
	@ImportAutoConfiguration({ AopAutoConfiguration.class, BulkheadAutoConfiguration.class,
			BulkheadMetricsAutoConfiguration.class })
	public static class BulkheadAspectConfiguration {

		@Bean
		BulkheadService bulkheadService() {
			return new BulkheadService();
		}

	}

	@Configuration(proxyBeanMethods = false)
	@WithMetrics
	public static class ProxyOnlyConfiguration {

		@Bean
		static PassThroughPostProcessor passThroughPostProcessor() {
			return new PassThroughPostProcessor();
		}

		@Bean
		ProxiedService proxiedService() {
			return new ProxiedService();
		}

	}

	@Configuration(proxyBeanMethods = false)
	@WithMetrics
	public static class DirectConfiguration {

		@Bean
		PlainService plainService() {
			return new PlainService();
		}

	}

	// --- the beans: one trivial method each -------------------------------------------------

	/** Guarded by {@code @BoundedExecution}. */
	public static class GuardedService {

		@BoundedExecution(agent = AGENT)
		public int work(int input) {
			return input + 1;
		}

	}

	/** Guarded by {@code @ConcurrencyLimit}. */
	public static class ConcurrencyLimitedService {

		@ConcurrencyLimit(LIMIT)
		public int work(int input) {
			return input + 1;
		}

	}

	/** Guarded by Resilience4j's {@code @Bulkhead}. */
	public static class BulkheadService {

		@Bulkhead(name = AGENT)
		public int work(int input) {
			return input + 1;
		}

	}

	/** Proxied with a pass-through interceptor. */
	public static class ProxiedService {

		@PassThrough
		public int work(int input) {
			return input + 1;
		}

	}

	/** Not proxied. */
	public static class PlainService {

		public int work(int input) {
			return input + 1;
		}

	}

	/** Marks the methods the pass-through proxy advises. */
	@Retention(RetentionPolicy.RUNTIME)
	@Target(ElementType.METHOD)
	public @interface PassThrough {

	}

	/**
	 * Proxies {@link PassThrough} methods the way {@code @ConcurrencyLimit} and
	 * {@code @BoundedExecution} are applied (an advising post-processor), with an interceptor
	 * that only proceeds.
	 */
	static class PassThroughPostProcessor extends AbstractBeanFactoryAwareAdvisingPostProcessor {

		PassThroughPostProcessor() {
			this.advisor = new DefaultPointcutAdvisor(new AnnotationMatchingPointcut(null, PassThrough.class, true),
					(MethodInterceptor) MethodInvocation::proceed);
			setProxyTargetClass(true);
		}

	}

}
