package io.agentcontrolplane.autoconfigure;

import java.beans.PropertyDescriptor;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.BeanUtils;
import org.springframework.boot.context.properties.bind.UnboundConfigurationPropertiesException;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName.Form;
import org.springframework.boot.context.properties.source.ConfigurationPropertySource;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.boot.context.properties.source.IterableConfigurationPropertySource;
import org.springframework.core.ResolvableType;
import org.springframework.core.env.Environment;

/**
 * Knows which names under {@code agent-control-plane.*} are settings, by following a name
 * through {@link AgentControlPlaneProperties} and its nested groups, and finds the valid name
 * nearest to one that is not. Names are compared in Boot's uniform form (lower case, no dashes),
 * so kebab-case, camelCase, underscore and environment-variable spellings of a valid key are all
 * valid.
 */
final class AgentControlPlanePropertyNames {

	static final ConfigurationPropertyName PREFIX = ConfigurationPropertyName.of("agent-control-plane");

	private AgentControlPlanePropertyNames() {
	}

	/**
	 * Fail when any property source sets a name under {@code agent-control-plane.*} that is not
	 * a setting, so that a misspelt limit is never silently ignored.
	 * @param environment the environment
	 * @throws UnboundConfigurationPropertiesException naming every unknown property
	 */
	static void requireKnown(Environment environment) {
		requireKnown(environment, Set.of());
	}

	/**
	 * Fail when any property source sets a name under {@code agent-control-plane.*} that is not
	 * a setting, leaving alone the names under the given prefixes, which other
	 * {@code @ConfigurationProperties} (of other modules) own.
	 * @param environment the environment
	 * @param otherPrefixes prefixes under {@code agent-control-plane} bound by other classes
	 * @throws UnboundConfigurationPropertiesException naming every unknown property
	 */
	static void requireKnown(Environment environment, Collection<ConfigurationPropertyName> otherPrefixes) {
		Set<ConfigurationProperty> unknown = new TreeSet<>(
				Comparator.comparing((ConfigurationProperty property) -> property.getName().toString()));
		for (ConfigurationPropertySource source : ConfigurationPropertySources.get(environment)) {
			if (source instanceof IterableConfigurationPropertySource iterable) {
				iterable.filter(PREFIX::isAncestorOf).forEach((name) -> {
					if (!isKnown(name) && otherPrefixes.stream()
						.noneMatch((prefix) -> prefix.equals(name) || prefix.isAncestorOf(name))) {
						ConfigurationProperty property = source.getConfigurationProperty(name);
						if (property != null) {
							unknown.add(property);
						}
					}
				});
			}
		}
		if (!unknown.isEmpty()) {
			throw new UnboundConfigurationPropertiesException(unknown);
		}
	}

	/**
	 * Whether the name is a setting, a group of settings, or an element of a list setting.
	 * @param name a name under {@code agent-control-plane}
	 * @return whether it is known
	 */
	static boolean isKnown(ConfigurationPropertyName name) {
		return walk(name, false) == null;
	}

	/**
	 * The valid name nearest to an unknown one: the name is followed as far as it is valid and
	 * its first unknown element is replaced by the closest name of that group.
	 * @param name the unknown name
	 * @return the suggestion, or {@code null} when none fits
	 */
	static @Nullable String nearestValid(ConfigurationPropertyName name) {
		String nearest = walk(name, true);
		return (nearest == null || nearest.isEmpty()) ? null : nearest;
	}

	/**
	 * Follow the name; {@code null} when it is known, else the nearest valid name (or an empty
	 * string when there is none, or when {@code suggest} is false).
	 */
	private static @Nullable String walk(ConfigurationPropertyName name, boolean suggest) {
		Class<?> type = AgentControlPlaneProperties.class;
		StringBuilder valid = new StringBuilder(PREFIX.toString());
		int elements = name.getNumberOfElements();
		for (int i = PREFIX.getNumberOfElements(); i < elements; i++) {
			Map<String, PropertyDescriptor> properties = properties(type);
			String element = name.getElement(i, Form.UNIFORM);
			PropertyDescriptor property = properties.get(element);
			if (property == null) {
				if (!suggest) {
					return "";
				}
				String nearest = nearest(element, properties.keySet());
				return (nearest != null) ? valid.append('.').append(dashed(properties.get(nearest).getName())).toString()
						: "";
			}
			valid.append('.').append(dashed(property.getName()));
			ResolvableType propertyType = ResolvableType.forMethodReturnType(property.getReadMethod());
			Class<?> resolved = propertyType.resolve(Object.class);
			if (Map.class.isAssignableFrom(resolved)) {
				if (++i >= elements) {
					return null;
				}
				String key = name.getElement(i, Form.ORIGINAL);
				valid.append(key.matches("[a-z0-9][a-z0-9-]*") ? "." + key : "[" + key + "]");
				resolved = propertyType.asMap().resolveGeneric(1);
				if (resolved == null) {
					return null;
				}
			}
			else if (Collection.class.isAssignableFrom(resolved) || resolved.isArray()) {
				// Elements of a list ([0], [1]) belong to the list; the keys of an element that is
				// a group of our own (a budget) are checked against that group.
				if (i + 1 >= elements) {
					return null;
				}
				if (!name.isNumericIndex(i + 1)) {
					return "";
				}
				Class<?> elementType = resolved.isArray() ? resolved.getComponentType()
						: propertyType.asCollection().resolveGeneric(0);
				if (elementType == null || !isGroup(elementType)) {
					return null;
				}
				i++;
				valid.append('[').append(name.getElement(i, Form.ORIGINAL)).append(']');
				resolved = elementType;
			}
			if (!isGroup(resolved)) {
				return (i + 1 >= elements) ? null : "";
			}
			type = resolved;
		}
		return null;
	}

	private static boolean isGroup(Class<?> type) {
		return type.getName().startsWith("io.agentcontrolplane.") && !type.isEnum();
	}

	/**
	 * The bindable properties of a group by their uniform name (lower case, no dashes), the form
	 * Boot compares names in.
	 */
	private static Map<String, PropertyDescriptor> properties(Class<?> type) {
		Map<String, PropertyDescriptor> properties = new LinkedHashMap<>();
		for (PropertyDescriptor descriptor : BeanUtils.getPropertyDescriptors(type)) {
			if (descriptor.getReadMethod() != null && !"class".equals(descriptor.getName())) {
				properties.put(descriptor.getName().toLowerCase(Locale.ROOT), descriptor);
			}
		}
		return properties;
	}

	private static @Nullable String nearest(String element, Iterable<String> candidates) {
		String nearest = null;
		int best = Integer.MAX_VALUE;
		for (String candidate : candidates) {
			int distance = distance(element, candidate);
			if (distance < best) {
				best = distance;
				nearest = candidate;
			}
		}
		return nearest;
	}

	private static int distance(String a, String b) {
		int[] previous = new int[b.length() + 1];
		int[] current = new int[b.length() + 1];
		for (int j = 0; j <= b.length(); j++) {
			previous[j] = j;
		}
		for (int i = 1; i <= a.length(); i++) {
			current[0] = i;
			for (int j = 1; j <= b.length(); j++) {
				int substitution = previous[j - 1] + ((a.charAt(i - 1) == b.charAt(j - 1)) ? 0 : 1);
				current[j] = Math.min(substitution, Math.min(previous[j], current[j - 1]) + 1);
			}
			int[] swap = previous;
			previous = current;
			current = swap;
		}
		return previous[b.length()];
	}

	private static String dashed(String camelCase) {
		StringBuilder dashed = new StringBuilder(camelCase.length() + 8);
		for (char c : camelCase.toCharArray()) {
			if (Character.isUpperCase(c)) {
				dashed.append('-').append(Character.toLowerCase(c));
			}
			else {
				dashed.append(c);
			}
		}
		return dashed.toString();
	}

}
