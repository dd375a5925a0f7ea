package io.agentcontrolplane.quota;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Proxy;

/**
 * Test support: the in-memory store with some of each agent's {@link PermitStore.AgentPermits}
 * calls answered by the test, to play a store that behaves differently (a remote one, one that
 * does not count slots).
 */
final class InterceptedStore implements PermitStore {

	/** Answers one call; {@link #PASS} lets the in-memory permits answer it. */
	@FunctionalInterface
	interface Interceptor {

		Object answer(Method method, Object[] args) throws Throwable;

	}

	static final Object PASS = new Object();

	private final String name;

	private final Interceptor interceptor;

	InterceptedStore(String name, Interceptor interceptor) {
		this.name = name;
		this.interceptor = interceptor;
	}

	@Override
	public String name() {
		return this.name;
	}

	@Override
	public AgentPermits create(String agentId, int limit, boolean fair) {
		AgentPermits memory = PermitStore.inMemory().create(agentId, limit, fair);
		return (AgentPermits) Proxy.newProxyInstance(AgentPermits.class.getClassLoader(),
				new Class<?>[] { AgentPermits.class }, (proxy, method, args) -> {
					Object answer = this.interceptor.answer(method, args);
					if (answer != PASS) {
						return answer;
					}
					try {
						return method.invoke(memory, args);
					}
					catch (InvocationTargetException ex) {
						throw ex.getCause();
					}
				});
	}

}
