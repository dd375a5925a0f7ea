package io.agentcontrolplane.autoconfigure.condition;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import io.agentcontrolplane.autoconfigure.AgentControlPlaneConfigurationException;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.autoconfigure.condition.ConditionMessage;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.boot.context.properties.bind.BindException;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationProperty;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * The condition behind {@link ConditionalOnEnabledSwitch}. Each switch is bound as a
 * {@link Boolean} by Boot's {@link Binder}, the way the same property of the
 * {@code @ConfigurationProperties} bean is bound, so that the condition and the properties agree
 * on what a value means.
 */
@Order(Ordered.HIGHEST_PRECEDENCE + 40)
class OnEnabledSwitchCondition extends SpringBootCondition {

	@Override
	public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
		Map<String, Object> attributes = metadata
			.getAnnotationAttributes(ConditionalOnEnabledSwitch.class.getName());
		String[] names = (attributes != null) ? (String[]) attributes.get("value")
				: new String[] { ConditionalOnEnabledSwitch.ENABLED };
		ConditionMessage.Builder message = ConditionMessage.forCondition(ConditionalOnEnabledSwitch.class);
		Binder binder = Binder.get(context.getEnvironment());
		List<String> on = new ArrayList<>();
		for (String name : names) {
			Boolean enabled = bind(binder, name);
			if (Boolean.FALSE.equals(enabled)) {
				return ConditionOutcome.noMatch(message.because(name + " is false"));
			}
			on.add(name + ((enabled != null) ? " is true" : " is not set (on by default)"));
		}
		return ConditionOutcome.match(message.because(String.join(", ", on)));
	}

	private static @Nullable Boolean bind(Binder binder, String name) {
		try {
			return binder.bind(name, Boolean.class).orElse(null);
		}
		catch (BindException ex) {
			ConfigurationProperty property = ex.getProperty();
			AgentControlPlaneConfigurationException invalid = AgentControlPlaneConfigurationException
				.invalidProperty(name, (property != null) ? property.getValue() : null, "true or false");
			invalid.initCause(ex);
			throw invalid;
		}
	}

}
