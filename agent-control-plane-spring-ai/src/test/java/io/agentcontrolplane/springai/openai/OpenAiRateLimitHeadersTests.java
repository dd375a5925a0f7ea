package io.agentcontrolplane.springai.openai;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class OpenAiRateLimitHeadersTests {

	@Test
	void parsesOpenAisResetDurations() {
		assertThat(OpenAiRateLimitHeaders.duration("20ms")).isEqualTo(Duration.ofMillis(20));
		assertThat(OpenAiRateLimitHeaders.duration("1s")).isEqualTo(Duration.ofSeconds(1));
		assertThat(OpenAiRateLimitHeaders.duration("6m0s")).isEqualTo(Duration.ofMinutes(6));
		assertThat(OpenAiRateLimitHeaders.duration("1h2m3.5s")).isEqualTo(Duration.ofMillis(3_723_500));
	}

	@Test
	void ignoresWhatItCannotParse() {
		assertThat(OpenAiRateLimitHeaders.duration(null)).isNull();
		assertThat(OpenAiRateLimitHeaders.duration("soon")).isNull();
		assertThat(OpenAiRateLimitHeaders.duration("5x")).isNull();
		assertThat(OpenAiRateLimitHeaders.duration("1s later")).isNull();
	}

}
