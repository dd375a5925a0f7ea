package io.agentcontrolplane.autoconfigure;

import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.Locale;
import java.util.stream.Collectors;

import org.jspecify.annotations.Nullable;

import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.origin.Origin;
import org.springframework.core.Ordered;
import org.springframework.core.ResolvableType;
import org.springframework.core.annotation.Order;
import org.springframework.core.convert.ConversionException;

/**
 * Reports a value under {@code agent-control-plane.*} that cannot be converted to its
 * property's type (an unknown duration unit, a word or an overflowing number for an integer, a
 * boolean that is neither true nor false, an unknown enum value) naming the property, the value
 * and the accepted formats, where Boot's own analyzer only says "Update your application's
 * configuration". Ordered before Boot's analyzer; other bind failures are left to it.
 */
@Order(Ordered.HIGHEST_PRECEDENCE)
class AgentControlPlaneBindFailureAnalyzer extends AbstractFailureAnalyzer<BindException> {

	private static final String PREFIX = "agent-control-plane.";

	@Override
	protected @Nullable FailureAnalysis analyze(Throwable rootFailure, BindException cause) {
		String name = cause.getName().toString();
		ConfigurationProperty property = cause.getProperty();
		if (!name.startsWith(PREFIX) || property == null || findCause(cause, ConversionException.class) == null) {
			return null;
		}
		String allowed = allowed(name, cause.getTarget().getType());
		if (allowed == null) {
			return null;
		}
		AgentControlPlaneConfigurationException invalid = AgentControlPlaneConfigurationException
			.invalidProperty(name, property.getValue(), allowed);
		StringBuilder description = new StringBuilder(invalid.getMessage());
		Origin origin = property.getOrigin();
		if (origin != null) {
			description.append(" (set in ").append(origin).append(")");
		}
		return new FailureAnalysis(description.toString(), invalid.getAction(), cause);
	}

	private static @Nullable String allowed(String name, ResolvableType type) {
		Class<?> target = type.resolve();
		if (target == null) {
			return null;
		}
		if (target == Duration.class) {
			return "a duration such as 500ms, 2s or PT2S (units ns, us, ms, s, m, h, d)";
		}
		if (target == int.class || target == Integer.class) {
			return "an integer from " + minimum(name) + " to " + Integer.MAX_VALUE;
		}
		if (target == boolean.class || target == Boolean.class) {
			return "true or false";
		}
		if (target.isEnum()) {
			return "one of " + values(target);
		}
		if (Collection.class.isAssignableFrom(target)) {
			Class<?> element = type.asCollection().resolveGeneric(0);
			if (element != null && element.isEnum()) {
				return "a comma-separated list of " + values(element);
			}
		}
		return null;
	}

	/**
	 * The smallest value {@link QuotaPropertiesMapper} accepts, so that fixing the format does
	 * not lead straight to the next failure.
	 */
	private static int minimum(String name) {
		return (name.startsWith(PREFIX + "executor.") || name.equals(PREFIX + "dynamic-agents.max-agents")) ? 1 : 0;
	}

	/**
	 * The enum's values as they are written in properties: {@code DEFAULT_QUOTA} as
	 * {@code default-quota}.
	 */
	private static String values(Class<?> enumType) {
		return Arrays.stream(enumType.getEnumConstants())
			.map((constant) -> ((Enum<?>) constant).name().toLowerCase(Locale.ROOT).replace('_', '-'))
			.collect(Collectors.joining(", "));
	}

}
