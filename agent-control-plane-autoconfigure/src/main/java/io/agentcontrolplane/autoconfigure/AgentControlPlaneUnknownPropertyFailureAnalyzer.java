package io.agentcontrolplane.autoconfigure;

import java.util.Comparator;
import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.bind.UnboundConfigurationPropertiesException;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.origin.Origin;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;

/**
 * Reports properties under {@code agent-control-plane.*} that no setting has, such as
 * {@code agent-control-plane.quotas.research.max-concurent-executions}, naming each one, where it
 * was set and the nearest valid key. A misspelt key would otherwise be ignored and leave the
 * limit at its default, or leave an agent without any quota. Ordered before Boot's own analyzer,
 * which lists the keys without saying what was meant.
 */
@Order(Ordered.HIGHEST_PRECEDENCE)
class AgentControlPlaneUnknownPropertyFailureAnalyzer
		extends AbstractFailureAnalyzer<UnboundConfigurationPropertiesException> {

	private static final ConfigurationPropertyName PREFIX = ConfigurationPropertyName.of("agent-control-plane");

	@Override
	protected @Nullable FailureAnalysis analyze(Throwable rootFailure, UnboundConfigurationPropertiesException cause) {
		List<ConfigurationProperty> unknown = cause.getUnboundProperties()
			.stream()
			.filter((property) -> PREFIX.isAncestorOf(property.getName()))
			.sorted(Comparator.comparing((property) -> property.getName().toString()))
			.toList();
		if (unknown.isEmpty()) {
			return null;
		}
		StringBuilder description = new StringBuilder((unknown.size() == 1) ? "Unknown configuration property"
				: "Unknown configuration properties");
		description.append(" under '").append(PREFIX).append("':");
		for (ConfigurationProperty property : unknown) {
			description.append(System.lineSeparator()).append("    - '").append(property.getName()).append("'");
			Origin origin = property.getOrigin();
			if (origin != null) {
				description.append(" (set in ").append(origin).append(")");
			}
			String suggestion = AgentControlPlanePropertyNames.nearestValid(property.getName());
			if (suggestion != null) {
				description.append(": did you mean '").append(suggestion).append("'?");
			}
		}
		String action = "Correct or remove the unknown " + ((unknown.size() == 1) ? "property" : "properties")
				+ ": agent-control-plane fails start-up rather than ignore a setting (a misspelt limit would"
				+ " silently stay at its default). Valid properties are listed in docs/spring-boot.md and offered by"
				+ " IDE completion.";
		return new FailureAnalysis(description.toString(), action, cause);
	}

}
