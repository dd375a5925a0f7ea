package io.agentcontrolplane.autoconfigure;

import java.util.ArrayList;
import java.util.List;

import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.boot.context.properties.ConfigurationPropertiesBean;
import org.springframework.boot.context.properties.source.ConfigurationPropertyName;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationContextAware;

/**
 * Fails start-up, once every singleton exists, when a name set under
 * {@code agent-control-plane.*} is not a setting (see {@link AgentControlPlanePropertyNames}).
 * Names under the prefix of another {@code @ConfigurationProperties} bean, such as one of an
 * add-on module bound to {@code agent-control-plane.something}, are that bean's business and are
 * left alone.
 */
final class UnknownPropertyCheck implements SmartInitializingSingleton, ApplicationContextAware {

	private @Nullable ApplicationContext applicationContext;

	@Override
	public void setApplicationContext(ApplicationContext applicationContext) {
		this.applicationContext = applicationContext;
	}

	@Override
	public void afterSingletonsInstantiated() {
		ApplicationContext context = this.applicationContext;
		if (context == null) {
			return;
		}
		List<ConfigurationPropertyName> otherPrefixes = new ArrayList<>();
		ConfigurationPropertiesBean.getAll(context).values().forEach((bean) -> {
			String prefix = bean.getAnnotation().prefix();
			if (ConfigurationPropertyName.isValid(prefix)) {
				ConfigurationPropertyName name = ConfigurationPropertyName.of(prefix);
				if (AgentControlPlanePropertyNames.PREFIX.isAncestorOf(name)) {
					otherPrefixes.add(name);
				}
			}
		});
		AgentControlPlanePropertyNames.requireKnown(context.getEnvironment(), otherPrefixes);
	}

}
