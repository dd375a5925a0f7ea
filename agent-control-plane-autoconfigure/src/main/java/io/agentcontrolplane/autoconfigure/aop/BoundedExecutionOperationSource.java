package io.agentcontrolplane.autoconfigure.aop;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import io.agentcontrolplane.annotation.BoundedExecution;
import io.agentcontrolplane.autoconfigure.AgentControlPlaneConfigurationException;
import io.agentcontrolplane.autoconfigure.aop.BoundedExecutionOperation.Kind;
import io.agentcontrolplane.quota.ActionNames;
import io.agentcontrolplane.quota.ActionType;
import org.jspecify.annotations.Nullable;

import org.springframework.aop.support.AopUtils;
import org.springframework.beans.factory.config.ConfigurableBeanFactory;
import org.springframework.boot.convert.DurationStyle;
import org.springframework.context.expression.BeanFactoryResolver;
import org.springframework.core.DefaultParameterNameDiscoverer;
import org.springframework.core.ParameterNameDiscoverer;
import org.springframework.core.annotation.AnnotatedElementUtils;
import org.springframework.core.env.Environment;
import org.springframework.expression.BeanResolver;
import org.springframework.expression.Expression;
import org.springframework.expression.ParseException;
import org.springframework.expression.ParserContext;
import org.springframework.expression.spel.standard.SpelExpressionParser;
import org.springframework.util.ClassUtils;
import org.springframework.util.PlaceholderResolutionException;

/**
 * Finds and parses the {@link BoundedExecution} that applies to a method of a target class. A
 * method-level annotation wins over a type-level one; a type-level one applies to public methods
 * only. Placeholders are resolved and SpEL templates parsed here, once per method, so that a
 * call pays for neither. Invalid annotations, including a placeholder that cannot be resolved,
 * throw {@link AgentControlPlaneConfigurationException}.
 */
final class BoundedExecutionOperationSource {

	private static final boolean REACTOR_PRESENT = ClassUtils.isPresent("reactor.core.publisher.Mono",
			BoundedExecutionOperationSource.class.getClassLoader());

	private final SpelExpressionParser parser = new SpelExpressionParser();

	private final ParameterNameDiscoverer parameterNameDiscoverer = new DefaultParameterNameDiscoverer();

	private @Nullable ConfigurableBeanFactory beanFactory;

	private @Nullable BeanResolver beanResolver;

	private @Nullable Environment environment;

	void setBeanFactory(ConfigurableBeanFactory beanFactory) {
		this.beanFactory = beanFactory;
		this.beanResolver = new BeanFactoryResolver(beanFactory);
	}

	void setEnvironment(Environment environment) {
		this.environment = environment;
	}

	/**
	 * The operation of a method called on an instance of the given class.
	 * @param method the method, as the proxy sees it
	 * @param targetClass the class of the target
	 * @return the operation, of kind {@link Kind#NONE} when no annotation applies
	 */
	BoundedExecutionOperation get(Method method, Class<?> targetClass) {
		BoundedExecutionOperation operation = operation(method, targetClass);
		if (operation.kind() == Kind.NONE) {
			return operation;
		}
		BoundedExecution annotation = findAnnotation(method, AopUtils.getMostSpecificMethod(method,
				ClassUtils.getUserClass(targetClass)), ClassUtils.getUserClass(targetClass));
		if (annotation == null || (annotation.estimate().isEmpty() && annotation.usage().isEmpty())) {
			return operation;
		}
		String where = "@BoundedExecution on " + operation.method().toGenericString();
		return operation.withBudgets(budgetExpression(annotation.estimate(), "estimate", where),
				budgetExpression(annotation.usage(), "usage", where), this.parameterNameDiscoverer, this.beanResolver);
	}

	private @Nullable Expression budgetExpression(String text, String attribute, String where) {
		if (text.isBlank()) {
			return null;
		}
		try {
			return this.parser.parseExpression(text);
		}
		catch (ParseException ex) {
			throw new AgentControlPlaneConfigurationException(
					where + " has an " + attribute + " expression '" + text + "' that is not valid SpEL: "
							+ ex.getMessage(),
					"Fix the expression: it must return a Usage or a number of tokens, for example "
							+ ("usage".equals(attribute) ? "usage = \"#result.tokens\"." : "estimate = \"#maxTokens\"."));
		}
	}

	private BoundedExecutionOperation operation(Method method, Class<?> targetClass) {
		Class<?> userClass = ClassUtils.getUserClass(targetClass);
		Method specificMethod = AopUtils.getMostSpecificMethod(method, userClass);
		BoundedExecution annotation = findAnnotation(method, specificMethod, userClass);
		if (annotation == null) {
			return BoundedExecutionOperation.none(targetClass, specificMethod);
		}
		String where = "@BoundedExecution on " + specificMethod.toGenericString();
		String action = action(annotation, where);
		Duration maxWait = maxWait(annotation, where);
		Kind kind = kind(specificMethod.getReturnType(), where);
		String agent = resolvePlaceholders("agent", agent(annotation, where), where);
		if (agent.contains(ParserContext.TEMPLATE_EXPRESSION.getExpressionPrefix())) {
			try {
				Expression expression = this.parser.parseExpression(agent, ParserContext.TEMPLATE_EXPRESSION);
				return BoundedExecutionOperation.template(targetClass, specificMethod, kind, expression, action,
						maxWait, this.parameterNameDiscoverer, this.beanResolver);
			}
			catch (ParseException ex) {
				throw new AgentControlPlaneConfigurationException(
						where + " has an agent id template '" + agent + "' that is not valid SpEL: " + ex.getMessage(),
						"Fix the template, for example agent = \"tenant-#{#tenantId}\".");
			}
		}
		if (agent.isBlank()) {
			throw new AgentControlPlaneConfigurationException(where + " resolves to a blank agent id.",
					"Name the agent, for example @BoundedExecution(agent = \"research-agent\").");
		}
		return BoundedExecutionOperation.literal(targetClass, specificMethod, kind, agent, action, maxWait);
	}

	private @Nullable BoundedExecution findAnnotation(Method method, Method specificMethod, Class<?> userClass) {
		BoundedExecution annotation = AnnotatedElementUtils.findMergedAnnotation(specificMethod,
				BoundedExecution.class);
		if (annotation == null && specificMethod != method) {
			annotation = AnnotatedElementUtils.findMergedAnnotation(method, BoundedExecution.class);
		}
		if (annotation == null && appliesTypeLevel(specificMethod)) {
			annotation = AnnotatedElementUtils.findMergedAnnotation(userClass, BoundedExecution.class);
		}
		return annotation;
	}

	private boolean appliesTypeLevel(Method method) {
		int modifiers = method.getModifiers();
		return Modifier.isPublic(modifiers) && !Modifier.isStatic(modifiers)
				&& method.getDeclaringClass() != Object.class;
	}

	private String agent(BoundedExecution annotation, String where) {
		String agent = annotation.agent();
		String value = annotation.value();
		if (!agent.isEmpty() && !value.isEmpty() && !agent.equals(value)) {
			throw new AgentControlPlaneConfigurationException(
					where + " declares both agent = \"" + agent + "\" and value = \"" + value + "\".",
					"Declare the agent id once, as agent or as value.");
		}
		String result = agent.isEmpty() ? value : agent;
		if (result.isEmpty()) {
			throw new AgentControlPlaneConfigurationException(where + " does not name an agent.",
					"Name the agent, for example @BoundedExecution(agent = \"research-agent\").");
		}
		return result;
	}

	/**
	 * The call's action in its canonical name ({@link ActionNames}), from {@code action} or
	 * {@code actionName}; {@code null} for no action check.
	 */
	private @Nullable String action(BoundedExecution annotation, String where) {
		ActionType[] actions = annotation.action();
		if (actions.length > 1) {
			throw new AgentControlPlaneConfigurationException(
					where + " declares " + actions.length + " actions " + java.util.Arrays.toString(actions) + ".",
					"Declare at most one action per method.");
		}
		String name = annotation.actionName();
		if (actions.length != 0 && !name.isEmpty()) {
			throw new AgentControlPlaneConfigurationException(
					where + " declares both action = " + actions[0] + " and actionName = \"" + name + "\".",
					"Declare the action once: action for one of the seven ActionTypes, or actionName for any"
							+ " action name (actionName = \"" + actions[0].actionName() + "\" is the same as action = "
							+ actions[0] + ").");
		}
		if (actions.length != 0) {
			return actions[0].actionName();
		}
		if (name.isEmpty()) {
			return null;
		}
		String resolved = resolvePlaceholders("actionName", name, where);
		try {
			return ActionNames.canonical("actionName", resolved);
		}
		catch (IllegalArgumentException ex) {
			throw new AgentControlPlaneConfigurationException(where + " has an invalid actionName: " + ex.getMessage() + ".",
					"Name the action with at most " + ActionNames.MAX_LENGTH + " characters, no control characters and"
							+ " no leading or trailing white space, for example actionName = \"email.send\".");
		}
	}

	private @Nullable Duration maxWait(BoundedExecution annotation, String where) {
		if (annotation.maxWait().isEmpty()) {
			return null;
		}
		String value = resolvePlaceholders("maxWait", annotation.maxWait(), where);
		Duration maxWait;
		try {
			maxWait = DurationStyle.detectAndParse(value.trim());
		}
		catch (IllegalArgumentException ex) {
			throw new AgentControlPlaneConfigurationException(
					where + " has maxWait = \"" + value + "\", which is not a duration.",
					"Use a duration such as \"500ms\", \"2s\" or \"PT2S\" (units ns, us, ms, s, m, h, d).");
		}
		if (maxWait.isNegative()) {
			throw new AgentControlPlaneConfigurationException(where + " has a negative maxWait \"" + value + "\".",
					"Use a duration >= 0; 0 means never wait.");
		}
		return maxWait;
	}

	/**
	 * Resolve placeholders strictly. The environment is asked rather than the bean factory's
	 * embedded value resolver: without a {@code PropertySourcesPlaceholderConfigurer} that one
	 * leaves an unresolvable placeholder in place, and calls would run as the literal agent
	 * {@code "${missing.agent}"}.
	 */
	private String resolvePlaceholders(String attribute, String value, String where) {
		if (!value.contains("${")) {
			return value;
		}
		try {
			if (this.environment != null) {
				return this.environment.resolveRequiredPlaceholders(value);
			}
			String resolved = (this.beanFactory != null) ? this.beanFactory.resolveEmbeddedValue(value) : null;
			return (resolved != null) ? resolved : value;
		}
		catch (IllegalArgumentException ex) {
			String property = (ex instanceof PlaceholderResolutionException unresolved) ? unresolved.getPlaceholder()
					: "agent.name";
			String example = attribute.equals("maxWait") ? "2s" : "research-agent";
			throw new AgentControlPlaneConfigurationException(where + " has " + attribute + " = \"" + value
					+ "\", whose placeholder cannot be resolved: " + ex.getMessage() + ".",
					"Define the property '" + property + "', or give the placeholder a default, for example ${"
							+ property + ":" + example + "}.");
		}
	}

	/**
	 * How the return type is bounded. A {@code CompletionStage} that is neither declared as
	 * {@code CompletionStage}/{@code CompletableFuture} nor a {@code CompletableFuture} subclass
	 * cannot be failed from outside, so if it hung it would keep its permit past
	 * {@code max-execution-time} forever: such a method fails start-up instead.
	 */
	private static Kind kind(Class<?> returnType, String where) {
		if (CompletionStage.class.isAssignableFrom(returnType)) {
			if (returnType.isAssignableFrom(CompletableFuture.class)) {
				return Kind.COMPLETABLE_FUTURE;
			}
			if (CompletableFuture.class.isAssignableFrom(returnType)) {
				return Kind.COMPLETABLE_FUTURE_SUBCLASS;
			}
			throw new AgentControlPlaneConfigurationException(where + " returns " + returnType.getName()
					+ ", a CompletionStage that is not a CompletableFuture: it cannot be timed out after"
					+ " max-execution-time, so a call that hangs would keep its permit forever.",
					"Declare the return type as CompletableFuture or CompletionStage (the interceptor then returns"
							+ " its own future), or as a subclass of CompletableFuture.");
		}
		if (REACTOR_PRESENT) {
			Kind reactive = ReactorBoundedExecution.kind(returnType);
			if (reactive != null) {
				return reactive;
			}
		}
		return Kind.PLAIN;
	}

}
