package io.agentcontrolplane.autoconfigure.aop;

import java.lang.reflect.Method;
import java.time.Duration;

import io.agentcontrolplane.quota.Usage;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

import org.springframework.context.expression.MethodBasedEvaluationContext;
import org.springframework.core.ParameterNameDiscoverer;
import org.springframework.expression.BeanResolver;
import org.springframework.expression.EvaluationException;
import org.springframework.expression.Expression;

/**
 * What {@code @BoundedExecution} asks of one method on one target class, parsed once: the agent
 * id (a literal with placeholders already resolved, or a parsed SpEL template), the action, the
 * wait override and how the return type is bounded.
 */
final class BoundedExecutionOperation {

	private final Class<?> targetClass;

	private final Method method;

	private final Kind kind;

	private final @Nullable String agentId;

	private final @Nullable Expression agentExpression;

	private final @Nullable String action;

	private final @Nullable Duration maxWait;

	private final @Nullable ParameterNameDiscoverer parameterNameDiscoverer;

	private final @Nullable BeanResolver beanResolver;

	/** The estimate expression over the arguments, {@code null} when none. */
	private @Nullable Expression estimate;

	/** The usage expression over {@code #result}, {@code null} when none. */
	private @Nullable Expression usage;

	/** For the estimate and usage expressions (literal agent ids need none of their own). */
	private @Nullable ParameterNameDiscoverer budgetNames;

	private @Nullable BeanResolver budgetBeans;

	private BoundedExecutionOperation(Class<?> targetClass, Method method, Kind kind, @Nullable String agentId,
			@Nullable Expression agentExpression, @Nullable String action, @Nullable Duration maxWait,
			@Nullable ParameterNameDiscoverer parameterNameDiscoverer, @Nullable BeanResolver beanResolver) {
		this.targetClass = targetClass;
		this.method = method;
		this.kind = kind;
		this.agentId = agentId;
		this.agentExpression = agentExpression;
		this.action = action;
		this.maxWait = maxWait;
		this.parameterNameDiscoverer = parameterNameDiscoverer;
		this.beanResolver = beanResolver;
	}

	static BoundedExecutionOperation none(Class<?> targetClass, Method method) {
		return new BoundedExecutionOperation(targetClass, method, Kind.NONE, null, null, null, null, null, null);
	}

	static BoundedExecutionOperation literal(Class<?> targetClass, Method method, Kind kind, String agentId,
			@Nullable String action, @Nullable Duration maxWait) {
		return new BoundedExecutionOperation(targetClass, method, kind, agentId, null, action, maxWait, null, null);
	}

	static BoundedExecutionOperation template(Class<?> targetClass, Method method, Kind kind, Expression agentExpression,
			@Nullable String action, @Nullable Duration maxWait, ParameterNameDiscoverer parameterNameDiscoverer,
			@Nullable BeanResolver beanResolver) {
		return new BoundedExecutionOperation(targetClass, method, kind, null, agentExpression, action, maxWait,
				parameterNameDiscoverer, beanResolver);
	}

	/**
	 * Set the budget expressions, once, while the operation is being made.
	 */
	BoundedExecutionOperation withBudgets(@Nullable Expression estimate, @Nullable Expression usage,
			ParameterNameDiscoverer parameterNameDiscoverer, @Nullable BeanResolver beanResolver) {
		this.estimate = estimate;
		this.usage = usage;
		this.budgetNames = parameterNameDiscoverer;
		this.budgetBeans = beanResolver;
		return this;
	}

	/**
	 * Whether the operation has an estimate or a usage expression.
	 */
	boolean hasBudgetExpressions() {
		return this.estimate != null || this.usage != null;
	}

	/**
	 * The call's estimate, or {@code null} for the engine's default (one request).
	 */
	@Nullable Usage estimate(MethodInvocation invocation) {
		Expression expression = this.estimate;
		return (expression != null) ? evaluate(expression, "estimate", invocation, null, false) : null;
	}

	/**
	 * Whether the operation settles a usage.
	 */
	boolean settles() {
		return this.usage != null;
	}

	/**
	 * The call's real usage, or {@code null} to keep the estimate charged.
	 */
	@Nullable Usage usage(MethodInvocation invocation, @Nullable Object result) {
		Expression expression = this.usage;
		return (expression != null) ? evaluate(expression, "usage", invocation, result, true) : null;
	}

	private @Nullable Usage evaluate(Expression expression, String attribute, MethodInvocation invocation,
			@Nullable Object result, boolean withResult) {
		Object[] arguments = invocation.getArguments();
		MethodBasedEvaluationContext context = new MethodBasedEvaluationContext(
				new RootObject(this.method, arguments, invocation.getThis()), this.method, arguments,
				this.budgetNames);
		if (this.budgetBeans != null) {
			context.setBeanResolver(this.budgetBeans);
		}
		if (withResult) {
			context.setVariable("result", result);
		}
		Object value;
		try {
			value = expression.getValue(context);
		}
		catch (EvaluationException ex) {
			throw new IllegalArgumentException("@BoundedExecution " + attribute + " '" + expression.getExpressionString()
					+ "' on " + this.method + " could not be evaluated: " + ex.getMessage(), ex);
		}
		if (value == null || value instanceof Usage) {
			return (Usage) value;
		}
		if (value instanceof Number number) {
			// Input tokens of one call, its model unnamed (priced at the highest input price).
			return Usage.estimate(number.longValue(), 0);
		}
		throw new IllegalArgumentException("@BoundedExecution " + attribute + " '" + expression.getExpressionString()
				+ "' on " + this.method + " returned " + value.getClass().getName()
				+ ", expected a Usage or a number of tokens");
	}

	Class<?> targetClass() {
		return this.targetClass;
	}

	Method method() {
		return this.method;
	}

	Kind kind() {
		return this.kind;
	}

	/**
	 * The agent id when it is a literal, known at start-up.
	 * @return the literal agent id, or {@code null} for a template
	 */
	@Nullable String literalAgentId() {
		return this.agentId;
	}

	@Nullable String action() {
		return this.action;
	}

	@Nullable Duration maxWait() {
		return this.maxWait;
	}

	/**
	 * The agent id of one call: the literal, or the template evaluated over the arguments.
	 * @param invocation the call
	 * @return the agent id
	 */
	String agentId(MethodInvocation invocation) {
		String literal = this.agentId;
		if (literal != null) {
			return literal;
		}
		Expression expression = this.agentExpression;
		Object[] arguments = invocation.getArguments();
		MethodBasedEvaluationContext context = new MethodBasedEvaluationContext(
				new RootObject(this.method, arguments, invocation.getThis()), this.method, arguments,
				this.parameterNameDiscoverer);
		if (this.beanResolver != null) {
			context.setBeanResolver(this.beanResolver);
		}
		String agentId;
		try {
			agentId = expression.getValue(context, String.class);
		}
		catch (EvaluationException ex) {
			// Name the annotation and the method, as for a null or blank result: SpEL's own
			// message names neither.
			throw new IllegalArgumentException(describe(expression) + " could not be evaluated: " + ex.getMessage(),
					ex);
		}
		if (agentId == null || agentId.isBlank()) {
			throw new IllegalArgumentException(describe(expression) + " evaluated to "
					+ ((agentId == null) ? "null" : "'" + agentId + "'") + ", expected a non-blank agent id");
		}
		return agentId;
	}

	private String describe(Expression expression) {
		return "@BoundedExecution agent id '" + expression.getExpressionString() + "' on " + this.method;
	}

	/**
	 * How a method's result is bounded.
	 */
	enum Kind {

		/** Not bounded: the method is not annotated. */
		NONE,

		/** The permit is held for the call itself. */
		PLAIN,

		/** Declared as CompletionStage or CompletableFuture: admitted asynchronously. */
		COMPLETABLE_FUTURE,

		/**
		 * A subclass of CompletableFuture, which the interceptor cannot replace by its own future:
		 * admitted synchronously; the returned future is failed with a TimeoutException after
		 * the quota's maxExecutionTime, and the permit is released when it completes.
		 */
		COMPLETABLE_FUTURE_SUBCLASS,

		/** Reactor Mono. */
		MONO,

		/** Reactor Flux. */
		FLUX

	}

	/**
	 * The root object of agent id expressions: {@code #root.method}, {@code #root.args},
	 * {@code #root.target}.
	 * @param method the method
	 * @param args the arguments
	 * @param target the target
	 */
	record RootObject(Method method, Object[] args, @Nullable Object target) {

	}

}
