package io.agentcontrolplane.autoconfigure.badinput;

import java.util.function.Consumer;
import java.util.stream.Stream;

import io.agentcontrolplane.annotation.BoundedExecution;
import io.agentcontrolplane.autoconfigure.AgentControlPlaneAutoConfiguration;
import io.agentcontrolplane.autoconfigure.aop.BoundedExecutionAutoConfiguration;
import io.agentcontrolplane.quota.ActionType;
import io.agentcontrolplane.quota.PolicyEngine;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

/**
 * The annotation rows of {@code docs/bad-input.md}: {@code @BoundedExecution} attributes with
 * invalid values. Values a proxy can check when the bean is created fail start-up (the row pins
 * the failure report's Description and Action); values only known per call (SpEL over the
 * arguments) fail the call (the row pins the exception type and message).
 */
class AnnotationBadInputTests {

	private static final String[] QUOTAS = { "agent-control-plane.quotas.worker.max-concurrent-executions=1",
			"agent-control-plane.quotas.a.max-concurrent-executions=1",
			"agent-control-plane.quotas.b.max-concurrent-executions=1" };

	static Stream<Arguments> startupRows() {
		return Stream.of(Arguments.of("maxWait = \"2 fortnights\"", BadMaxWaitUnit.class, 
						"@BoundedExecution on public void io.agentcontrolplane.autoconfigure.badinput.AnnotationBadInputTests$BadMaxWaitUnit.call() has maxWait = \"2 fortnights\", which is not a duration. || Action: Use a duration such as \"500ms\", \"2s\" or \"PT2S\" (units ns, us, ms, s, m, h, d)."),
				Arguments.of("maxWait = \"-1s\"", NegativeMaxWait.class, 
						"@BoundedExecution on public void io.agentcontrolplane.autoconfigure.badinput.AnnotationBadInputTests$NegativeMaxWait.call() has a negative maxWait \"-1s\". || Action: Use a duration >= 0; 0 means never wait."),
				Arguments.of("maxWait = \"${missing.wait}\"", UnresolvableMaxWait.class, 
						"@BoundedExecution on public void io.agentcontrolplane.autoconfigure.badinput.AnnotationBadInputTests$UnresolvableMaxWait.call() has maxWait = \"${missing.wait}\", whose placeholder cannot be resolved: Could not resolve placeholder 'missing.wait' in value \"${missing.wait}\". || Action: Define the property 'missing.wait', or give the placeholder a default, for example ${missing.wait:2s}."),
				Arguments.of("agent = \"\" (and no value)", NoAgent.class, 
						"@BoundedExecution on public void io.agentcontrolplane.autoconfigure.badinput.AnnotationBadInputTests$NoAgent.call() does not name an agent. || Action: Name the agent, for example @BoundedExecution(agent = \"research-agent\")."),
				Arguments.of("agent = \"   \"", BlankAgent.class, 
						"@BoundedExecution on public void io.agentcontrolplane.autoconfigure.badinput.AnnotationBadInputTests$BlankAgent.call() resolves to a blank agent id. || Action: Name the agent, for example @BoundedExecution(agent = \"research-agent\")."),
				Arguments.of("agent = \"${missing.agent}\"", UnresolvableAgent.class, 
						"@BoundedExecution on public void io.agentcontrolplane.autoconfigure.badinput.AnnotationBadInputTests$UnresolvableAgent.call() has agent = \"${missing.agent}\", whose placeholder cannot be resolved: Could not resolve placeholder 'missing.agent' in value \"${missing.agent}\". || Action: Define the property 'missing.agent', or give the placeholder a default, for example ${missing.agent:research-agent}."),
				Arguments.of("agent = \"#{#tenant\" (unclosed template)", UnclosedSpel.class, 
						"@BoundedExecution on public void io.agentcontrolplane.autoconfigure.badinput.AnnotationBadInputTests$UnclosedSpel.call(java.lang.String) has an agent id template '#{#tenant' that is not valid SpEL: Expression [#{#tenant] @0: No ending suffix '}' for expression starting at character 0: #{#tenant || Action: Fix the template, for example agent = \"tenant-#{#tenantId}\"."),
				Arguments.of("agent = \"#{#tenant +}\" (malformed expression)", MalformedSpel.class, 
						"@BoundedExecution on public void io.agentcontrolplane.autoconfigure.badinput.AnnotationBadInputTests$MalformedSpel.call(java.lang.String) has an agent id template '#{#tenant +}' that is not valid SpEL: Expression [#tenant +] @8: EL1042E: Problem parsing right operand || Action: Fix the template, for example agent = \"tenant-#{#tenantId}\"."),
				Arguments.of("agent = \"a\", value = \"b\"", ConflictingAgent.class, 
						"@BoundedExecution on public void io.agentcontrolplane.autoconfigure.badinput.AnnotationBadInputTests$ConflictingAgent.call() declares both agent = \"a\" and value = \"b\". || Action: Declare the agent id once, as agent or as value."),
				Arguments.of("action = {API_CALL, FILE_READ}", TwoActions.class, 
						"@BoundedExecution on public void io.agentcontrolplane.autoconfigure.badinput.AnnotationBadInputTests$TwoActions.call() declares 2 actions [API_CALL, FILE_READ]. || Action: Declare at most one action per method."),
				Arguments.of("action = API_CALL, actionName = \"tool:search\"", ActionAndActionName.class, 
						"@BoundedExecution on public void io.agentcontrolplane.autoconfigure.badinput.AnnotationBadInputTests$ActionAndActionName.call() declares both action = API_CALL and actionName = \"tool:search\". || Action: Declare the action once: action for one of the seven ActionTypes, or actionName for any action name (actionName = \"api-call\" is the same as action = API_CALL)."),
				Arguments.of("actionName = \"tool:\\tsearch\" (a tab)", TabInActionName.class, 
						"@BoundedExecution on public void io.agentcontrolplane.autoconfigure.badinput.AnnotationBadInputTests$TabInActionName.call() has an invalid actionName: actionName must not contain control characters (such as line breaks or tabs), was 'tool:\\u0009search'. || Action: Name the action with at most 128 characters, no control characters and no leading or trailing white space, for example actionName = \"email.send\"."),
				Arguments.of("agent = \"ghost\" (no quota, unknown-agent=reject)", GhostAgent.class, 
						"@BoundedExecution names agents without a quota 'ghost' (io.agentcontrolplane.autoconfigure.badinput.AnnotationBadInputTests$GhostAgent.call), and agent-control-plane.unknown-agent is 'reject': every call would be refused. || Action: Add a quota under agent-control-plane.quotas for each of [ghost], or set agent-control-plane.unknown-agent to 'allow' or 'default-quota'."));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("startupRows")
	void invalidAttributeFailsStartupWithTheDocumentedReport(String row, Class<?> service, @Nullable String expected) {
		String description = StartupFailures.describe(configurationFor(service), withReject(row));
		if (Boolean.getBoolean("acp.badinput.discover")) {
			System.out.println("| `" + row + "` | start-up | " + description + " |");
			return;
		}
		assertThat(description).as(row).isEqualTo(expected);
	}

	static Stream<Arguments> callRows() {
		return Stream.of(
				callRow("agent = \"#{#tenant}\", tenant null", (service) -> service.byTenant(null), 
						"java.lang.IllegalArgumentException: @BoundedExecution agent id '#tenant' on public void io.agentcontrolplane.autoconfigure.badinput.AnnotationBadInputTests$PerCallService.byTenant(java.lang.String) evaluated to null, expected a non-blank agent id"),
				callRow("agent = \"#{#tenant}\", tenant blank", (service) -> service.byTenant("  "), 
						"java.lang.IllegalArgumentException: @BoundedExecution agent id '#tenant' on public void io.agentcontrolplane.autoconfigure.badinput.AnnotationBadInputTests$PerCallService.byTenant(java.lang.String) evaluated to ' ', expected a non-blank agent id"),
				callRow("agent = \"#{#tenant.length() > 3 ? #tenant : null}\", tenant \"ab\"",
						(service) -> service.conditional("ab"), 
						"java.lang.IllegalArgumentException: @BoundedExecution agent id '#tenant.length() > 3 ? #tenant : null' on public void io.agentcontrolplane.autoconfigure.badinput.AnnotationBadInputTests$PerCallService.conditional(java.lang.String) evaluated to null, expected a non-blank agent id"),
				callRow("agent = \"#{#nosuch.id}\" (unknown variable)", (service) -> service.unknownVariable("x"), 
						"java.lang.IllegalArgumentException: @BoundedExecution agent id '#nosuch.id' on public void io.agentcontrolplane.autoconfigure.badinput.AnnotationBadInputTests$PerCallService.unknownVariable(java.lang.String) could not be evaluated: EL1007E: Property or field 'id' cannot be found on null"),
				callRow("agent = \"tenant-#{#tenant}\", tenant null", (service) -> service.prefixed(null), 
						"accepted: ran as agents [tenant-]"));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("callRows")
	void attributeThatIsBadOnlyForSomeArgumentsFailsTheCall(String row, Consumer<PerCallService> call,
			@Nullable String expected) {
		new ApplicationContextRunner()
			.withConfiguration(AutoConfigurations.of(AgentControlPlaneAutoConfiguration.class,
					BoundedExecutionAutoConfiguration.class))
			.withUserConfiguration(PerCallServices.class)
			.withPropertyValues("agent-control-plane.unknown-agent=default-quota")
			.run((context) -> {
				PerCallService service = context.getBean(PerCallService.class);
				PolicyEngine engine = context.getBean(PolicyEngine.class);
				Throwable thrown = catchThrowable(() -> call.accept(service));
				String outcome = (thrown != null) ? thrown.getClass().getName() + ": " + thrown.getMessage()
						: "accepted: ran as agents " + engine.snapshots().keySet();
				if (Boolean.getBoolean("acp.badinput.discover")) {
					System.out.println("| `" + row + "` | call | " + StartupFailures.normalise(outcome) + " |");
					return;
				}
				assertThat(StartupFailures.normalise(outcome)).as(row).isEqualTo(expected);
			});
	}

	private static Arguments callRow(String row, Consumer<PerCallService> call, @Nullable String expected) {
		return Arguments.of(row, call, expected);
	}

	private static String[] withReject(String row) {
		String[] properties = new String[QUOTAS.length + 1];
		System.arraycopy(QUOTAS, 0, properties, 0, QUOTAS.length);
		properties[QUOTAS.length] = "agent-control-plane.unknown-agent=" + (row.contains("ghost") ? "reject" : "allow");
		return properties;
	}

	private static Class<?> configurationFor(Class<?> service) {
		for (Class<?> candidate : AnnotationBadInputTests.class.getDeclaredClasses()) {
			Import imports = candidate.getAnnotation(Import.class);
			if (imports != null && imports.value().length == 2 && imports.value()[1] == service) {
				return candidate;
			}
		}
		throw new IllegalStateException("no configuration for " + service);
	}

	@Configuration(proxyBeanMethods = false)
	@Import({ BadInputApplication.class, BadMaxWaitUnit.class })
	static class BadMaxWaitUnitConfiguration {

	}

	@Configuration(proxyBeanMethods = false)
	@Import({ BadInputApplication.class, NegativeMaxWait.class })
	static class NegativeMaxWaitConfiguration {

	}

	@Configuration(proxyBeanMethods = false)
	@Import({ BadInputApplication.class, UnresolvableMaxWait.class })
	static class UnresolvableMaxWaitConfiguration {

	}

	@Configuration(proxyBeanMethods = false)
	@Import({ BadInputApplication.class, NoAgent.class })
	static class NoAgentConfiguration {

	}

	@Configuration(proxyBeanMethods = false)
	@Import({ BadInputApplication.class, BlankAgent.class })
	static class BlankAgentConfiguration {

	}

	@Configuration(proxyBeanMethods = false)
	@Import({ BadInputApplication.class, UnresolvableAgent.class })
	static class UnresolvableAgentConfiguration {

	}

	@Configuration(proxyBeanMethods = false)
	@Import({ BadInputApplication.class, UnclosedSpel.class })
	static class UnclosedSpelConfiguration {

	}

	@Configuration(proxyBeanMethods = false)
	@Import({ BadInputApplication.class, MalformedSpel.class })
	static class MalformedSpelConfiguration {

	}

	@Configuration(proxyBeanMethods = false)
	@Import({ BadInputApplication.class, ConflictingAgent.class })
	static class ConflictingAgentConfiguration {

	}

	@Configuration(proxyBeanMethods = false)
	@Import({ BadInputApplication.class, TwoActions.class })
	static class TwoActionsConfiguration {

	}

	@Configuration(proxyBeanMethods = false)
	@Import({ BadInputApplication.class, ActionAndActionName.class })
	static class ActionAndActionNameConfiguration {

	}

	@Configuration(proxyBeanMethods = false)
	@Import({ BadInputApplication.class, TabInActionName.class })
	static class TabInActionNameConfiguration {

	}

	@Configuration(proxyBeanMethods = false)
	@Import({ BadInputApplication.class, GhostAgent.class })
	static class GhostAgentConfiguration {

	}

	static class BadMaxWaitUnit {

		@BoundedExecution(agent = "worker", maxWait = "2 fortnights")
		public void call() {
		}

	}

	static class NegativeMaxWait {

		@BoundedExecution(agent = "worker", maxWait = "-1s")
		public void call() {
		}

	}

	static class UnresolvableMaxWait {

		@BoundedExecution(agent = "worker", maxWait = "${missing.wait}")
		public void call() {
		}

	}

	static class NoAgent {

		@BoundedExecution
		public void call() {
		}

	}

	static class BlankAgent {

		@BoundedExecution(agent = "   ")
		public void call() {
		}

	}

	static class UnresolvableAgent {

		@BoundedExecution(agent = "${missing.agent}")
		public void call() {
		}

	}

	static class UnclosedSpel {

		@BoundedExecution(agent = "#{#tenant")
		public void call(String tenant) {
		}

	}

	static class MalformedSpel {

		@BoundedExecution(agent = "#{#tenant +}")
		public void call(String tenant) {
		}

	}

	static class ConflictingAgent {

		@BoundedExecution(agent = "a", value = "b")
		public void call() {
		}

	}

	static class TwoActions {

		@BoundedExecution(agent = "worker", action = { ActionType.API_CALL, ActionType.FILE_READ })
		public void call() {
		}

	}

	static class ActionAndActionName {

		@BoundedExecution(agent = "worker", action = ActionType.API_CALL, actionName = "tool:search")
		public void call() {
		}

	}

	static class TabInActionName {

		@BoundedExecution(agent = "worker", actionName = "tool:\tsearch")
		public void call() {
		}

	}

	static class GhostAgent {

		@BoundedExecution(agent = "ghost")
		public void call() {
		}

	}

	@Configuration(proxyBeanMethods = false)
	static class PerCallServices {

		@Bean
		PerCallService perCallService() {
			return new PerCallService();
		}

	}

	/**
	 * One method per call row, each called on the proxy.
	 */
	static class PerCallService {

		@BoundedExecution(agent = "#{#tenant}")
		public void byTenant(@Nullable String tenant) {
		}

		@BoundedExecution(agent = "#{#tenant.length() > 3 ? #tenant : null}")
		public void conditional(@Nullable String tenant) {
		}

		@BoundedExecution(agent = "#{#nosuch.id}")
		public void unknownVariable(@Nullable String tenant) {
		}

		@BoundedExecution(agent = "tenant-#{#tenant}")
		public void prefixed(@Nullable String tenant) {
		}

	}

}
