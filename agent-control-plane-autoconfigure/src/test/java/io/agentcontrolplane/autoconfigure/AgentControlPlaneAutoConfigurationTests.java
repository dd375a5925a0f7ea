package io.agentcontrolplane.autoconfigure;

import java.time.Duration;
import java.util.concurrent.Executors;

import io.agentcontrolplane.autoconfigure.actuate.QuotasEndpointAutoConfiguration;
import io.agentcontrolplane.concurrent.BoundedExecutor;
import io.agentcontrolplane.quota.ActionType;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.ResourceQuota;
import io.agentcontrolplane.quota.UnknownAgentPolicy;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.mock.env.MockEnvironment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

/**
 * Tests for {@link AgentControlPlaneAutoConfiguration}.
 */
class AgentControlPlaneAutoConfigurationTests {

	private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
		.withConfiguration(AutoConfigurations.of(AgentControlPlaneAutoConfiguration.class));

	@Test
	void createsPolicyEngineAndBoundedExecutorWithDefaults() {
		this.contextRunner.run((context) -> {
			assertThat(context).hasSingleBean(PolicyEngine.class).hasSingleBean(BoundedExecutor.class);
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			assertThat(engine.unknownAgentPolicy()).isEqualTo(UnknownAgentPolicy.ALLOW);
			assertThat(engine.snapshots()).isEmpty();
			AgentControlPlaneProperties properties = context.getBean(AgentControlPlaneProperties.class);
			assertThat(properties.getDefaults().getMaxConcurrentExecutions()).isEqualTo(5);
			assertThat(properties.getDefaults().getMaxWait()).isZero();
			assertThat(properties.getExecutor().getMaxConcurrency()).isEqualTo(16);
			assertThat(properties.getExecutor().getQueueCapacity()).isEqualTo(100);
			assertThat(properties.getWeb().isEnabled()).isTrue();
		});
	}

	@Test
	void executorPropertiesBecomeTheBoundedExecutorsDefaultBounds() {
		this.contextRunner
			.withPropertyValues("agent-control-plane.executor.max-concurrency=4",
					"agent-control-plane.executor.queue-capacity=12")
			.run((context) -> {
				BoundedExecutor executor = context.getBean(BoundedExecutor.class);
				assertThat(executor.defaultMaxConcurrency()).isEqualTo(4);
				assertThat(executor.defaultMaxQueueSize()).isEqualTo(12);
			});
	}

	@Test
	void tracksNoPermitAgesWhenNothingShowsThem() {
		this.contextRunner.withPropertyValues("agent-control-plane.quotas.a.max-concurrent-executions=1")
			.run((context) -> assertThat(oldestPermitAgeWhileOneIsHeld(context)).isNull());
	}

	@Test
	void tracksPermitAgesWhenTheQuotasEndpointShowsThem() {
		this.contextRunner
			.withConfiguration(AutoConfigurations.of(QuotasEndpointAutoConfiguration.class))
			.withPropertyValues("agent-control-plane.quotas.a.max-concurrent-executions=1",
					"management.endpoints.web.exposure.include=quotas")
			.run((context) -> assertThat(oldestPermitAgeWhileOneIsHeld(context)).isNotNull());
	}

	@Test
	void permitAgeTrackingFollowsThePropertyWhenSet() {
		this.contextRunner
			.withPropertyValues("agent-control-plane.quotas.a.max-concurrent-executions=1",
					"agent-control-plane.track-permit-age=true")
			.run((context) -> assertThat(oldestPermitAgeWhileOneIsHeld(context)).isNotNull());
		this.contextRunner
			.withConfiguration(AutoConfigurations.of(QuotasEndpointAutoConfiguration.class))
			.withPropertyValues("agent-control-plane.quotas.a.max-concurrent-executions=1",
					"management.endpoints.web.exposure.include=quotas", "agent-control-plane.track-permit-age=false")
			.run((context) -> assertThat(oldestPermitAgeWhileOneIsHeld(context)).isNull());
	}

	private static @Nullable Duration oldestPermitAgeWhileOneIsHeld(AssertableApplicationContext context) {
		PolicyEngine engine = context.getBean(PolicyEngine.class);
		try (var permit = engine.acquire("a")) {
			return engine.snapshot("a").orElseThrow().oldestPermitAge();
		}
	}

	@Test
	void quotasInheritEveryUnsetValueFromDefaults() {
		this.contextRunner
			.withPropertyValues("agent-control-plane.defaults.max-concurrent-executions=7",
					"agent-control-plane.defaults.max-wait=250ms", "agent-control-plane.defaults.fair=false",
					"agent-control-plane.defaults.max-requests-per-hour=1000",
					"agent-control-plane.defaults.max-execution-time=30s",
					"agent-control-plane.defaults.allowed-action-types=file-read",
					"agent-control-plane.quotas.research-agent.max-concurrent-executions=3",
					"agent-control-plane.quotas.research-agent.max-wait=2s",
					"agent-control-plane.quotas.research-agent.max-requests-per-minute=60",
					"agent-control-plane.quotas.research-agent.allowed-action-types=api-call,file-read",
					"agent-control-plane.quotas.writer.fair=true")
			.run((context) -> {
				PolicyEngine engine = context.getBean(PolicyEngine.class);
				ResourceQuota research = engine.getQuota("research-agent").orElseThrow();
				assertThat(research.maxConcurrentExecutions()).isEqualTo(3);
				assertThat(research.maxWait()).isEqualTo(Duration.ofSeconds(2));
				assertThat(research.fair()).isFalse();
				assertThat(research.maxRequestsPerMinute()).hasValue(60);
				assertThat(research.maxRequestsPerHour()).hasValue(1000);
				assertThat(research.maxExecutionTime()).contains(Duration.ofSeconds(30));
				assertThat(research.allowedActionTypes()).containsExactlyInAnyOrder(ActionType.API_CALL,
						ActionType.FILE_READ);
				ResourceQuota writer = engine.getQuota("writer").orElseThrow();
				assertThat(writer.maxConcurrentExecutions()).isEqualTo(7);
				assertThat(writer.maxWait()).isEqualTo(Duration.ofMillis(250));
				assertThat(writer.fair()).isTrue();
				assertThat(writer.maxRequestsPerMinute()).isEmpty();
				assertThat(writer.allowedActionTypes()).containsExactly(ActionType.FILE_READ);
			});
	}

	@Test
	void defaultQuotaPolicyUsesDefaultsAsTemplate() {
		this.contextRunner
			.withPropertyValues("agent-control-plane.unknown-agent=default-quota",
					"agent-control-plane.defaults.max-concurrent-executions=2")
			.run((context) -> {
				PolicyEngine engine = context.getBean(PolicyEngine.class);
				assertThat(engine.unknownAgentPolicy()).isEqualTo(UnknownAgentPolicy.DEFAULT_QUOTA);
				assertThat(engine.defaultQuota()).hasValueSatisfying(
						(quota) -> assertThat(quota.maxConcurrentExecutions()).isEqualTo(2));
				assertThat(engine.tryAcquireExecutionSlot("tenant-1")).isTrue();
				assertThat(engine.tryAcquireExecutionSlot("tenant-1")).isTrue();
				assertThat(engine.tryAcquireExecutionSlot("tenant-1")).isFalse();
			});
	}

	@Test
	void rejectPolicyIsApplied() {
		this.contextRunner.withPropertyValues("agent-control-plane.unknown-agent=reject")
			.run((context) -> assertThat(context.getBean(PolicyEngine.class).unknownAgentPolicy())
				.isEqualTo(UnknownAgentPolicy.REJECT));
	}

	@Test
	void backsOffWhenUserDefinesPolicyEngine() {
		this.contextRunner.withUserConfiguration(UserPolicyEngineConfiguration.class)
			.withPropertyValues("agent-control-plane.quotas.ignored.max-concurrent-executions=1")
			.run((context) -> {
				assertThat(context).hasSingleBean(PolicyEngine.class);
				assertThat(context.getBean(PolicyEngine.class)).isSameAs(context.getBean("userPolicyEngine"));
				assertThat(context.getBean(PolicyEngine.class).unknownAgentPolicy())
					.isEqualTo(UnknownAgentPolicy.REJECT);
				assertThat(context).hasSingleBean(BoundedExecutor.class);
			});
	}

	@Test
	void backsOffWhenUserDefinesBoundedExecutor() {
		this.contextRunner.withUserConfiguration(UserBoundedExecutorConfiguration.class).run((context) -> {
			assertThat(context).hasSingleBean(BoundedExecutor.class);
			assertThat(context.getBean(BoundedExecutor.class)).isSameAs(context.getBean("userBoundedExecutor"));
			assertThat(context).doesNotHaveBean(BoundedExecutorThreads.class);
		});
	}

	@Test
	void doesNotBackOffBootsTaskExecutor() {
		this.contextRunner.run((context) -> assertThat(context).doesNotHaveBean(java.util.concurrent.Executor.class));
	}

	@Test
	void boundedExecutorRunsTasksOnItsThreadsAndStopsThemOnClose() {
		this.contextRunner.run((context) -> {
			BoundedExecutor executor = context.getBean(BoundedExecutor.class);
			assertThat(executor.gather(2, java.util.List.of(() -> Thread.currentThread().getName())))
				.singleElement()
				.asString()
				.startsWith("agent-control-plane-");
		});
	}

	@Test
	void disabledKeepsTheBeansButTheEngineHoldsNoQuota() {
		this.contextRunner
			.withPropertyValues("agent-control-plane.enabled=false",
					"agent-control-plane.quotas.research.max-concurrent-executions=0")
			.run((context) -> {
				assertThat(context).hasSingleBean(PolicyEngine.class).hasSingleBean(BoundedExecutor.class);
				assertThat(context.getBean(PolicyEngine.class).getQuota("research")).isEmpty();
			});
	}

	@Test
	void enabledSwitchThatIsNotABooleanFailsStartupInsteadOfTurningEverythingOff() {
		assertBindFailure("agent-control-plane.enabled", "ture", "true or false");
	}

	@Test
	void negativeDefaultConcurrencyFailsStartup() {
		assertInvalid("agent-control-plane.defaults.max-concurrent-executions", "-1", "an integer >= 0");
	}

	@Test
	void negativeQuotaConcurrencyFailsStartup() {
		assertInvalid("agent-control-plane.quotas.research-agent.max-concurrent-executions", "-3",
				"an integer >= 0");
	}

	@Test
	void negativeMaxWaitFailsStartup() {
		assertInvalid("agent-control-plane.quotas.research-agent.max-wait", "-2s", "a duration >= 0");
	}

	@Test
	void negativeRateLimitFailsStartup() {
		assertInvalid("agent-control-plane.defaults.max-requests-per-minute", "-5", "an integer >= 0");
	}

	@Test
	void zeroMaxExecutionTimeFailsStartup() {
		assertInvalid("agent-control-plane.quotas.research-agent.max-execution-time", "0s", "a duration > 0");
	}

	@Test
	void zeroExecutorConcurrencyFailsStartup() {
		assertInvalid("agent-control-plane.executor.max-concurrency", "0", "an integer >= 1");
	}

	@Test
	void zeroQueueCapacityFailsStartup() {
		assertInvalid("agent-control-plane.executor.queue-capacity", "0", "an integer >= 1");
	}

	@Test
	void zeroDynamicAgentIdleTimeoutFailsStartup() {
		assertInvalid("agent-control-plane.dynamic-agents.idle-timeout", "0s", "a duration > 0");
	}

	@Test
	void defaultQuotaPolicyWithUnusableDefaultsFailsStartup() {
		this.contextRunner
			.withPropertyValues("agent-control-plane.unknown-agent=default-quota",
					"agent-control-plane.defaults.max-concurrent-executions=0")
			.run((context) -> assertInvalid(context, "agent-control-plane.defaults.max-concurrent-executions", "0",
					"a value >= 1 when agent-control-plane.unknown-agent is 'default-quota'"));
	}

	@Test
	void blankQuotaKeyFailsStartup() {
		this.contextRunner.withPropertyValues("agent-control-plane.quotas.[ ].max-concurrent-executions=1")
			.run((context) -> {
				assertThat(context).hasFailed();
				AgentControlPlaneConfigurationException failure = findCause(context.getStartupFailure(),
						AgentControlPlaneConfigurationException.class);
				assertThat(failure.getPropertyName()).isEqualTo("agent-control-plane.quotas");
				assertThat(failure.getMessage()).contains("agent-control-plane.quotas", "[ ]", "non-blank agent id");
			});
	}

	@Test
	void unknownDurationUnitFailsStartupWithBindError() {
		assertBindFailure("agent-control-plane.defaults.max-wait", "5 parsecs",
				"a duration such as 500ms, 2s or PT2S (units ns, us, ms, s, m, h, d)");
	}

	@Test
	void unknownActionTypeFailsStartupWithBindError() {
		assertBindFailure("agent-control-plane.quotas.research-agent.allowed-action-types", "launch-missiles",
				"a comma-separated list of code-execution, file-read, file-write, api-call, database-query, "
						+ "database-write, workflow-trigger");
	}

	@Test
	void unknownUnknownAgentPolicyFailsStartupWithBindError() {
		assertBindFailure("agent-control-plane.unknown-agent", "maybe", "one of allow, reject, default-quota");
	}

	@Test
	void overflowingIntegerFailsStartupWithBindError() {
		assertBindFailure("agent-control-plane.quotas.research-agent.max-requests-per-hour", "99999999999",
				"an integer from 0 to 2147483647");
	}

	@Test
	void integerThatIsAWordFailsStartupWithBindErrorNamingTheSmallestUsableValue() {
		assertBindFailure("agent-control-plane.executor.max-concurrency", "sixteen",
				"an integer from 1 to 2147483647");
	}

	@Test
	void booleanThatIsNeitherTrueNorFalseFailsStartupWithBindError() {
		assertBindFailure("agent-control-plane.defaults.fair", "sometimes", "true or false");
	}

	@Test
	void bindFailureAnalysisLeavesOtherPropertiesToSpringBoot() {
		MockEnvironment environment = new MockEnvironment().withProperty("other.limit", "five");
		BindException failure = catchThrowableOfType(BindException.class,
				() -> Binder.get(environment).bind("other.limit", Integer.class));
		assertThat(new AgentControlPlaneBindFailureAnalyzer().analyze(failure)).isNull();
	}

	@Test
	void failureAnalysisNamesPropertyValueAllowedValuesAndOrigin() {
		MockEnvironment environment = new MockEnvironment();
		environment.setProperty("agent-control-plane.executor.max-concurrency", "0");
		AgentControlPlaneConfigurationException failure = AgentControlPlaneConfigurationException
			.invalidProperty("agent-control-plane.executor.max-concurrency", 0, "an integer >= 1");
		FailureAnalysis analysis = new AgentControlPlaneConfigurationFailureAnalyzer(environment)
			.analyze(new IllegalStateException(failure));
		assertThat(analysis).isNotNull();
		assertThat(analysis.getDescription()).contains("'agent-control-plane.executor.max-concurrency'", "'0'",
				"an integer >= 1", "set in");
		assertThat(analysis.getAction()).contains("agent-control-plane.executor.max-concurrency", "an integer >= 1");
	}

	private void assertInvalid(String property, String value, String allowed) {
		this.contextRunner.withPropertyValues(property + "=" + value)
			.run((context) -> assertInvalid(context, property, value, allowed));
	}

	private void assertInvalid(AssertableApplicationContext context, String property, String value,
			String allowed) {
		assertThat(context).hasFailed();
		AgentControlPlaneConfigurationException failure = findCause(context.getStartupFailure(),
				AgentControlPlaneConfigurationException.class);
		assertThat(failure.getPropertyName()).isEqualTo(property);
		assertThat(failure.getMessage()).contains("'" + property + "'", allowed);
		assertThat(String.valueOf(failure.getValue())).isEqualTo(
				value.endsWith("s") ? org.springframework.boot.convert.DurationStyle.detectAndParse(value).toString()
						: value);
		FailureAnalysis analysis = new AgentControlPlaneConfigurationFailureAnalyzer(
				new MockEnvironment().withProperty(property, value))
			.analyze(context.getStartupFailure());
		assertThat(analysis).isNotNull();
		assertThat(analysis.getDescription()).contains(property, allowed);
		assertThat(analysis.getAction()).contains(property);
	}

	private void assertBindFailure(String property, String value, String allowed) {
		this.contextRunner.withPropertyValues(property + "=" + value).run((context) -> {
			assertThat(context).hasFailed();
			BindException failure = findCause(context.getStartupFailure(), BindException.class);
			assertThat(failure.getProperty()).isNotNull();
			assertThat(failure.getProperty().getName().toString()).startsWith(property);
			assertThat(failure.getProperty().getValue()).asString().contains(value);
			FailureAnalysis analysis = new AgentControlPlaneBindFailureAnalyzer().analyze(context.getStartupFailure());
			assertThat(analysis).isNotNull();
			assertThat(analysis.getDescription()).startsWith("Invalid value '" + value
					+ "' for configuration property '" + property + "': expected " + allowed + ". (set in ");
			assertThat(analysis.getAction()).isEqualTo("Update the value of '" + property + "' to " + allowed + ".");
		});
	}

	private static <T extends Throwable> T findCause(Throwable failure, Class<T> type) {
		Throwable candidate = failure;
		while (candidate != null) {
			if (type.isInstance(candidate)) {
				return type.cast(candidate);
			}
			candidate = candidate.getCause();
		}
		throw new AssertionError("No " + type.getName() + " in the cause chain of " + failure, failure);
	}

	@Configuration(proxyBeanMethods = false)
	static class UserPolicyEngineConfiguration {

		@Bean
		PolicyEngine userPolicyEngine() {
			return PolicyEngine.builder().unknownAgentPolicy(UnknownAgentPolicy.REJECT).build();
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class UserBoundedExecutorConfiguration {

		@Bean(destroyMethod = "close")
		BoundedExecutor userBoundedExecutor() {
			return new BoundedExecutor(Executors.newSingleThreadExecutor());
		}

	}

	@Test
	void maxAgentIdLengthIsApplied() {
		this.contextRunner.withPropertyValues("agent-control-plane.max-agent-id-length=8").run((context) -> {
			PolicyEngine engine = context.getBean(PolicyEngine.class);
			assertThatIllegalArgumentException().isThrownBy(() -> engine.tryAcquire("123456789"))
				.withMessageContaining("8");
		});
	}

}
