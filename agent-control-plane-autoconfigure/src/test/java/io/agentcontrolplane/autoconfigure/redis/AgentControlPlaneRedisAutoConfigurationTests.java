package io.agentcontrolplane.autoconfigure.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration;
import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PermitStore;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.RejectionReason;
import io.agentcontrolplane.redis.RedisPermitStore;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;
import org.redisson.config.SingleServerConfig;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.MapConfigurationPropertySource;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.mockito.Mockito.mock;

/**
 * Tests for {@link AgentControlPlaneRedisAutoConfiguration}.
 */
class AgentControlPlaneRedisAutoConfigurationTests {

	private static final String HOST = envOr("REDIS_HOST", "127.0.0.1");

	private static final int PORT = Integer.parseInt(envOr("REDIS_PORT", "6379"));

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner().withConfiguration(
			AutoConfigurations.of(AgentControlPlaneRedisAutoConfiguration.class, AgentControlPlaneAutoConfiguration.class));

	@Test
	void memoryIsTheDefaultAndNeedsNoRedis() {
		this.contextRunner.withPropertyValues("agent-control-plane.quotas.a.max-concurrent-executions=1")
			.run((context) -> {
				assertThat(context).hasNotFailed()
					.doesNotHaveBean(RedisPermitStore.class)
					.doesNotHaveBean(RedissonClient.class);
				assertThat(context.getBean(PolicyEngine.class).permitStoreName()).isEqualTo("memory");
			});
	}

	@Test
	void redisStoreKeepsTheEnginesPermitsClusterWide() {
		requireRedis();
		String prefix = "acp-test:autoconfigure:" + UUID.randomUUID();
		ApplicationContextRunner runner = this.contextRunner.withPropertyValues("agent-control-plane.store=redis",
				"agent-control-plane.redis.key-prefix=" + prefix, "spring.data.redis.host=" + HOST,
				"spring.data.redis.port=" + PORT, "agent-control-plane.quotas.a.max-concurrent-executions=1");
		runner.run((first) -> runner.run((second) -> {
			assertThat(first).hasSingleBean(RedisPermitStore.class).hasSingleBean(RedissonClient.class);
			PolicyEngine a = first.getBean(PolicyEngine.class);
			PolicyEngine b = second.getBean(PolicyEngine.class);
			assertThat(a.permitStoreName()).isEqualTo("redis");
			try (Permit permit = a.acquire("a")) {
				assertThat(b.tryAcquire("a")).isEmpty();
				assertThat(b.snapshot("a").orElseThrow().inFlight()).isEqualTo(1);
				assertThat(b.snapshot("a").orElseThrow().store()).isEqualTo("redis");
			}
			// The release is sent without waiting: the other instance sees it a moment later.
			org.awaitility.Awaitility.await()
				.atMost(java.time.Duration.ofSeconds(5))
				.untilAsserted(() -> assertThat(b.tryAcquire("a")).hasValueSatisfying(Permit::close));
			SimpleMeterRegistry registry = new SimpleMeterRegistry();
			first.getBean(MeterBinder.class).bindTo(registry);
			assertThat(registry.get("agent.quota.store.available").tag("on.unavailable", "fail-closed").gauge().value())
				.isEqualTo(1.0);
			assertThat(registry.get("agent.quota.store.unavailable.agents").gauge().value()).isZero();
			first.getBean(RedissonClient.class).getKeys().deleteByPattern("*" + prefix + "*");
		}));
	}

	@Test
	void redisStoreSharesTheBudgetsOfEveryApplicationUnlessClusterRateLimitsAreOff() {
		requireRedis();
		String prefix = "acp-test:autoconfigure-budgets:" + UUID.randomUUID();
		ApplicationContextRunner runner = this.contextRunner.withPropertyValues("agent-control-plane.store=redis",
				"agent-control-plane.redis.key-prefix=" + prefix, "spring.data.redis.host=" + HOST,
				"spring.data.redis.port=" + PORT, "agent-control-plane.quotas.a.budgets[0].unit=requests",
				"agent-control-plane.quotas.a.budgets[0].limit=2", "agent-control-plane.quotas.a.budgets[0].per=1h");
		runner.run((first) -> runner.run((second) -> {
			PolicyEngine a = first.getBean(PolicyEngine.class);
			PolicyEngine b = second.getBean(PolicyEngine.class);
			assertThat(a.checkRateLimit("a")).isTrue();
			assertThat(b.checkRateLimit("a")).isTrue();
			assertThat(a.checkRateLimit("a")).as("the budget of both applications is spent").isFalse();
			assertThat(b.snapshot("a").orElseThrow().budgets().get(0).remaining()).isZero();
		}));
		ApplicationContextRunner local = runner.withPropertyValues("agent-control-plane.redis.cluster-rate-limits=false");
		local.run((first) -> local.run((second) -> {
			assertThat(first.getBean(PolicyEngine.class).checkRateLimit("a")).isTrue();
			assertThat(first.getBean(PolicyEngine.class).checkRateLimit("a")).isTrue();
			assertThat(second.getBean(PolicyEngine.class).checkRateLimit("a")).as("per instance").isTrue();
			first.getBean(RedissonClient.class).getKeys().deleteByPattern("*" + prefix + "*");
		}));
	}

	@Test
	void startsWhileRedisIsDownAndFailsClosedUntilItAnswers() throws IOException {
		int port;
		try (java.net.ServerSocket socket = new java.net.ServerSocket(0)) {
			port = socket.getLocalPort();
		}
		this.contextRunner
			.withPropertyValues("agent-control-plane.store=redis", "spring.data.redis.host=127.0.0.1",
					"spring.data.redis.port=" + port, "spring.data.redis.timeout=300ms",
					"spring.data.redis.connect-timeout=300ms", "agent-control-plane.quotas.a.max-concurrent-executions=1")
			.run((context) -> {
				assertThat(context).hasNotFailed();
				PolicyEngine engine = context.getBean(PolicyEngine.class);
				assertThatExceptionOfType(QuotaExceededException.class).isThrownBy(() -> engine.acquire("a"))
					.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(RejectionReason.STORE_UNAVAILABLE));
				assertThat(engine.snapshot("a").orElseThrow().store()).isEqualTo("redis (fail-closed: unavailable)");
			});
	}

	@Test
	void redisPropertiesAreApplied() {
		this.contextRunner.withBean(RedissonClient.class, () -> mock(RedissonClient.class))
			.withPropertyValues("agent-control-plane.store=redis", "agent-control-plane.redis.on-unavailable=fail-open",
					"agent-control-plane.redis.lease-time=5s", "agent-control-plane.redis.key-prefix=orders",
					"agent-control-plane.redis.cluster-rate-limits=false", "agent-control-plane.redis.command-timeout=120ms",
					"agent-control-plane.redis.reconcile-interval=3s")
			.run((context) -> {
				RedisPermitStore store = context.getBean(RedisPermitStore.class);
				assertThat(store.commandTimeout()).isEqualTo(Duration.ofMillis(120));
				assertThat(store.reconcileInterval()).isEqualTo(Duration.ofSeconds(3));
				assertThat(store.onUnavailable()).isEqualTo(RedisPermitStore.OnUnavailable.FAIL_OPEN);
				assertThat(store.leaseTime()).isEqualTo(Duration.ofSeconds(5));
				assertThat(store.keyPrefix()).isEqualTo("orders");
				assertThat(context.getBean(PolicyEngine.class).permitStoreName()).isEqualTo("redis");
			});
	}

	@Test
	void backsOffWhenUserDefinesPermitStore() {
		this.contextRunner.withBean(PermitStore.class, PermitStore::inMemory)
			.withPropertyValues("agent-control-plane.store=redis")
			.withBean(RedissonClient.class, () -> mock(RedissonClient.class))
			.run((context) -> {
				assertThat(context).hasNotFailed().doesNotHaveBean(RedisPermitStore.class);
				assertThat(context.getBean(PolicyEngine.class).permitStoreName()).isEqualTo("memory");
			});
	}

	@Test
	void failsWhenRedisIsChosenButTheRedisModuleIsMissing() {
		this.contextRunner.withClassLoader(new FilteredClassLoader(RedisPermitStore.class))
			.withPropertyValues("agent-control-plane.store=redis")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("agent-control-plane.store")
				.hasMessageContaining("redis"));
	}

	@Test
	void invalidLeaseTimeFailsStartUp() {
		this.contextRunner.withBean(RedissonClient.class, () -> mock(RedissonClient.class))
			.withPropertyValues("agent-control-plane.store=redis", "agent-control-plane.redis.lease-time=10ms")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("agent-control-plane.redis.lease-time")
				.hasMessageContaining("at least 100ms"));
	}

	@Test
	void commandTimeoutAndReconcileIntervalDefaultToLowBounds() {
		this.contextRunner.withBean(RedissonClient.class, () -> mock(RedissonClient.class))
			.withPropertyValues("agent-control-plane.store=redis")
			.run((context) -> {
				RedisPermitStore store = context.getBean(RedisPermitStore.class);
				assertThat(store.commandTimeout()).isEqualTo(Duration.ofMillis(250));
				assertThat(store.reconcileInterval()).isEqualTo(Duration.ofSeconds(10));
			});
	}

	@Test
	void keyPrefixWithBracesFailsStartUp() {
		this.contextRunner.withBean(RedissonClient.class, () -> mock(RedissonClient.class))
			.withPropertyValues("agent-control-plane.store=redis", "agent-control-plane.redis.key-prefix=svc{1}")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("agent-control-plane.redis.key-prefix")
				.hasMessageContaining("svc{1}")
				.hasMessageContaining("without '{' or '}'"));
	}

	@Test
	void invalidCommandTimeoutAndReconcileIntervalFailStartUp() {
		this.contextRunner.withBean(RedissonClient.class, () -> mock(RedissonClient.class))
			.withPropertyValues("agent-control-plane.store=redis", "agent-control-plane.redis.command-timeout=0ms")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("agent-control-plane.redis.command-timeout")
				.hasMessageContaining("at least 1ms"));
		this.contextRunner.withBean(RedissonClient.class, () -> mock(RedissonClient.class))
			.withPropertyValues("agent-control-plane.store=redis", "agent-control-plane.redis.reconcile-interval=10ms")
			.run((context) -> assertThat(context).hasFailed()
				.getFailure()
				.rootCause()
				.hasMessageContaining("agent-control-plane.redis.reconcile-interval")
				.hasMessageContaining("at least 100ms"));
	}

	@Test
	void connectionSettingsComeFromSpringDataRedis() {
		Binder binder = new Binder(new MapConfigurationPropertySource(Map.of("spring.data.redis.host", "cache.internal",
				"spring.data.redis.port", "6380", "spring.data.redis.password", "secret", "spring.data.redis.username",
				"app", "spring.data.redis.database", "3", "spring.data.redis.ssl.enabled", "true",
				"spring.data.redis.timeout", "750ms")));
		SingleServerConfig server = AgentControlPlaneRedisAutoConfiguration.singleServer(binder, new Config());
		assertThat(server.getAddress()).isEqualTo("rediss://cache.internal:6380");
		assertThat(server.getPassword()).isEqualTo("secret");
		assertThat(server.getUsername()).isEqualTo("app");
		assertThat(server.getDatabase()).isEqualTo(3);
		assertThat(server.getTimeout()).isEqualTo(750);
		SingleServerConfig byUrl = AgentControlPlaneRedisAutoConfiguration.singleServer(
				new Binder(new MapConfigurationPropertySource(Map.of("spring.data.redis.url", "redis://10.0.0.5:7000"))),
				new Config());
		assertThat(byUrl.getAddress()).isEqualTo("redis://10.0.0.5:7000");
	}

	/**
	 * Fail in CI, skip loudly elsewhere, when no Redis answers.
	 */
	private static void requireRedis() {
		String problem = ping();
		if (problem == null) {
			return;
		}
		String why = "no Redis answers PING on " + HOST + ":" + PORT + " (" + problem + ")";
		if (System.getenv("CI") != null) {
			Assertions.fail("Redis tests cannot run in CI: " + why);
		}
		System.err.println("*** REDIS TESTS SKIPPED: " + why + " ***");
		Assumptions.abort("REDIS TESTS SKIPPED: " + why);
	}

	private static String ping() {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress(HOST, PORT), 1000);
			socket.setSoTimeout(1000);
			OutputStream out = socket.getOutputStream();
			out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
			out.flush();
			InputStream in = socket.getInputStream();
			byte[] buffer = new byte[64];
			int read = in.read(buffer);
			String answer = (read > 0) ? new String(buffer, 0, read, StandardCharsets.US_ASCII) : "";
			return answer.startsWith("+PONG") ? null : "answered '" + answer.trim() + "'";
		}
		catch (IOException ex) {
			return ex.toString();
		}
	}

	private static String envOr(String name, String fallback) {
		String value = System.getenv(name);
		return (value != null && !value.isBlank()) ? value : fallback;
	}

}
