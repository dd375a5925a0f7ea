package io.agentcontrolplane.badinput;

import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.stream.Stream;

import io.agentcontrolplane.concurrent.BoundedExecutor;
import io.agentcontrolplane.quota.ActionType;
import io.agentcontrolplane.quota.InvalidAgentIdException;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.ResourceQuota;
import io.agentcontrolplane.quota.UnknownAgentPolicy;
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The core API rows of {@code docs/bad-input.md}: every argument of {@link ResourceQuota},
 * {@link PolicyEngine} and {@link BoundedExecutor} tried with invalid values, each row asserting
 * the exact exception type and message the table shows ({@code accepted} rows assert that the
 * value is taken, and what it then does). Row names are the table's first column.
 */
class CoreApiBadInputTests {

	private static final ExecutorService POOL = Executors.newCachedThreadPool();

	private static final BoundedExecutor EXECUTOR = new BoundedExecutor(POOL);

	private static final List<Callable<Integer>> TASKS = List.of(() -> 1, () -> 2);

	@AfterAll
	static void stopPool() throws InterruptedException {
		POOL.shutdownNow();
		assertThat(POOL.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
	}

	static Stream<Arguments> rows() {
		return Stream.of(
				// ResourceQuota
				row("ResourceQuota.builder(agentId) null", () -> ResourceQuota.builder(null),
						IllegalArgumentException.class, "agentId must not be null or blank, was null"),
				row("ResourceQuota.builder(agentId) blank", () -> ResourceQuota.builder("  "),
						IllegalArgumentException.class, "agentId must not be null or blank, was '  '"),
				row("maxConcurrentExecutions negative", () -> ResourceQuota.builder("a").maxConcurrentExecutions(-1),
						IllegalArgumentException.class, "maxConcurrentExecutions must be >= 0, was -1"),
				row("maxConcurrentExecutions Integer.MIN_VALUE",
						() -> ResourceQuota.of("a", Integer.MIN_VALUE), IllegalArgumentException.class,
						"maxConcurrentExecutions must be >= 0, was -2147483648"),
				accepted("maxConcurrentExecutions Integer.MAX_VALUE",
						() -> ResourceQuota.of("a", Integer.MAX_VALUE).maxConcurrentExecutions()),
				row("maxWait negative", () -> ResourceQuota.builder("a").maxWait(Duration.ofSeconds(-1)),
						IllegalArgumentException.class, "maxWait must be >= 0, was PT-1S"),
				row("maxWait null", () -> ResourceQuota.builder("a").maxWait(null), IllegalArgumentException.class,
						"maxWait must not be null"),
				accepted("maxWait huge (Long.MAX_VALUE seconds)",
						() -> ResourceQuota.builder("a").maxWait(Duration.ofSeconds(Long.MAX_VALUE)).build().maxWait()),
				row("maxRequestsPerMinute negative", () -> ResourceQuota.builder("a").maxRequestsPerMinute(-1),
						IllegalArgumentException.class, "maxRequestsPerMinute must be >= 0, was -1"),
				row("maxRequestsPerHour negative", () -> ResourceQuota.builder("a").maxRequestsPerHour(-5),
						IllegalArgumentException.class, "maxRequestsPerHour must be >= 0, was -5"),
				row("maxExecutionTime zero", () -> ResourceQuota.builder("a").maxExecutionTime(Duration.ZERO),
						IllegalArgumentException.class, "maxExecutionTime must be > 0, was PT0S"),
				row("maxExecutionTime negative",
						() -> ResourceQuota.builder("a").maxExecutionTime(Duration.ofMillis(-1)),
						IllegalArgumentException.class, "maxExecutionTime must be > 0, was PT-0.001S"),
				row("allowedActionTypes null array",
						() -> ResourceQuota.builder("a").allowedActionTypes((ActionType[]) null),
						IllegalArgumentException.class, "allowedActionTypes must not be null"),
				row("allowedActionTypes containing null",
						() -> ResourceQuota.builder("a").allowedActionTypes(new HashSet<>(Arrays.asList((ActionType) null))),
						IllegalArgumentException.class, "allowedActionTypes must not be null or contain null, was [null]"),
				// PolicyEngine.Builder
				row("Builder.maxDynamicAgents zero", () -> PolicyEngine.builder().maxDynamicAgents(0),
						IllegalArgumentException.class, "maxDynamicAgents must be > 0, was 0"),
				row("Builder.dynamicAgentIdleTimeout zero", () -> PolicyEngine.builder().dynamicAgentIdleTimeout(Duration.ZERO),
						IllegalArgumentException.class, "dynamicAgentIdleTimeout must be > 0, was PT0S"),
				row("Builder.dynamicAgentIdleTimeout null", () -> PolicyEngine.builder().dynamicAgentIdleTimeout(null),
						IllegalArgumentException.class, "dynamicAgentIdleTimeout must not be null"),
				row("Builder.unknownAgentPolicy null", () -> PolicyEngine.builder().unknownAgentPolicy(null),
						NullPointerException.class, "unknownAgentPolicy"),
				row("Builder.defaultQuota null", () -> PolicyEngine.builder().defaultQuota(null),
						NullPointerException.class, "defaultQuota"),
				row("Builder.clock null", () -> PolicyEngine.builder().clock(null), NullPointerException.class, "clock"),
				// PolicyEngine
				row("setQuota agentId differs from quota.agentId",
						() -> new PolicyEngine().setQuota("a", ResourceQuota.of("b", 1)), IllegalArgumentException.class,
						"quota.agentId must equal agentId 'a', was 'b'"),
				row("setQuota agentId null", () -> new PolicyEngine().setQuota(null, ResourceQuota.of("b", 1)),
						NullPointerException.class, "agentId"),
				row("setQuota quota null", () -> new PolicyEngine().setQuota("a", null), NullPointerException.class,
						"quota"),
				row("tryAcquire agentId null", () -> new PolicyEngine().tryAcquire(null), NullPointerException.class,
						"agentId"),
				row("acquire agentId null", () -> new PolicyEngine().acquire(null), NullPointerException.class,
						"agentId"),
				row("acquireAsync agentId null", () -> new PolicyEngine().acquireAsync(null),
						NullPointerException.class, "agentId"),
				row("tryAcquireExecutionSlot agentId null", () -> new PolicyEngine().tryAcquireExecutionSlot(null),
						NullPointerException.class, "agentId"),
				row("releaseExecutionSlot agentId null", () -> new PolicyEngine().releaseExecutionSlot(null),
						NullPointerException.class, "agentId"),
				row("checkRateLimit agentId null", () -> new PolicyEngine().checkRateLimit(null),
						NullPointerException.class, "agentId"),
				row("acquire agentId blank (ALLOW)", () -> new PolicyEngine().acquire(" "),
						InvalidAgentIdException.class, "agentId must not be null or blank, was ' '"),
				row("acquire agentId blank (REJECT)", () -> engine(UnknownAgentPolicy.REJECT).acquire(" "),
						InvalidAgentIdException.class, "agentId must not be null or blank, was ' '"),
				row("acquire agentId blank (DEFAULT_QUOTA)", () -> engine(UnknownAgentPolicy.DEFAULT_QUOTA).acquire(" "),
						InvalidAgentIdException.class, "agentId must not be null or blank, was ' '"),
				row("tryAcquire agentId blank", () -> new PolicyEngine().tryAcquire(""),
						InvalidAgentIdException.class, "agentId must not be null or blank, was ''"),
				row("admitAsync agentId blank", () -> new PolicyEngine().admitAsync("  ", null, null),
						InvalidAgentIdException.class, "agentId must not be null or blank, was '  '"),
				row("tryAcquireExecutionSlot agentId blank", () -> new PolicyEngine().tryAcquireExecutionSlot(" "),
						InvalidAgentIdException.class, "agentId must not be null or blank, was ' '"),
				row("releaseExecutionSlot agentId blank (ALLOW)", () -> new PolicyEngine().releaseExecutionSlot(" "),
						InvalidAgentIdException.class, "agentId must not be null or blank, was ' '"),
				row("checkRateLimit agentId blank", () -> new PolicyEngine().checkRateLimit(" ", ActionType.API_CALL),
						InvalidAgentIdException.class, "agentId must not be null or blank, was ' '"),
				row("acquire agentId longer than maxAgentIdLength", () -> new PolicyEngine().acquire("x".repeat(257)),
						InvalidAgentIdException.class, "agentId must be at most 256 characters (maxAgentIdLength), was"
								+ " 257 characters starting '" + "x".repeat(32) + "...'"),
				accepted("snapshot agentId blank (unknown: empty)",
						() -> new PolicyEngine().snapshot(" ").orElse(null)),
				row("releaseExecutionSlot with no slot held", () -> engineWithQuota().releaseExecutionSlot("a"),
						IllegalStateException.class, "No execution slot of agent 'a' is held (limit 1)"),
				row("releaseExecutionSlot with only a Permit held", () -> {
					PolicyEngine engine = engineWithQuota();
					engine.tryAcquire("a").orElseThrow();
					engine.releaseExecutionSlot("a");
				}, IllegalStateException.class, "No execution slot of agent 'a' is held (limit 1)"),
				row("releaseExecutionSlot unknown agent (REJECT)",
						() -> engine(UnknownAgentPolicy.REJECT).releaseExecutionSlot("ghost"), IllegalStateException.class,
						"No execution slot of agent 'ghost' is held"),
				row("admit maxWait negative", () -> engineWithQuota().admit("a", null, Duration.ofSeconds(-1)),
						IllegalArgumentException.class, "maxWait must be >= 0, was PT-1S"),
				row("admitAsync maxWait negative", () -> engineWithQuota().admitAsync("a", null, Duration.ofMillis(-5)),
						IllegalArgumentException.class, "maxWait must be >= 0, was PT-0.005S"),
				row("checkRateLimit action type null", () -> engineWithQuota().checkRateLimit("a", (ActionType) null),
						NullPointerException.class, "action"),
				row("checkRateLimit action name null", () -> engineWithQuota().checkRateLimit("a", (String) null),
						NullPointerException.class, "action"),
				row("checkRateLimit action name blank", () -> engineWithQuota().checkRateLimit("a", " "),
						IllegalArgumentException.class, "action must not be blank, was ' '"),
				row("admitAction action name with a line break",
						() -> engineWithQuota().admitAction("a", "tool:x\nDELETE", null), IllegalArgumentException.class,
						"action must not contain control characters (such as line breaks or tabs), was"
								+ " 'tool:x\\u000aDELETE'"),
				row("checkAction action name longer than 128", () -> engineWithQuota().checkAction("a", "t".repeat(129)),
						IllegalArgumentException.class, "action must be at most 128 characters, was 129 characters: '"
								+ "t".repeat(40) + "...'"),
				row("allowedActions entry blank", () -> ResourceQuota.builder("a").allowedActions("tool:x", ""),
						IllegalArgumentException.class, "allowedActions[1] must not be blank, was ''"),
				row("allowedActions entry null", () -> ResourceQuota.builder("a").allowedActions("tool:x", null),
						IllegalArgumentException.class, "allowedActions[1] must not be null"),
				row("allowedActions entry with a tab", () -> ResourceQuota.builder("a").allowedActions("tool:\tx"),
						IllegalArgumentException.class, "allowedActions[0] must not contain control characters"
								+ " (such as line breaks or tabs), was 'tool:\\u0009x'"),
				row("allowedActions entry with trailing blank", () -> ResourceQuota.builder("a").allowedActions("tool:x "),
						IllegalArgumentException.class, "allowedActions[0] must not start or end with white space, was"
								+ " 'tool:x '"),
				row("snapshot agentId null", () -> new PolicyEngine().snapshot(null), NullPointerException.class,
						"agentId"),
				row("getQuota agentId null", () -> new PolicyEngine().getQuota(null), NullPointerException.class,
						"agentId"),
				row("addListener null", () -> new PolicyEngine().addListener(null), NullPointerException.class,
						"listener"),
				// BoundedExecutor
				row("new BoundedExecutor(executor) null", () -> new BoundedExecutor(null), NullPointerException.class,
						"executor must not be null"),
				row("gather maxConcurrency zero", () -> EXECUTOR.gather(0, TASKS), IllegalArgumentException.class,
						"maxConcurrency must be > 0, was 0"),
				row("gather maxConcurrency negative", () -> EXECUTOR.gather(-3, TASKS), IllegalArgumentException.class,
						"maxConcurrency must be > 0, was -3"),
				accepted("gather maxConcurrency Integer.MAX_VALUE",
						() -> EXECUTOR.gather(Integer.MAX_VALUE, TASKS)),
				row("gather tasks null", () -> EXECUTOR.gather(2, null), NullPointerException.class,
						"tasks must not be null"),
				row("gather task null", () -> EXECUTOR.gather(2, Arrays.asList(() -> 1, null)), NullPointerException.class,
						"tasks must not contain null, found at index 1"),
				row("gather semaphore null", () -> EXECUTOR.gather((Semaphore) null, TASKS), NullPointerException.class,
						"semaphore must not be null"),
				row("gatherSettled maxConcurrency zero", () -> EXECUTOR.gatherSettled(0, TASKS),
						IllegalArgumentException.class, "maxConcurrency must be > 0, was 0"),
				row("gatherAsync maxConcurrency zero",
						() -> EXECUTOR.gatherAsync(0, List.<Supplier<java.util.concurrent.CompletionStage<Integer>>>of()),
						IllegalArgumentException.class, "maxConcurrency must be > 0, was 0"),
				row("gatherForAgent agentId null", () -> EXECUTOR.gatherForAgent(null, TASKS),
						NullPointerException.class, "agentId must not be null"),
				row("process maxWorkers zero", () -> EXECUTOR.process(List.of(1), Function.identity(), 0, 10),
						IllegalArgumentException.class, "maxWorkers must be > 0, was 0"),
				row("process maxQueueSize zero", () -> EXECUTOR.process(List.of(1), Function.identity(), 2, 0),
						IllegalArgumentException.class, "maxQueueSize must be > 0, was 0"),
				accepted("process maxQueueSize Integer.MAX_VALUE",
						() -> assertThat(EXECUTOR.process(List.of(1, 2, 3), (Integer i) -> i * 10, 2, Integer.MAX_VALUE))
							.containsExactly(10, 20, 30)),
				accepted("processEach maxQueueSize Integer.MAX_VALUE",
						() -> EXECUTOR.processEach(List.of(1, 2, 3), Function.identity(), 2, Integer.MAX_VALUE,
								(item, result) -> {
								})),
				row("process items null", () -> EXECUTOR.process(null, Function.identity(), 2, 10),
						NullPointerException.class, "items must not be null"),
				row("process processor null", () -> EXECUTOR.process(List.of(1), null, 2, 10),
						NullPointerException.class, "processor must not be null"),
				row("processEach onResult null",
						() -> EXECUTOR.processEach(List.of(1), Function.identity(), 2, 10, null),
						NullPointerException.class, "onResult must not be null"));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("rows")
	void badInputGetsTheDocumentedAnswer(String row, ThrowingCallable call, @Nullable Class<? extends Throwable> type,
			@Nullable String message) {
		if (Boolean.getBoolean("acp.badinput.discover")) {
			Throwable thrown = catchThrowable(call);
			System.out.println("| " + row + " | " + ((thrown != null) ? thrown.getClass().getSimpleName() + ": "
					+ thrown.getMessage() : "accepted") + " |");
		}
		if (type == null) {
			Throwable thrown = catchThrowable(call);
			assertThat(thrown).as("row '%s' is documented as accepted", row).isNull();
			return;
		}
		if (message == null) {
			assertThatThrownBy(call).as(row).isExactlyInstanceOf(type).hasMessage(null);
		}
		else {
			assertThatThrownBy(call).as(row).isExactlyInstanceOf(type).hasMessage(message);
		}
	}

	private static Arguments row(String name, ThrowingCallable call, Class<? extends Throwable> type,
			@Nullable String message) {
		return Arguments.of(name, call, type, message);
	}

	private static Arguments accepted(String name, Callable<?> call) {
		return Arguments.of(name, (ThrowingCallable) call::call, null, null);
	}

	private static PolicyEngine engine(UnknownAgentPolicy policy) {
		return PolicyEngine.builder().unknownAgentPolicy(policy).build();
	}

	private static PolicyEngine engineWithQuota() {
		PolicyEngine engine = new PolicyEngine();
		engine.setQuota("a", ResourceQuota.of("a", 1));
		return engine;
	}

}
