package io.agentcontrolplane.quota;

import java.time.Duration;
import java.util.Set;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * Validation and defaults of {@link ResourceQuota}.
 */
class ResourceQuotaTests {

	@Test
	void defaults() {
		ResourceQuota quota = ResourceQuota.builder("a").build();
		assertThat(quota.agentId()).isEqualTo("a");
		assertThat(quota.maxConcurrentExecutions()).isEqualTo(5);
		assertThat(quota.maxWait()).isEqualTo(Duration.ZERO);
		assertThat(quota.fair()).isTrue();
		assertThat(quota.maxRequestsPerMinute()).isEmpty();
		assertThat(quota.maxRequestsPerHour()).isEmpty();
		assertThat(quota.maxExecutionTime()).isEmpty();
		assertThat(quota.allowedActionTypes()).isEmpty();
		assertThat(quota.allows(ActionType.DATABASE_WRITE)).isTrue();
		assertThat(quota.hasRateLimit()).isFalse();
	}

	@Test
	void valuesAreKept() {
		ResourceQuota quota = ResourceQuota.builder("a")
			.maxConcurrentExecutions(0)
			.maxWait(Duration.ofSeconds(2))
			.fair(false)
			.maxRequestsPerMinute(0)
			.maxRequestsPerHour(7)
			.maxExecutionTime(Duration.ofSeconds(3))
			.allowedActionTypes(Set.of(ActionType.API_CALL))
			.build();
		assertThat(quota.maxConcurrentExecutions()).isZero();
		assertThat(quota.maxRequestsPerMinute()).hasValue(0);
		assertThat(quota.maxRequestsPerHour()).hasValue(7);
		assertThat(quota.allows(ActionType.API_CALL)).isTrue();
		assertThat(quota.allows(ActionType.FILE_READ)).isFalse();
		assertThat(quota.toBuilder("b").build()).satisfies((copy) -> {
			assertThat(copy.agentId()).isEqualTo("b");
			assertThat(copy.maxRequestsPerHour()).hasValue(7);
		});
		assertThat(quota.toBuilder().build()).isEqualTo(quota).hasSameHashCodeAs(quota);
	}

	@Test
	void badValuesNameTheFieldAndTheValue() {
		assertThatIllegalArgumentException().isThrownBy(() -> ResourceQuota.builder(" "))
			.withMessageContaining("agentId")
			.withMessageContaining("' '");
		assertThatIllegalArgumentException().isThrownBy(() -> ResourceQuota.builder(null))
			.withMessageContaining("agentId")
			.withMessageContaining("null");
		assertThatIllegalArgumentException().isThrownBy(() -> ResourceQuota.builder("a").maxConcurrentExecutions(-3))
			.withMessage("maxConcurrentExecutions must be >= 0, was -3");
		assertThatIllegalArgumentException().isThrownBy(() -> ResourceQuota.builder("a").maxRequestsPerHour(-1))
			.withMessage("maxRequestsPerHour must be >= 0, was -1");
		assertThatIllegalArgumentException().isThrownBy(() -> ResourceQuota.builder("a").maxWait(null))
			.withMessage("maxWait must not be null");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ResourceQuota.builder("a").maxExecutionTime(Duration.ZERO))
			.withMessage("maxExecutionTime must be > 0, was PT0S");
		assertThatIllegalArgumentException()
			.isThrownBy(() -> ResourceQuota.builder("a").allowedActionTypes(ActionType.API_CALL, null))
			.withMessageContaining("allowedActionTypes")
			.withMessageContaining("null");
	}

	@Test
	void nestedCallsJoinTheHeldPermitByDefaultAndTheChoiceSurvivesCopies() {
		assertThat(ResourceQuota.builder("a").build().joinNestedCalls()).isTrue();
		ResourceQuota separate = ResourceQuota.builder("a").joinNestedCalls(false).build();
		assertThat(separate.joinNestedCalls()).isFalse();
		assertThat(separate.toBuilder().build()).isEqualTo(separate);
		assertThat(separate.toBuilder("b").build().joinNestedCalls()).isFalse();
		assertThat(separate).isNotEqualTo(ResourceQuota.builder("a").build());
		assertThat(separate.toString()).contains("joinNestedCalls=false");
	}

}
