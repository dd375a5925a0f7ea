package io.agentcontrolplane.autoconfigure.redis;

import java.time.Duration;
import java.util.Locale;

import io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration;
import io.agentcontrolplane.autoconfigure.AgentControlPlaneConfigurationException;
import io.agentcontrolplane.autoconfigure.AgentControlPlaneProperties;
import io.agentcontrolplane.autoconfigure.condition.ConditionalOnEnabledSwitch;
import io.agentcontrolplane.quota.PermitStore;
import io.agentcontrolplane.redis.RedisPermitStore;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;
import org.redisson.config.SingleServerConfig;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.env.Environment;

/**
 * {@link org.springframework.boot.autoconfigure.EnableAutoConfiguration Auto-configuration}
 * of the cluster-wide {@link RedisPermitStore}, when {@code agent-control-plane.store=redis}
 * and agent-control-plane-redis is on the classpath. The {@link PermitStore} bean is picked up
 * by the {@code PolicyEngine} of {@link AgentControlPlaneAutoConfiguration}.
 *
 * <p>The Redis connection is the application's {@link RedissonClient} bean when it defines one;
 * otherwise one is created from Spring Boot's own {@code spring.data.redis.*} properties
 * ({@code url}, {@code host}, {@code port}, {@code username}, {@code password},
 * {@code database}, {@code ssl.enabled}, {@code timeout}, {@code connect-timeout}), read from the
 * {@link Environment} so that Spring Data Redis is not required.
 */
@AutoConfiguration(before = AgentControlPlaneAutoConfiguration.class)
@ConditionalOnClass({ RedisPermitStore.class, RedissonClient.class })
@ConditionalOnEnabledSwitch
@ConditionalOnProperty(name = "agent-control-plane.store", havingValue = "redis")
@EnableConfigurationProperties(AgentControlPlaneProperties.class)
public final class AgentControlPlaneRedisAutoConfiguration {

	private static final String PREFIX = "agent-control-plane.redis";

	@Bean(destroyMethod = "shutdown")
	@ConditionalOnMissingBean(RedissonClient.class)
	RedissonClient agentControlPlaneRedissonClient(Environment environment) {
		return Redisson.create(redissonConfig(Binder.get(environment)));
	}

	@Bean
	@ConditionalOnMissingBean(PermitStore.class)
	RedisPermitStore redisPermitStore(RedissonClient redissonClient, AgentControlPlaneProperties properties) {
		AgentControlPlaneProperties.Redis redis = properties.getRedis();
		Duration leaseTime = redis.getLeaseTime();
		if (leaseTime == null || leaseTime.toMillis() < 100) {
			throw AgentControlPlaneConfigurationException.invalidProperty(PREFIX + ".lease-time", leaseTime,
					"a duration of at least 100ms");
		}
		Duration probeInterval = redis.getProbeInterval();
		if (probeInterval == null || probeInterval.toMillis() <= 0) {
			throw AgentControlPlaneConfigurationException.invalidProperty(PREFIX + ".probe-interval", probeInterval,
					"a duration > 0");
		}
		String keyPrefix = redis.getKeyPrefix();
		if (keyPrefix == null || keyPrefix.isBlank() || keyPrefix.indexOf('{') >= 0 || keyPrefix.indexOf('}') >= 0) {
			throw AgentControlPlaneConfigurationException.invalidProperty(PREFIX + ".key-prefix", keyPrefix,
					"a non-blank string without '{' or '}' (each agent's keys get a hash tag of their own)");
		}
		Duration commandTimeout = redis.getCommandTimeout();
		if (commandTimeout == null || commandTimeout.toMillis() < 1) {
			throw AgentControlPlaneConfigurationException.invalidProperty(PREFIX + ".command-timeout", commandTimeout,
					"a duration of at least 1ms");
		}
		Duration reconcileInterval = redis.getReconcileInterval();
		if (reconcileInterval == null || reconcileInterval.toMillis() < 100) {
			throw AgentControlPlaneConfigurationException.invalidProperty(PREFIX + ".reconcile-interval",
					reconcileInterval, "a duration of at least 100ms");
		}
		return RedisPermitStore.builder(redissonClient)
			.keyPrefix(keyPrefix)
			.leaseTime(leaseTime)
			.probeInterval(probeInterval)
			.commandTimeout(commandTimeout)
			.reconcileInterval(reconcileInterval)
			.clusterRateLimits(redis.isClusterRateLimits())
			.onUnavailable((redis.getOnUnavailable() == AgentControlPlaneProperties.OnUnavailable.FAIL_OPEN)
					? RedisPermitStore.OnUnavailable.FAIL_OPEN : RedisPermitStore.OnUnavailable.FAIL_CLOSED)
			.build();
	}

	@Configuration(proxyBeanMethods = false)
	@ConditionalOnClass(MeterBinder.class)
	static class RedisPermitStoreMetricsConfiguration {

		/**
		 * Gauge {@code agent.quota.store.available}: 1 while Redis answers for every agent
		 * (cluster-wide limits), 0 while the fallback is in force for at least one agent; and
		 * gauge {@code agent.quota.store.unavailable.agents}: how many agents are refused or
		 * counted locally now (their keys did not answer). Tags {@code store} and
		 * {@code on.unavailable}.
		 */
		@Bean
		MeterBinder redisPermitStoreMetrics(ObjectProvider<RedisPermitStore> redisPermitStore) {
			// Only when the store is ours: an application-defined PermitStore has its own meters.
			return (registry) -> redisPermitStore.ifUnique((redis) -> {
				String onUnavailable = redis.onUnavailable().name().toLowerCase(Locale.ROOT).replace('_', '-');
				Gauge.builder("agent.quota.store.available", redis, (store) -> store.isAvailable() ? 1 : 0)
					.description("Whether the cluster-wide permit store answers for every agent (1) or the fallback "
							+ "is in force for some (0)")
					.tag("store", "redis")
					.tag("on.unavailable", onUnavailable)
					.register(registry);
				Gauge.builder("agent.quota.store.unavailable.agents", redis, RedisPermitStore::unavailableAgents)
					.description("Agents whose keys in the permit store did not answer, refused or counted locally now")
					.baseUnit("agents")
					.tag("store", "redis")
					.tag("on.unavailable", onUnavailable)
					.register(registry);
			});
		}

	}

	/**
	 * A single-server Redisson configuration from {@code spring.data.redis.*}, with time-outs
	 * short enough that an unreachable Redis is noticed within seconds, not tens of seconds.
	 */
	static Config redissonConfig(Binder binder) {
		Config config = new Config();
		// Connect on first use: the application starts while Redis is down, and the store
		// fails closed (or open) until it answers, as it does when Redis fails later.
		config.setLazyInitialization(true);
		singleServer(binder, config);
		return config;
	}

	static SingleServerConfig singleServer(Binder binder, Config config) {
		String url = binder.bind("spring.data.redis.url", String.class).orElse(null);
		boolean ssl = binder.bind("spring.data.redis.ssl.enabled", Boolean.class).orElse(false);
		String address;
		if (url != null && !url.isBlank()) {
			address = url;
		}
		else {
			String host = binder.bind("spring.data.redis.host", String.class).orElse("localhost");
			int port = binder.bind("spring.data.redis.port", Integer.class).orElse(6379);
			address = (ssl ? "rediss://" : "redis://") + host + ":" + port;
		}
		Duration timeout = binder.bind("spring.data.redis.timeout", Duration.class).orElse(Duration.ofSeconds(2));
		Duration connectTimeout = binder.bind("spring.data.redis.connect-timeout", Duration.class)
			.orElse(Duration.ofSeconds(2));
		SingleServerConfig server = config.useSingleServer()
			.setAddress(address)
			.setDatabase(binder.bind("spring.data.redis.database", Integer.class).orElse(0))
			.setTimeout((int) timeout.toMillis())
			.setConnectTimeout((int) connectTimeout.toMillis())
			.setRetryAttempts(1);
		binder.bind("spring.data.redis.username", String.class).ifBound(server::setUsername);
		binder.bind("spring.data.redis.password", String.class).ifBound(server::setPassword);
		return server;
	}

}
