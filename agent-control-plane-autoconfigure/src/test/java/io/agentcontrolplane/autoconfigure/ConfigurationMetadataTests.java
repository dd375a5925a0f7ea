package io.agentcontrolplane.autoconfigure;

import java.io.InputStream;
import java.net.URL;
import java.util.ArrayList;
import java.util.Enumeration;
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
		// Every jar on the class path has a file of this name; ours is the one naming our prefix.
		List<Map<String, Object>> properties = new ArrayList<>();
		List<Map<String, Object>> hints = new ArrayList<>();
		Enumeration<URL> files = getClass().getClassLoader().getResources("META-INF/spring-configuration-metadata.json");
		while (files.hasMoreElements()) {
			try (InputStream json = files.nextElement().openStream()) {
				Map<String, Object> metadata = JsonMapper.builder().build().readValue(json, Map.class);
				properties.addAll((List<Map<String, Object>>) metadata.getOrDefault("properties", List.of()));
				hints.addAll((List<Map<String, Object>>) metadata.getOrDefault("hints", List.of()));
			}
		}
		List<Map<String, Object>> ours = properties.stream()
			.filter((property) -> String.valueOf(property.get("name")).startsWith("agent-control-plane."))
			.toList();
		assertThat(ours).isNotEmpty().allSatisfy((property) -> assertThat(String.valueOf(property.get("description")))
			.as(String.valueOf(property.get("name")))
			.doesNotContain("{@", "<p>", "<code>"));
		assertThat(ours).filteredOn((property) -> "agent-control-plane.defaults.max-wait".equals(property.get("name")))
			.singleElement()
			.satisfies((property) -> assertThat(property.get("defaultValue")).isEqualTo("0s"));
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
