package io.agentcontrolplane.quota;

import java.util.Locale;
import java.util.Optional;

/**
 * The seven kinds of action of the original design. A quota's
 * {@link ResourceQuota#allowedActions() allowed actions} restrict an agent to some actions; they
 * hold these seven by their {@link #actionName() action names} ({@code api-call},
 * {@code file-read}, ...) beside any other action name ({@code tool:search}, {@code email.send}),
 * see {@link ActionNames}.
 */
public enum ActionType {
	/** Running generated or user-supplied code. */
	CODE_EXECUTION,
	/** Reading a file. */
	FILE_READ,
	/** Writing a file. */
	FILE_WRITE,
	/** Calling an external API, for example a model provider. */
	API_CALL,
	/** Running a read-only database query. */
	DATABASE_QUERY,
	/** Changing data in a database. */
	DATABASE_WRITE,
	/** Triggering another workflow. */
	WORKFLOW_TRIGGER;

	private static final ActionType[] VALUES = values();

	private final String actionName = name().toLowerCase(Locale.ROOT).replace('_', '-');

	/**
	 * The action name of this type: its name in kebab case, as in configuration
	 * ({@code API_CALL} is {@code api-call}). An allowed action with this name allows this type,
	 * and the other way round.
	 * @return the action name
	 */
	public String actionName() {
		return this.actionName;
	}

	/**
	 * The type whose {@link #actionName() action name} the given name is, ignoring case and
	 * whether words are separated by {@code -} or {@code _} ({@code api-call}, {@code API_CALL}
	 * and {@code Api_Call} are {@link #API_CALL}), as Spring Boot binds enum values.
	 * @param name an action name
	 * @return the type, or empty when the name is none of the seven
	 */
	public static Optional<ActionType> fromActionName(String name) {
		if (name == null || name.length() < 8 || name.length() > 16) {
			return Optional.empty();
		}
		for (ActionType type : VALUES) {
			if (sameName(type.actionName, name)) {
				return Optional.of(type);
			}
		}
		return Optional.empty();
	}

	private static boolean sameName(String actionName, String name) {
		if (actionName.length() != name.length()) {
			return false;
		}
		for (int i = 0; i < name.length(); i++) {
			char expected = actionName.charAt(i);
			char given = name.charAt(i);
			boolean same = (expected == '-') ? (given == '-' || given == '_')
					: Character.toLowerCase(given) == expected;
			if (!same) {
				return false;
			}
		}
		return true;
	}

}
