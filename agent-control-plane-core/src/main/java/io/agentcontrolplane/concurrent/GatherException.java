package io.agentcontrolplane.concurrent;

/**
 * Thrown by a gather or process call when one task failed; its cause is the failure. Thrown only
 * after every started task has finished.
 */
public class GatherException extends RuntimeException {

	private static final long serialVersionUID = 1L;

	private final int index;

	/**
	 * Create a new instance.
	 * @param index the position of the failed task (or item) in the input
	 * @param cause the failure
	 */
	public GatherException(int index, Throwable cause) {
		super("Task " + index + " failed: " + cause, cause);
		this.index = index;
	}

	/**
	 * The position of the failed task (or item) in the input; {@code -1} when the call was
	 * cancelled rather than failed by a task.
	 * @return the index
	 */
	public int index() {
		return this.index;
	}

}
