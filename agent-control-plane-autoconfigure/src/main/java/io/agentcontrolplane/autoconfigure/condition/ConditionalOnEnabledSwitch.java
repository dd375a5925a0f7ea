package io.agentcontrolplane.autoconfigure.condition;

import java.lang.annotation.Documented;
import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

import org.springframework.context.annotation.Conditional;

/**
 * {@link Conditional @Conditional} that matches when every named boolean switch is on: set to
 * {@code true}, or not set at all. Unlike {@code @ConditionalOnBooleanProperty}, which treats any
 * value but {@code true} as off, a value that is not a boolean (a typo such as {@code ture}, or
 * {@code perhaps}) fails start-up with an
 * {@link io.agentcontrolplane.autoconfigure.AgentControlPlaneConfigurationException} naming the
 * property, the value and what is allowed, instead of silently switching the feature off.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target({ ElementType.TYPE, ElementType.METHOD })
@Documented
@Conditional(OnEnabledSwitchCondition.class)
public @interface ConditionalOnEnabledSwitch {

	/**
	 * The master switch of agent-control-plane.
	 */
	String ENABLED = "agent-control-plane.enabled";

	/**
	 * The full names of the switches that must all be on.
	 * @return the property names
	 */
	String[] value() default ENABLED;

}
