package io.agentcontrolplane.quota;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Allowed actions by name beside the seven {@link ActionType}s: the quota's union, the matching
 * rule of {@link ActionNames}, and the engine calls that take an action name.
 */
class AllowedActionsTests {

	@Nested
	class TheQuota {

		@Test
		void holdsTheUnionWithActionTypesByTheirKebabCaseNames() {
			ResourceQuota quota = ResourceQuota.builder("a")
				.allowedActions("tool:search", "api-call", "email.send", "FILE_READ")
				.build();
			assertThat(quota.allowedActions()).containsExactly("file-read", "api-call", "tool:search", "email.send");
			assertThat(quota.allowedActionTypes()).containsExactlyInAnyOrder(ActionType.API_CALL, ActionType.FILE_READ);
			assertThat(quota.toBuilder().build()).isEqualTo(quota);
		}

		@Test
		void settingActionTypesKeepsTheOtherNames() {
			ResourceQuota quota = ResourceQuota.builder("a")
				.allowedActions("tool:search", "api-call")
				.allowedActionTypes(ActionType.DATABASE_QUERY)
				.build();
			assertThat(quota.allowedActions()).containsExactly("database-query", "tool:search");
			assertThat(quota.allows(ActionType.API_CALL)).isFalse();
		}

		@Test
		void anActionTypeAndItsNameAreTheSameAction() {
			ResourceQuota byType = ResourceQuota.builder("a").allowedActionTypes(ActionType.API_CALL).build();
			ResourceQuota byName = ResourceQuota.builder("a").allowedActions("api-call").build();
			assertThat(byType).isEqualTo(byName);
			assertThat(byType.allows("api-call")).isTrue();
			assertThat(byType.allows("API_CALL")).isTrue();
			assertThat(byName.allows(ActionType.API_CALL)).isTrue();
			assertThat(byName.allows(ActionType.FILE_READ)).isFalse();
		}

		@Test
		void otherNamesMatchExactlyAndCaseSensitively() {
			ResourceQuota quota = ResourceQuota.builder("a").allowedActions("tool:search").build();
			assertThat(quota.allows("tool:search")).isTrue();
			assertThat(quota.allows("tool:Search")).isFalse();
			assertThat(quota.allows("tool:search2")).isFalse();
			assertThat(quota.allows("tool")).isFalse();
		}

		@Test
		void namesOnlyRestrictEveryActionTypeToo() {
			ResourceQuota quota = ResourceQuota.builder("a").allowedActions("tool:search").build();
			assertThat(quota.allowedActionTypes()).isEmpty();
			assertThat(quota.allows(ActionType.API_CALL)).isFalse();
		}

		@Test
		void noneAllowsEverything() {
			ResourceQuota quota = ResourceQuota.of("a", 1);
			assertThat(quota.allowedActions()).isEmpty();
			assertThat(quota.allows("anything.at-all")).isTrue();
			assertThat(quota.allows(ActionType.WORKFLOW_TRIGGER)).isTrue();
		}

		@Test
		void aRefusedListLeavesTheBuilderAsItWas() {
			ResourceQuota.Builder builder = ResourceQuota.builder("a").allowedActions("tool:search");
			assertThatIllegalArgumentException().isThrownBy(() -> builder.allowedActions("tool:x", " "))
				.withMessage("allowedActions[1] must not be blank, was ' '");
			assertThat(builder.build().allowedActions()).containsExactly("tool:search");
		}

	}

	@Nested
	class TheEngine {

		private final PolicyEngine engine = new PolicyEngine();

		private final List<RejectionReason> heard = new CopyOnWriteArrayList<>();

		TheEngine() {
			this.engine.setQuota("a", ResourceQuota.builder("a")
				.maxConcurrentExecutions(1)
				.maxRequestsPerMinute(10)
				.allowedActions("api-call", "tool:search")
				.build());
			this.engine.addListener(new QuotaListener() {

				@Override
				public void onRejected(String agentId, RejectionReason reason, long waitNanos) {
					TheEngine.this.heard.add(reason);
				}

			});
		}

		@Test
		void admitsAnAllowedNamedActionAndCountsItsRequest() {
			try (Permit permit = this.engine.admitAction("a", "tool:search", Duration.ZERO)) {
				assertThat(this.engine.snapshot("a").orElseThrow().inFlight()).isEqualTo(1);
			}
			QuotaSnapshot snapshot = this.engine.snapshot("a").orElseThrow();
			assertThat(snapshot.acquired()).isEqualTo(1);
			assertThat(snapshot.availableRequestsPerMinute()).isEqualTo(9);
			assertThat(snapshot.allowedActions()).containsExactly("api-call", "tool:search");
			assertThat(snapshot.allowedActionTypes()).containsExactly(ActionType.API_CALL);
		}

		@Test
		void refusesAnotherNamedActionCountingItAndConsumingNothing() {
			assertThatExceptionOfType(QuotaExceededException.class)
				.isThrownBy(() -> this.engine.admitAction("a", "email.send", null))
				.satisfies((refusal) -> {
					assertThat(refusal.reason()).isEqualTo(RejectionReason.ACTION_NOT_ALLOWED);
					assertThat(refusal.getMessage()).isEqualTo("Agent 'a' refused (ACTION_NOT_ALLOWED): action"
							+ " 'email.send' is not in its allowed actions [api-call, tool:search]");
				});
			assertRefusedOnceConsumingNothing();
		}

		@Test
		void refusesAnActionTypeOutsideTheNames() {
			assertThatExceptionOfType(QuotaExceededException.class)
				.isThrownBy(() -> this.engine.admit("a", ActionType.FILE_WRITE, null))
				.withMessage("Agent 'a' refused (ACTION_NOT_ALLOWED): action 'file-write' is not in its allowed"
						+ " actions [api-call, tool:search]");
			assertRefusedOnceConsumingNothing();
			try (Permit permit = this.engine.admit("a", ActionType.API_CALL, null)) {
				assertThat(permit.agentId()).isEqualTo("a");
			}
		}

		@Test
		void checkActionCountsARefusalAndTakesNothing() {
			this.engine.checkAction("a", "tool:search");
			assertThatExceptionOfType(QuotaExceededException.class)
				.isThrownBy(() -> this.engine.checkAction("a", "tool:Search"))
				.satisfies((refusal) -> assertThat(refusal.reason()).isEqualTo(RejectionReason.ACTION_NOT_ALLOWED));
			assertRefusedOnceConsumingNothing();
			assertThat(this.engine.snapshot("a").orElseThrow().acquired()).isZero();
		}

		@Test
		void checkRateLimitByNameRefusesWithoutConsuming() {
			assertThat(this.engine.checkRateLimit("a", "email.send")).isFalse();
			assertRefusedOnceConsumingNothing();
			assertThat(this.engine.checkRateLimit("a", "API_CALL")).isTrue();
			assertThat(this.engine.snapshot("a").orElseThrow().availableRequestsPerMinute()).isEqualTo(9);
		}

		@Test
		void asyncAndTryFormsCheckTheNameToo() {
			assertThatExceptionOfType(CompletionException.class)
				.isThrownBy(() -> this.engine.admitActionAsync("a", "email.send", null).join())
				.withCauseInstanceOf(QuotaExceededException.class);
			assertThatExceptionOfType(QuotaExceededException.class)
				.isThrownBy(() -> this.engine.tryAdmitAction("a", "email.send"));
			assertThat(this.engine.snapshot("a").orElseThrow().rejectedByReason())
				.containsEntry(RejectionReason.ACTION_NOT_ALLOWED, 2L);
			this.engine.admitActionAsync("a", "tool:search", null).join().close();
			this.engine.tryAdmitAction("a", "tool:search").orElseThrow().close();
			assertThat(this.engine.snapshot("a").orElseThrow().acquired()).isEqualTo(2);
		}

		@Test
		void estimateFormChecksTheNameBeforeReserving() {
			assertThatExceptionOfType(QuotaExceededException.class)
				.isThrownBy(() -> this.engine.admitAction("a", "email.send", Usage.estimate(10, 10), null));
			assertRefusedOnceConsumingNothing();
			this.engine.admitAction("a", "tool:search", Usage.estimate(10, 10), null).close();
		}

		@Test
		void unknownAgentsFollowThePolicy() {
			assertThat(this.engine.checkRateLimit("ghost", "anything")).isTrue();
			this.engine.checkAction("ghost", "anything");
			PolicyEngine rejecting = PolicyEngine.builder().unknownAgentPolicy(UnknownAgentPolicy.REJECT).build();
			assertThatExceptionOfType(QuotaExceededException.class)
				.isThrownBy(() -> rejecting.checkAction("ghost", "anything"))
				.satisfies((refusal) -> assertThat(refusal.reason()).isEqualTo(RejectionReason.UNKNOWN_AGENT));
			assertThat(rejecting.checkRateLimit("ghost", "anything")).isFalse();
		}

		private void assertRefusedOnceConsumingNothing() {
			QuotaSnapshot snapshot = this.engine.snapshot("a").orElseThrow();
			assertThat(snapshot.rejectedByReason()).containsEntry(RejectionReason.ACTION_NOT_ALLOWED, 1L);
			assertThat(snapshot.rejected()).isEqualTo(1);
			assertThat(snapshot.inFlight()).isZero();
			assertThat(snapshot.availableRequestsPerMinute()).isEqualTo(10);
			assertThat(this.heard).containsExactly(RejectionReason.ACTION_NOT_ALLOWED);
		}

	}

}
