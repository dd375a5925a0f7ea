package io.agentcontrolplane.autoconfigure;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What a new user copies from the README and the docs works as copied: the artifact can be got,
 * every dependency names its version, and the README's Java snippets import the project types
 * they use.
 */
class GettingStartedDocsTests {

	private static final Path ROOT = Path.of("..");

	private static final Map<String, String> PROJECT_TYPES = Map.of("@BoundedExecution",
			"io.agentcontrolplane.annotation.BoundedExecution", "ActionType.", "io.agentcontrolplane.quota.ActionType",
			"PolicyEngine", "io.agentcontrolplane.quota.PolicyEngine", "ResourceQuota",
			"io.agentcontrolplane.quota.ResourceQuota", "Permit permit", "io.agentcontrolplane.quota.Permit",
			"boundedExecutor.", "io.agentcontrolplane.concurrent.BoundedExecutor");

	@Test
	void readmeSaysHowToBuildAndInstallTheSnapshotLocally() throws IOException {
		assertThat(read("README.md")).contains("./mvnw -B -ntp install").contains("0.1.0-SNAPSHOT");
	}

	@Test
	void everyProjectDependencyInTheDocsNamesItsVersion() throws IOException {
		List<Path> documents = new ArrayList<>(List.of(ROOT.resolve("README.md")));
		try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
			docs.filter((path) -> path.toString().endsWith(".md")).forEach(documents::add);
		}
		Pattern dependency = Pattern.compile("<dependency>(.*?)</dependency>", Pattern.DOTALL);
		for (Path document : documents) {
			Matcher matcher = dependency.matcher(Files.readString(document));
			while (matcher.find()) {
				String block = matcher.group(1);
				if (block.contains("io.agentcontrolplane")) {
					assertThat(block).as(document + ": " + block).contains("<version>");
				}
			}
		}
	}

	@Test
	void readmeJavaSnippetsImportTheProjectTypesTheyUse() throws IOException {
		Matcher snippets = Pattern.compile("```java\\n(.*?)```", Pattern.DOTALL).matcher(read("README.md"));
		int count = 0;
		while (snippets.find()) {
			String snippet = snippets.group(1);
			count++;
			PROJECT_TYPES.forEach((usage, type) -> {
				if (snippet.contains(usage)) {
					assertThat(snippet).as("README snippet using " + usage).contains("import " + type + ";");
				}
			});
		}
		assertThat(count).isPositive();
	}

	private static String read(String path) throws IOException {
		return Files.readString(ROOT.resolve(path));
	}

}
