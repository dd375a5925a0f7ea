package io.agentcontrolplane.autoconfigure;

import io.agentcontrolplane.quota.DurationFormat;
import java.time.Duration;

import org.jspecify.annotations.Nullable;

/**
 * Thrown at start-up when agent-control-plane is configured in a way it cannot run with: an
 * invalid property value, or a {@code @BoundedExecution} that cannot be honoured. The message
 * says what is wrong and what is allowed; {@link AgentControlPlaneConfigurationFailureAnalyzer}
 * turns it into Boot's start-up failure report.
 */
public class AgentControlPlaneConfigurationException extends IllegalStateException {

	private static final long serialVersionUID = 1L;

	private final @Nullable String propertyName;

	private final @Nullable Object value;

	private final String action;

	/**
	 * Create a new instance for a problem that is not tied to one property.
	 * @param description what is wrong
	 * @param action what to do about it
	 */
	public AgentControlPlaneConfigurationException(String description, String action) {
		this(description, action, null, null);
	}

	private AgentControlPlaneConfigurationException(String description, String action, @Nullable String propertyName,
			@Nullable Object value) {
		super(description);
		this.propertyName = propertyName;
		this.value = value;
		this.action = action;
	}

	/**
	 * Create a new instance for an invalid property value.
	 * @param propertyName the full name of the property, for example
	 * {@code agent-control-plane.quotas.research-agent.max-wait}
	 * @param value the invalid value
	 * @param allowed what values are allowed, for example {@code "a duration >= 0"}
	 * @return the exception
	 */
	public static AgentControlPlaneConfigurationException invalidProperty(String propertyName,
			@Nullable Object value, String allowed) {
		String shown = (value instanceof Duration duration) ? DurationFormat.format(duration) : String.valueOf(value);
		String description = "Invalid value '" + shown + "' for configuration property '" + propertyName
				+ "': expected " + allowed + ".";
		return new AgentControlPlaneConfigurationException(description,
				"Update the value of '" + propertyName + "' to " + allowed + ".", propertyName, value);
	}

	/**
	 * The name of the invalid property, when the problem is an invalid property value.
	 * @return the property name, or {@code null}
	 */
	public @Nullable String getPropertyName() {
		return this.propertyName;
	}

	/**
	 * The invalid value, when the problem is an invalid property value.
	 * @return the value, or {@code null}
	 */
	public @Nullable Object getValue() {
		return this.value;
	}

	/**
	 * What the user should do about the problem.
	 * @return the action
	 */
	public String getAction() {
		return this.action;
	}

}
