package io.agentcontrolplane.quota;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Durations in messages read as people write them.
 */
class DurationFormatTests {

	@Test
	void durationsAreShownInHumanUnits() {
		assertThat(DurationFormat.format(Duration.ZERO)).isEqualTo("0 s");
		assertThat(DurationFormat.format(Duration.ofNanos(308_357_616))).isEqualTo("308 ms");
		assertThat(DurationFormat.format(Duration.ofMillis(308))).isEqualTo("308 ms");
		assertThat(DurationFormat.format(Duration.ofSeconds(2))).isEqualTo("2 s");
		assertThat(DurationFormat.format(Duration.ofMillis(1500))).isEqualTo("1.5 s");
		assertThat(DurationFormat.format(Duration.ofNanos(12_345_678))).isEqualTo("12.346 ms");
		assertThat(DurationFormat.format(Duration.ofMinutes(10))).isEqualTo("10 min");
		assertThat(DurationFormat.format(Duration.ofHours(2))).isEqualTo("2 h");
		assertThat(DurationFormat.format(Duration.ofMillis(-5))).isEqualTo("-5 ms");
		assertThat(DurationFormat.format(Duration.ofNanos(750))).isEqualTo("750 ns");
	}

}
