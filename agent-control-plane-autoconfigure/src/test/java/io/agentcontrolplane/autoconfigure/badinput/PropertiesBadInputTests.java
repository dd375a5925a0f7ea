package io.agentcontrolplane.autoconfigure.badinput;

import java.util.stream.Stream;

import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The property rows of {@code docs/bad-input.md}: each {@code agent-control-plane.*} property
 * with an invalid value, started as a real application; the assertion is the exact
 * "Description" a user reads in the failure report ({@code null}: the application starts).
 */
class PropertiesBadInputTests {

	static Stream<Arguments> rows() {
		return Stream.of(
				row("agent-control-plane.enabled=perhaps",
						"Invalid value 'perhaps' for configuration property 'agent-control-plane.enabled': expected true or false. (set in \"agent-control-plane.enabled\" from property source \"commandLineArgs\") || Action: Update the value of 'agent-control-plane.enabled' to true or false."),
				row("agent-control-plane.unknown-agent=maybe",
						"Invalid value 'maybe' for configuration property 'agent-control-plane.unknown-agent': expected one of allow, reject, default-quota. (set in \"agent-control-plane.unknown-agent\" from property source \"commandLineArgs\") || Action: Update the value of 'agent-control-plane.unknown-agent' to one of allow, reject, default-quota."),
				row("agent-control-plane.defaults.max-concurrent-executions=-1",
						"Invalid value '-1' for configuration property 'agent-control-plane.defaults.max-concurrent-executions': expected an integer >= 0. (set in \"agent-control-plane.defaults.max-concurrent-executions\" from property source \"commandLineArgs\") || Action: Update the value of 'agent-control-plane.defaults.max-concurrent-executions' to an integer >= 0."),
				row("agent-control-plane.defaults.max-concurrent-executions=99999999999",
						"Invalid value '99999999999' for configuration property 'agent-control-plane.defaults.max-concurrent-executions': expected an integer from 0 to 2147483647. (set in \"agent-control-plane.defaults.max-concurrent-executions\" from property source \"commandLineArgs\") || Action: Update the value of 'agent-control-plane.defaults.max-concurrent-executions' to an integer from 0 to 2147483647."),
				row("agent-control-plane.defaults.max-concurrent-executions=five",
						"Invalid value 'five' for configuration property 'agent-control-plane.defaults.max-concurrent-executions': expected an integer from 0 to 2147483647. (set in \"agent-control-plane.defaults.max-concurrent-executions\" from property source \"commandLineArgs\") || Action: Update the value of 'agent-control-plane.defaults.max-concurrent-executions' to an integer from 0 to 2147483647."),
				row("agent-control-plane.defaults.max-wait=-1s",
						"Invalid value '-1 s' for configuration property 'agent-control-plane.defaults.max-wait': expected a duration >= 0 (for example 0s, 500ms or 2s). (set in \"agent-control-plane.defaults.max-wait\" from property source \"commandLineArgs\") || Action: Update the value of 'agent-control-plane.defaults.max-wait' to a duration >= 0 (for example 0s, 500ms or 2s)."),
				row("agent-control-plane.defaults.max-wait=2fortnights",
						"Invalid value '2fortnights' for configuration property 'agent-control-plane.defaults.max-wait': expected a duration such as 500ms, 2s or PT2S (units ns, us, ms, s, m, h, d). (set in \"agent-control-plane.defaults.max-wait\" from property source \"commandLineArgs\") || Action: Update the value of 'agent-control-plane.defaults.max-wait' to a duration such as 500ms, 2s or PT2S (units ns, us, ms, s, m, h, d)."),
				row("agent-control-plane.defaults.max-wait=",
						null),
				row("agent-control-plane.defaults.fair=sometimes",
						"Invalid value 'sometimes' for configuration property 'agent-control-plane.defaults.fair': expected true or false. (set in \"agent-control-plane.defaults.fair\" from property source \"commandLineArgs\") || Action: Update the value of 'agent-control-plane.defaults.fair' to true or false."),
				row("agent-control-plane.defaults.max-requests-per-minute=-1",
						"Invalid value '-1' for configuration property 'agent-control-plane.defaults.max-requests-per-minute': expected an integer >= 0. (set in \"agent-control-plane.defaults.max-requests-per-minute\" from property source \"commandLineArgs\") || Action: Update the value of 'agent-control-plane.defaults.max-requests-per-minute' to an integer >= 0."),
				row("agent-control-plane.defaults.max-requests-per-hour=-1",
						"Invalid value '-1' for configuration property 'agent-control-plane.defaults.max-requests-per-hour': expected an integer >= 0. (set in \"agent-control-plane.defaults.max-requests-per-hour\" from property source \"commandLineArgs\") || Action: Update the value of 'agent-control-plane.defaults.max-requests-per-hour' to an integer >= 0."),
				row("agent-control-plane.defaults.max-execution-time=0s",
						"Invalid value '0 s' for configuration property 'agent-control-plane.defaults.max-execution-time': expected a duration > 0 (for example 500ms, 30s or 5m). (set in \"agent-control-plane.defaults.max-execution-time\" from property source \"commandLineArgs\") || Action: Update the value of 'agent-control-plane.defaults.max-execution-time' to a duration > 0 (for example 500ms, 30s or 5m)."),
				row("agent-control-plane.defaults.allowed-action-types=teleport",
						"Invalid value 'teleport' for configuration property 'agent-control-plane.defaults.allowed-action-types': expected a comma-separated list of code-execution, file-read, file-write, api-call, database-query, database-write, workflow-trigger. (set in \"agent-control-plane.defaults.allowed-action-types\" from property source \"commandLineArgs\") || Action: Update the value of 'agent-control-plane.defaults.allowed-action-types' to a comma-separated list of code-execution, file-read, file-write, api-call, database-query, database-write, workflow-trigger."),
				row("agent-control-plane.quotas.research.max-concurrent-executions=-2",
						"Invalid value '-2' for configuration property 'agent-control-plane.quotas.research.max-concurrent-executions': expected an integer >= 0. (set in \"agent-control-plane.quotas.research.max-concurrent-executions\" from property source \"commandLineArgs\") || Action: Update the value of 'agent-control-plane.quotas.research.max-concurrent-executions' to an integer >= 0."),
				row("agent-control-plane.quotas.research.max-wait=-5ms",
						"Invalid value '-5 ms' for configuration property 'agent-control-plane.quotas.research.max-wait': expected a duration >= 0 (for example 0s, 500ms or 2s). (set in \"agent-control-plane.quotas.research.max-wait\" from property source \"commandLineArgs\") || Action: Update the value of 'agent-control-plane.quotas.research.max-wait' to a duration >= 0 (for example 0s, 500ms or 2s)."),
				row("agent-control-plane.quotas.research.max-execution-time=-1s",
						"Invalid value '-1 s' for configuration property 'agent-control-plane.quotas.research.max-execution-time': expected a duration > 0 (for example 500ms, 30s or 5m). (set in \"agent-control-plane.quotas.research.max-execution-time\" from property source \"commandLineArgs\") || Action: Update the value of 'agent-control-plane.quotas.research.max-execution-time' to a duration > 0 (for example 500ms, 30s or 5m)."),
				row("agent-control-plane.quotas.research.allowed-action-types=api-call,launch-missiles",
						"Invalid value 'api-call,launch-missiles' for configuration property 'agent-control-plane.quotas.research.allowed-action-types': expected a comma-separated list of code-execution, file-read, file-write, api-call, database-query, database-write, workflow-trigger. (set in \"agent-control-plane.quotas.research.allowed-action-types\" from property source \"commandLineArgs\") || Action: Update the value of 'agent-control-plane.quotas.research.allowed-action-types' to a comma-separated list of code-execution, file-read, file-write, api-call, database-query, database-write, workflow-trigger."),
				row("agent-control-plane.quotas.research.allowed-actions=api-call,tool:\u0007search",
						"Invalid value 'tool:\\u0007search' for configuration property 'agent-control-plane.quotas.research.allowed-actions[1]': expected an action name such as api-call, tool:search or email.send: not blank, at most 128 characters, no control characters, no leading or trailing white space. || Action: Update the value of 'agent-control-plane.quotas.research.allowed-actions[1]' to an action name such as api-call, tool:search or email.send: not blank, at most 128 characters, no control characters, no leading or trailing white space."),
				row("agent-control-plane.defaults.allowed-actions[0]=" + "x".repeat(129),
						"Invalid value '" + "x".repeat(129) + "' for configuration property 'agent-control-plane.defaults.allowed-actions[0]': expected an action name such as api-call, tool:search or email.send: not blank, at most 128 characters, no control characters, no leading or trailing white space. (set in \"agent-control-plane.defaults.allowed-actions[0]\" from property source \"commandLineArgs\") || Action: Update the value of 'agent-control-plane.defaults.allowed-actions[0]' to an action name such as api-call, tool:search or email.send: not blank, at most 128 characters, no control characters, no leading or trailing white space."),
				row("agent-control-plane.quotas[ ].max-concurrent-executions=1",
						"Invalid value '[ ]' for configuration property 'agent-control-plane.quotas': expected a non-blank agent id as the key of every quota. || Action: Update the value of 'agent-control-plane.quotas' to a non-blank agent id as the key of every quota."),
				row("agent-control-plane.quotas.research.max-concurent-executions=1",
						"Unknown configuration property under 'agent-control-plane': - 'agent-control-plane.quotas.research.max-concurent-executions' (set in \"agent-control-plane.quotas.research.max-concurent-executions\" from property source \"commandLineArgs\"): did you mean 'agent-control-plane.quotas.research.max-concurrent-executions'? || Action: Correct or remove the unknown property: agent-control-plane fails start-up rather than ignore a setting (a misspelt limit would silently stay at its default). Valid properties are listed in docs/spring-boot.md and offered by IDE completion."),
				row("agent-control-plane.dynamic-agents.idle-timeout=0s",
						"Invalid value '0 s' for configuration property 'agent-control-plane.dynamic-agents.idle-timeout': expected a duration > 0 (for example 500ms, 30s or 5m). (set in \"agent-control-plane.dynamic-agents.idle-timeout\" from property source \"commandLineArgs\") || Action: Update the value of 'agent-control-plane.dynamic-agents.idle-timeout' to a duration > 0 (for example 500ms, 30s or 5m)."),
				row("agent-control-plane.dynamic-agents.max-agents=0",
						"Invalid value '0' for configuration property 'agent-control-plane.dynamic-agents.max-agents': expected an integer >= 1. (set in \"agent-control-plane.dynamic-agents.max-agents\" from property source \"commandLineArgs\") || Action: Update the value of 'agent-control-plane.dynamic-agents.max-agents' to an integer >= 1."),
				row("agent-control-plane.executor.max-concurrency=0",
						"Invalid value '0' for configuration property 'agent-control-plane.executor.max-concurrency': expected an integer >= 1. (set in \"agent-control-plane.executor.max-concurrency\" from property source \"commandLineArgs\") || Action: Update the value of 'agent-control-plane.executor.max-concurrency' to an integer >= 1."),
				row("agent-control-plane.executor.queue-capacity=-1",
						"Invalid value '-1' for configuration property 'agent-control-plane.executor.queue-capacity': expected an integer >= 1. (set in \"agent-control-plane.executor.queue-capacity\" from property source \"commandLineArgs\") || Action: Update the value of 'agent-control-plane.executor.queue-capacity' to an integer >= 1."),
				Arguments.of("agent-control-plane.unknown-agent=default-quota + defaults.max-concurrent-executions=0",
						new String[] { "agent-control-plane.unknown-agent=default-quota",
								"agent-control-plane.defaults.max-concurrent-executions=0" },
						"Invalid value '0' for configuration property 'agent-control-plane.defaults.max-concurrent-executions': expected a value >= 1 when agent-control-plane.unknown-agent is 'default-quota' (every dynamic agent would be refused every call). (set in \"agent-control-plane.defaults.max-concurrent-executions\" from property source \"commandLineArgs\") || Action: Update the value of 'agent-control-plane.defaults.max-concurrent-executions' to a value >= 1 when agent-control-plane.unknown-agent is 'default-quota' (every dynamic agent would be refused every call)."));
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("rows")
	void invalidPropertyFailsStartupWithTheDocumentedDescription(String row, String[] properties,
			@Nullable String expected) {
		String description = StartupFailures.describe(BadInputApplication.class, properties);
		if (Boolean.getBoolean("acp.badinput.discover")) {
			System.out.println("| `" + row + "` | " + description + " |");
			return;
		}
		assertThat(description).as(row).isEqualTo(expected);
	}

	private static Arguments row(String property, @Nullable String expected) {
		return Arguments.of(property, new String[] { property }, expected);
	}

}
