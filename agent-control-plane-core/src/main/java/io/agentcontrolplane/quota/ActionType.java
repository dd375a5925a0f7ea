package io.agentcontrolplane.quota;

/**
 * The kinds of action an agent may take. A quota's {@link ResourceQuota#allowedActionTypes()}
 * restricts an agent to some of them.
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
	WORKFLOW_TRIGGER
}
