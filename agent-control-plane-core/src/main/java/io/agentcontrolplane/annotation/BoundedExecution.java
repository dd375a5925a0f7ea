package io.agentcontrolplane.annotation;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import io.agentcontrolplane.quota.ActionType;

/**
 * Runs the annotated method (or every public method of the annotated type) under an agent's
 * quota. A method-level annotation wins over a type-level one.
 *
 * <p>Checks for one call, in order: the action is allowed, a concurrency permit, one request
 * from the rate budgets. A call refused for any reason consumes nothing and throws
 * {@link io.agentcontrolplane.quota.QuotaExceededException}.
 */
@Target({ ElementType.METHOD, ElementType.TYPE })
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@Documented
public @interface BoundedExecution {

	/**
	 * Alias for {@link #agent()}.
	 * @return the agent id
	 */
	String value() default "";

	/**
	 * The agent id. Supports {@code ${...}} placeholders and SpEL templates over the method
	 * arguments, for example {@code "tenant-#{#tenantId}"} or {@code "#{#request.tenantId}"}.
	 * @return the agent id
	 */
	String agent() default "";

	/**
	 * Override of the quota's maximum wait for a permit, as a duration string ({@code "2s"},
	 * {@code "PT2S"}; placeholders allowed). Empty means the quota's own.
	 * @return the maximum wait
	 */
	String maxWait() default "";

	/**
	 * The action this call performs. When set, the call is checked against the quota's allowed
	 * action types. Empty (the default) means no action check.
	 * @return the action, as an array of at most one element
	 */
	ActionType[] action() default {};

}
