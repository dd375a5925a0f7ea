package io.agentcontrolplane.concurrent;

import org.jspecify.annotations.Nullable;

/**
 * The outcome of one task of a settled gather: its value or its failure.
 *
 * @param <T> the value type
 */
public sealed interface Outcome<T> {

	/**
	 * A task that completed with a value.
	 *
	 * @param <T> the value type
	 * @param value the value, which may be {@code null}
	 */
	record Success<T>(@Nullable T value) implements Outcome<T> {
	}

	/**
	 * A task that failed.
	 *
	 * @param <T> the value type
	 * @param error the failure
	 */
	record Failure<T>(Throwable error) implements Outcome<T> {
	}

}
