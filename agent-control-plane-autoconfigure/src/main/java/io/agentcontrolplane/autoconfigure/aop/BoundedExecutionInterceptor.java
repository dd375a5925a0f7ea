package io.agentcontrolplane.autoconfigure.aop;

import java.lang.reflect.Method;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;

import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.ResourceQuota;
import io.agentcontrolplane.quota.UnknownAgentPolicy;
import org.aopalliance.intercept.MethodInterceptor;
import org.aopalliance.intercept.MethodInvocation;
import org.jspecify.annotations.Nullable;

import org.springframework.core.MethodClassKey;

/**
 * The {@link MethodInterceptor} behind {@code @BoundedExecution}: admits each call through
 * {@link PolicyEngine#admit} (action allowed, then a concurrency permit, then the rate budget; a
 * refused call consumes nothing and fails with a {@code QuotaExceededException}) and returns the
 * permit when the work is done.
 *
 * <ul>
 * <li>Plain return types: the caller waits (up to the quota's or the annotation's
 * {@code maxWait}) on its own thread; the permit is held for the call and released in
 * {@code finally}.</li>
 * <li>{@code CompletionStage} / {@code CompletableFuture}: admission never blocks the caller
 * ({@code admitAsync}). The method is invoked once the permit is granted - at once on the
 * caller's thread when one is free, otherwise on the thread that hands the permit over - and the
 * returned future completes with the method's result. The permit is released when that result
 * completes, fails, is cancelled or exceeds the quota's {@code maxExecutionTime} (then it fails
 * with a {@link TimeoutException} and the method's own future is cancelled). Cancelling while
 * waiting gives up the wait. Other {@code CompletionStage} subtypes, which cannot be replaced by
 * a {@code CompletableFuture}, are admitted synchronously and released on completion.</li>
 * <li>Reactor {@code Mono} / {@code Flux}: see {@link ReactorBoundedExecution}.</li>
 * </ul>
 *
 * <p>Per call, the plain path with a literal agent id does two map reads and allocates nothing
 * beyond what the engine allocates for the permit: everything about the method is parsed once
 * and cached per method and target class.
 */
public final class BoundedExecutionInterceptor implements MethodInterceptor {

	private final Supplier<PolicyEngine> policyEngine;

	private final BoundedExecutionOperationSource operationSource;

	private final ConcurrentMap<Method, BoundedExecutionOperation> lastOperationByMethod = new ConcurrentHashMap<>(
			256);

	private final ConcurrentMap<MethodClassKey, BoundedExecutionOperation> operations = new ConcurrentHashMap<>(256);

	BoundedExecutionInterceptor(Supplier<PolicyEngine> policyEngine, BoundedExecutionOperationSource operationSource) {
		this.policyEngine = policyEngine;
		this.operationSource = operationSource;
	}

	@Override
	public @Nullable Object invoke(MethodInvocation invocation) throws Throwable {
		BoundedExecutionOperation operation = operation(invocation);
		return switch (operation.kind()) {
			case NONE -> invocation.proceed();
			case PLAIN -> invokePlain(invocation, operation);
			case COMPLETABLE_FUTURE -> invokeCompletableFuture(invocation, operation);
			case OTHER_COMPLETION_STAGE -> invokeOtherCompletionStage(invocation, operation);
			case MONO, FLUX -> invokeReactive(invocation, operation);
		};
	}

	private BoundedExecutionOperation operation(MethodInvocation invocation) {
		Method method = invocation.getMethod();
		Object target = invocation.getThis();
		Class<?> targetClass = (target != null) ? target.getClass() : method.getDeclaringClass();
		BoundedExecutionOperation operation = this.lastOperationByMethod.get(method);
		if (operation != null && operation.targetClass() == targetClass) {
			return operation;
		}
		// The same method may be inherited by several target classes with different
		// type-level annotations; this slower path keeps them apart.
		operation = this.operations.computeIfAbsent(new MethodClassKey(method, targetClass),
				(key) -> this.operationSource.get(method, targetClass));
		this.lastOperationByMethod.put(method, operation);
		return operation;
	}

	private @Nullable Object invokePlain(MethodInvocation invocation, BoundedExecutionOperation operation)
			throws Throwable {
		Permit permit = this.policyEngine.get()
			.admit(operation.agentId(invocation), operation.action(), operation.maxWait());
		try {
			return invocation.proceed();
		}
		finally {
			permit.close();
		}
	}

	private @Nullable Object invokeOtherCompletionStage(MethodInvocation invocation,
			BoundedExecutionOperation operation) throws Throwable {
		Permit permit = this.policyEngine.get()
			.admit(operation.agentId(invocation), operation.action(), operation.maxWait());
		Object result;
		try {
			result = invocation.proceed();
		}
		catch (Throwable ex) {
			permit.close();
			throw ex;
		}
		if (result == null) {
			permit.close();
			return null;
		}
		((CompletionStage<?>) result).whenComplete((value, ex) -> permit.close());
		return result;
	}

	private CompletableFuture<@Nullable Object> invokeCompletableFuture(MethodInvocation invocation,
			BoundedExecutionOperation operation) {
		String agentId = operation.agentId(invocation);
		CompletableFuture<Permit> admission = this.policyEngine.get()
			.admitAsync(agentId, operation.action(), operation.maxWait());
		CompletableFuture<@Nullable Object> result = new CompletableFuture<>();
		result.whenComplete((value, ex) -> {
			if (result.isCancelled()) {
				admission.cancel(false);
			}
		});
		admission.whenComplete((permit, failure) -> {
			if (failure != null) {
				result.completeExceptionally(unwrap(failure));
			}
			else {
				proceedHolding(invocation, agentId, permit, result);
			}
		});
		return result;
	}

	private void proceedHolding(MethodInvocation invocation, String agentId, Permit permit,
			CompletableFuture<@Nullable Object> result) {
		if (result.isDone()) {
			permit.close();
			return;
		}
		result.whenComplete((value, ex) -> permit.close());
		// The quota the permit was granted under, not the one in force now.
		Duration limit = permit.quota().flatMap(ResourceQuota::maxExecutionTime).orElse(null);
		if (limit != null) {
			result.orTimeout(limit.toNanos(), TimeUnit.NANOSECONDS);
		}
		Object returned;
		try {
			returned = invocation.proceed();
		}
		catch (Throwable ex) {
			result.completeExceptionally(ex);
			return;
		}
		if (returned == null) {
			result.complete(null);
			return;
		}
		CompletionStage<?> stage = (CompletionStage<?>) returned;
		stage.whenComplete((value, ex) -> {
			if (ex != null) {
				result.completeExceptionally(unwrap(ex));
			}
			else {
				result.complete(value);
			}
		});
		result.whenComplete((value, ex) -> {
			if (ex instanceof CancellationException || ex instanceof TimeoutException) {
				cancel(stage);
			}
		});
	}

	private Object invokeReactive(MethodInvocation invocation, BoundedExecutionOperation operation)
			throws Throwable {
		String agentId = operation.agentId(invocation);
		PolicyEngine engine = this.policyEngine.get();
		// Calling the method only assembles the publisher; the work, and the permit, start on
		// subscription.
		Object publisher = invocation.proceed();
		Supplier<CompletableFuture<Permit>> admission = () -> engine.admitAsync(agentId, operation.action(),
				operation.maxWait());
		return (operation.kind() == BoundedExecutionOperation.Kind.MONO)
				? ReactorBoundedExecution.mono(publisher, admission, maxExecutionTime(agentId))
				: ReactorBoundedExecution.flux(publisher, admission, maxExecutionTime(agentId));
	}

	private Supplier<@Nullable Duration> maxExecutionTime(String agentId) {
		PolicyEngine engine = this.policyEngine.get();
		return () -> {
			Optional<ResourceQuota> quota = engine.getQuota(agentId);
			if (quota.isEmpty() && engine.unknownAgentPolicy() == UnknownAgentPolicy.DEFAULT_QUOTA) {
				quota = engine.defaultQuota();
			}
			return quota.flatMap(ResourceQuota::maxExecutionTime).orElse(null);
		};
	}

	private static void cancel(CompletionStage<?> stage) {
		try {
			stage.toCompletableFuture().cancel(true);
		}
		catch (UnsupportedOperationException ex) {
			// A stage that cannot be cancelled runs to its end; its permit is already returned.
		}
	}

	private static Throwable unwrap(Throwable ex) {
		return (ex instanceof CompletionException && ex.getCause() != null) ? ex.getCause() : ex;
	}

}
