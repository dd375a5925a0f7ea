package io.agentcontrolplane.autoconfigure;

import java.io.InputStream;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import tools.jackson.databind.json.JsonMapper;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The configuration metadata an IDE shows while a user writes {@code application.yml}.
 */
class ConfigurationMetadataTests {

	@Test
	@SuppressWarnings("unchecked")
	void descriptionsAreReadableDefaultsAreWrittenAsInPropertiesAndEnumsHaveHints() throws Exception {
		Map<String, Object> metadata;
		try (InputStream json = getClass().getResourceAsStream("/META-INF/spring-configuration-metadata.json")) {
			metadata = JsonMapper.builder().build().readValue(json, Map.class);
		}
		List<Map<String, Object>> properties = (List<Map<String, Object>>) metadata.get("properties");
		List<Map<String, Object>> ours = properties.stream()
			.filter((property) -> String.valueOf(property.get("name")).startsWith("agent-control-plane."))
			.toList();
		assertThat(ours).isNotEmpty().allSatisfy((property) -> assertThat(String.valueOf(property.get("description")))
			.as(String.valueOf(property.get("name")))
			.doesNotContain("{@", "<p>", "<code>"));
		assertThat(ours).filteredOn((property) -> "agent-control-plane.defaults.max-wait".equals(property.get("name")))
			.singleElement()
			.satisfies((property) -> assertThat(property.get("defaultValue")).isEqualTo("0s"));
		List<Map<String, Object>> hints = (List<Map<String, Object>>) metadata.get("hints");
		assertThat(hints).extracting((hint) -> hint.get("name"))
			.contains("agent-control-plane.unknown-agent", "agent-control-plane.defaults.allowed-action-types",
					"agent-control-plane.redis.on-unavailable");
		assertThat(hints).filteredOn((hint) -> "agent-control-plane.unknown-agent".equals(hint.get("name")))
			.singleElement()
			.satisfies((hint) -> assertThat((List<Map<String, Object>>) hint.get("values"))
				.extracting((value) -> value.get("value"))
				.containsExactly("allow", "reject", "default-quota"));
	}

}
