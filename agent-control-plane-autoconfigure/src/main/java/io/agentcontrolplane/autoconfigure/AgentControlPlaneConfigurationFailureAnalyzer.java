package io.agentcontrolplane.autoconfigure;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.origin.Origin;
import org.springframework.core.env.ConfigurableEnvironment;
import org.springframework.core.env.Environment;

/**
 * Reports an {@link AgentControlPlaneConfigurationException} as a start-up failure analysis,
 * naming where the invalid property was set when Boot knows it.
 */
class AgentControlPlaneConfigurationFailureAnalyzer
		extends AbstractFailureAnalyzer<AgentControlPlaneConfigurationException> {

	private final @Nullable ConfigurableEnvironment environment;

	AgentControlPlaneConfigurationFailureAnalyzer(Environment environment) {
		this.environment = (environment instanceof ConfigurableEnvironment configurable) ? configurable : null;
	}

	@Override
	protected FailureAnalysis analyze(Throwable rootFailure, AgentControlPlaneConfigurationException cause) {
		StringBuilder description = new StringBuilder(cause.getMessage());
		Origin origin = findOrigin(cause.getPropertyName());
		if (origin != null) {
			description.append(" (set in ").append(origin).append(")");
		}
		return new FailureAnalysis(description.toString(), cause.getAction(), cause);
	}

	private @Nullable Origin findOrigin(@Nullable String propertyName) {
		if (propertyName == null || this.environment == null || !ConfigurationPropertyName.isValid(propertyName)) {
			return null;
		}
		ConfigurationPropertyName name = ConfigurationPropertyName.of(propertyName);
		for (ConfigurationPropertySource source : ConfigurationPropertySources.get(this.environment)) {
			ConfigurationProperty property = source.getConfigurationProperty(name);
			if (property != null) {
				return property.getOrigin();
			}
		}
		return null;
	}

}
