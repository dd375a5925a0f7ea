package io.agentcontrolplane.quota;

import java.util.Optional;

/**
 * The rules for action names, the open form of {@link ActionType}: an agent's
 * {@link ResourceQuota#allowedActions() allowed actions} and the action of a call are strings
 * such as {@code api-call}, {@code tool:search} or {@code email.send}.
 *
 * <h2>Matching</h2> A call's action is allowed when it equals one of the allowed actions,
 * exactly and case-sensitively ({@code tool:Search} is not {@code tool:search}), after both
 * were brought to their {@linkplain #canonical canonical form}: a name that is one of the seven
 * {@link ActionType}s, ignoring case and {@code -}/{@code _} ({@code API_CALL},
 * {@code api_call}), becomes that type's {@link ActionType#actionName() kebab-case name}
 * ({@code api-call}), as Spring Boot binds {@code allowed-action-types}; every other name is
 * kept as written. So {@code allowedActions("api-call")} allows {@link ActionType#API_CALL} and
 * {@code allowedActionTypes(API_CALL)} allows the action name {@code "api-call"}.
 *
 * <h2>Valid names</h2> Not blank, at most {@value #MAX_LENGTH} characters, no leading or
 * trailing white space and no control characters (line breaks included): an action name ends up
 * in log lines, metrics and refusal messages. A bad name throws
 * {@link IllegalArgumentException} naming the argument or property, the value and the rule.
 */
public final class ActionNames {

	/** The maximum length of an action name. */
	public static final int MAX_LENGTH = 128;

	private ActionNames() {
	}

	/**
	 * Check an action name and bring it to its canonical form.
	 * @param what what the name is, for the message (an argument or property name such as
	 * {@code allowedActions[2]})
	 * @param name the action name
	 * @return the canonical name: the kebab-case name of an {@link ActionType}, or the name as
	 * given
	 * @throws IllegalArgumentException naming {@code what}, the value and the rule when the name
	 * is not valid
	 */
	public static String canonical(String what, String name) {
		if (name == null) {
			throw new IllegalArgumentException(what + " must not be null");
		}
		if (name.isBlank()) {
			throw new IllegalArgumentException(what + " must not be blank, was '" + name + "'");
		}
		if (name.length() > MAX_LENGTH) {
			throw new IllegalArgumentException(what + " must be at most " + MAX_LENGTH + " characters, was "
					+ name.length() + " characters: '" + printable(name.substring(0, 40)) + "...'");
		}
		for (int i = 0; i < name.length(); i++) {
			if (Character.isISOControl(name.charAt(i))) {
				throw new IllegalArgumentException(what + " must not contain control characters (such as line"
						+ " breaks or tabs), was '" + printable(name) + "'");
			}
		}
		if (Character.isWhitespace(name.charAt(0)) || Character.isWhitespace(name.charAt(name.length() - 1))) {
			throw new IllegalArgumentException(
					what + " must not start or end with white space, was '" + name + "'");
		}
		Optional<ActionType> type = ActionType.fromActionName(name);
		return type.isPresent() ? type.get().actionName() : name;
	}

	/** The name with control characters shown as escapes, so the message stays one line. */
	private static String printable(String name) {
		StringBuilder printable = new StringBuilder(name.length() + 8);
		for (int i = 0; i < name.length(); i++) {
			char c = name.charAt(i);
			if (Character.isISOControl(c)) {
				printable.append(String.format("\\u%04x", (int) c));
			}
			else {
				printable.append(c);
			}
		}
		return printable.toString();
	}

}
