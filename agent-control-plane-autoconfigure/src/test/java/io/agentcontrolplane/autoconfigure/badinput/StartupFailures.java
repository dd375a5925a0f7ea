package io.agentcontrolplane.autoconfigure.badinput;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.WebApplicationType;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * Starts a real application and returns what a user reads when it fails: the "Description" and
 * "Action" of Spring Boot's failure analysis report, whitespace-normalised and joined with
 * {@code " || Action: "}, or the root cause's message when no analyzer described the failure.
 */
final class StartupFailures {

	private static final Pattern REPORT = Pattern
		.compile("Description:\\s*(.*?)\\s*Action:\\s*(.*?)\\s*(?:\\n\\s*\\n\\s*\\n|$)", Pattern.DOTALL);

	private StartupFailures() {
	}

	/**
	 * Start the given configuration with the given properties.
	 * @param configuration the configuration class
	 * @param properties {@code name=value} pairs
	 * @return the failure description, or {@code null} when the application started
	 */
	static @Nullable String describe(Class<?> configuration, String... properties) {
		SpringApplication application = new SpringApplication(configuration);
		application.setWebApplicationType(WebApplicationType.NONE);
		application.setBannerMode(org.springframework.boot.Banner.Mode.OFF);
		String[] args = new String[properties.length + 2];
		for (int i = 0; i < properties.length; i++) {
			args[i] = "--" + properties[i];
		}
		args[properties.length] = "--spring.main.log-startup-info=false";
		args[properties.length + 1] = "--logging.level.root=error";
		PrintStream out = System.out;
		ByteArrayOutputStream captured = new ByteArrayOutputStream();
		Throwable failure = null;
		synchronized (StartupFailures.class) {
			System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
			try (ConfigurableApplicationContext context = application.run(args)) {
				return null;
			}
			catch (Throwable ex) {
				failure = ex;
			}
			finally {
				System.setOut(out);
			}
		}
		String printed = captured.toString(StandardCharsets.UTF_8);
		Matcher matcher = REPORT.matcher(printed);
		if (matcher.find()) {
			return normalise(matcher.group(1)) + " || Action: " + normalise(matcher.group(2));
		}
		Throwable root = failure;
		while (root.getCause() != null && root.getCause() != root) {
			root = root.getCause();
		}
		return "(no failure analysis) " + root.getClass().getName() + ": " + normalise(String.valueOf(root.getMessage()));
	}

	static String normalise(String text) {
		return text.replaceAll("\\s+", " ").trim();
	}

}
