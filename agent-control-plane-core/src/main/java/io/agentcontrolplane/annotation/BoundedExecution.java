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
 * from the rate budgets and the {@link #estimate()} (one request when none) from the agent's
 * budgets; the call's {@link #usage()} is settled when it returns. A call refused for any
 * reason consumes nothing and throws {@link io.agentcontrolplane.quota.QuotaExceededException}.
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
	 * The action this call performs, as one of the seven {@link ActionType}s. When set, the call
	 * is checked against the quota's allowed actions. Empty (the default) means no action check.
	 * Set this or {@link #actionName()}, not both.
	 * @return the action, as an array of at most one element
	 */
	ActionType[] action() default {};

	/**
	 * The action this call performs, by name: any action name such as {@code "email.send"} or
	 * {@code "tool:search"}, or one of the seven {@link ActionType}s by its kebab-case name
	 * ({@code "api-call"}); {@code ${...}} placeholders allowed. When set, the call is checked
	 * against the quota's {@link io.agentcontrolplane.quota.ResourceQuota#allowedActions()
	 * allowed actions}, matched as {@link io.agentcontrolplane.quota.ActionNames} says (exactly,
	 * case-sensitively). Empty (the default) means no action check. Set this or
	 * {@link #action()}, not both: both set fails start-up.
	 * @return the action name
	 */
	String actionName() default "";

	/**
	 * What one call is expected to spend, reserved from the agent's token, cost and request
	 * budgets at admission: a SpEL expression over the method arguments ({@code #name},
	 * {@code #p0}, {@code #a0}, {@code #root.args}). It may return a
	 * {@link io.agentcontrolplane.quota.Usage} (such as
	 * {@code T(io.agentcontrolplane.quota.Usage).estimate(#prompt.length() / 4, 1000)}), or a
	 * number of tokens, reserved as input tokens of one call (priced, for a cost budget, at the
	 * highest input price). Empty (the default) reserves one request. A method that throws
	 * before returning refunds the whole estimate.
	 * @return the estimate expression
	 */
	String estimate() default "";

	/**
	 * What one call really spent, settled on its permit when the method returns (or, for a
	 * {@code CompletionStage}, when it completes normally; for a {@code Mono}, over its value
	 * when it completes; for a {@code Flux}, over each element, added up and settled when it
	 * completes): a SpEL expression over the result, {@code #result}, and the arguments. It may
	 * return a
	 * {@link io.agentcontrolplane.quota.Usage} (such as
	 * {@code T(io.agentcontrolplane.quota.Usage).of('gpt-4.1-mini', #result.inputTokens,
	 * #result.outputTokens)}), or a number of tokens, settled as input tokens of one call. A
	 * {@code null} result of the expression keeps the estimate charged. Empty (the default)
	 * keeps the estimate charged.
	 * @return the usage expression
	 */
	String usage() default "";

}
