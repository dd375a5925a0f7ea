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
import java.util.function.Function;
import java.util.function.Supplier;

import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.RejectionReason;
import io.agentcontrolplane.quota.ResourceQuota;
import io.agentcontrolplane.quota.UnknownAgentPolicy;
import io.agentcontrolplane.quota.Usage;
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
 * {@code finally}. A call made while the same thread already holds a permit of the same agent
 * (an annotated method calling another one of the same agent, through another bean) runs on that
 * permit when the quota {@linkplain ResourceQuota#joinNestedCalls() joins nested calls}, the
 * default.</li>
 * <li>{@code CompletionStage} / {@code CompletableFuture}: admission never blocks the caller
 * ({@code admitAsync}). The method is invoked once the permit is granted - at once on the
 * caller's thread when one is free, otherwise on the thread that hands the permit over - and the
 * returned future completes with the method's result. The permit is released when that result
 * completes, fails, is cancelled or exceeds the quota's {@code maxExecutionTime} (then it fails
 * with a {@link TimeoutException} and the method's own future is cancelled). Cancelling while
 * waiting gives up the wait. A subclass of {@code CompletableFuture}, which cannot be replaced
 * by the interceptor's own future, is admitted synchronously, released on completion and failed
 * with a {@link TimeoutException} after {@code maxExecutionTime}; other {@code CompletionStage}
 * types fail start-up, as they could not be timed out.</li>
 * <li>Reactor {@code Mono} / {@code Flux}: see {@link ReactorBoundedExecution}.</li>
 * </ul>
 *
 * <p>Budgets: with an {@code estimate} expression the call reserves it at admission; with a
 * {@code usage} expression the permit settles it from the result before it is released (for a
 * {@code CompletionStage}, when the stage completes normally). A method that throws before
 * returning refunds the whole estimate; a stage that fails keeps it charged. A nested call that
 * joins its caller's permit reserves nothing of its own. A {@code Mono} or {@code Flux} reserves
 * the estimate on each subscription and settles, on complete, the usage of the {@code Mono}'s
 * value or the sum of the usages of the {@code Flux}'s elements; an error before the first
 * element refunds the estimate, a cancel keeps it charged (see {@link ReactiveSettlement}).
 * Reactor is only touched when a method returns one of its types.
 *
 * <p>Per call, the plain path with a literal agent id does two map reads and one thread-local
 * read (the agents the thread holds, for nested calls) and allocates nothing beyond what the
 * engine allocates for the permit: everything about the method is parsed once and cached per
 * method and target class.
 */
public final class BoundedExecutionInterceptor implements MethodInterceptor {

	private static final ThreadLocal<HeldAgents> HELD_AGENTS = ThreadLocal.withInitial(HeldAgents::new);

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
			case COMPLETABLE_FUTURE_SUBCLASS -> invokeCompletableFutureSubclass(invocation, operation);
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
		String agentId = operation.agentId(invocation);
		PolicyEngine engine = this.policyEngine.get();
		HeldAgents held = HELD_AGENTS.get();
		boolean nested = held.contains(agentId);
		Permit permit = null;
		if (nested && joinsNestedCalls(engine, agentId, operation)) {
			// Runs on the permit the outer call holds: no second permit, no request.
		}
		else if (operation.hasBudgetExpressions()) {
			return invokeBudgeted(invocation, operation, engine, agentId, held);
		}
		else {
			permit = nested ? admitNested(engine, agentId, operation) : engine.admitAction(agentId, operation.action(),
					operation.maxWait());
		}
		held.push(agentId);
		try {
			return invocation.proceed();
		}
		finally {
			held.pop();
			if (permit != null) {
				permit.close();
			}
		}
	}

	/**
	 * A plain call with an estimate or a usage expression: reserve the estimate, settle the
	 * usage from the result, refund in full when the method throws.
	 */
	private static @Nullable Object invokeBudgeted(MethodInvocation invocation, BoundedExecutionOperation operation,
			PolicyEngine engine, String agentId, HeldAgents held) throws Throwable {
		Usage estimate = operation.estimate(invocation);
		Permit permit = (estimate != null) ? engine.admitAction(agentId, operation.action(), estimate, operation.maxWait())
				: engine.admitAction(agentId, operation.action(), operation.maxWait());
		held.push(agentId);
		try {
			Object result;
			try {
				result = invocation.proceed();
			}
			catch (Throwable ex) {
				permit.refund();
				throw ex;
			}
			settle(invocation, operation, permit, result);
			return result;
		}
		finally {
			held.pop();
			permit.close();
		}
	}

	private static void settle(MethodInvocation invocation, BoundedExecutionOperation operation, Permit permit,
			@Nullable Object result) {
		if (operation.settles()) {
			Usage usage = operation.usage(invocation, result);
			if (usage != null) {
				permit.settle(usage);
			}
		}
	}

	/**
	 * Whether a nested call joins the permit its thread holds. Its action type is still checked,
	 * so nesting never widens what an agent may do.
	 */
	private static boolean joinsNestedCalls(PolicyEngine engine, String agentId, BoundedExecutionOperation operation) {
		ResourceQuota quota = quota(engine, agentId).orElse(null);
		if (quota == null) {
			return true;
		}
		if (!quota.joinNestedCalls()) {
			return false;
		}
		String action = operation.action();
		if (action != null) {
			try {
				// The engine's check, so that the refusal is counted like any other.
				engine.checkAction(agentId, action);
			}
			catch (QuotaExceededException ex) {
				QuotaExceededException explained = new QuotaExceededException(agentId, ex.reason(),
						ex.getMessage() + " (a nested call joins its caller's permit, but not its actions)",
						ex.retryAfter().orElse(null));
				explained.initCause(ex);
				throw explained;
			}
		}
		return true;
	}

	private static Permit admitNested(PolicyEngine engine, String agentId, BoundedExecutionOperation operation) {
		try {
			return engine.admitAction(agentId, operation.action(), operation.maxWait());
		}
		catch (QuotaExceededException ex) {
			if (ex.reason() != RejectionReason.CONCURRENCY_LIMIT) {
				throw ex;
			}
			QuotaExceededException explained = new QuotaExceededException(agentId, ex.reason(), ex.getMessage()
					+ ". This call is nested in a call of agent '" + agentId + "' on the same thread, which already"
					+ " holds one of its permits, and the quota has join-nested-calls=false, so the nested call"
					+ " needed a permit of its own. Set agent-control-plane.quotas." + agentId
					+ ".join-nested-calls=true to run it on the permit its caller holds.",
					ex.retryAfter().orElse(null));
			explained.initCause(ex);
			throw explained;
		}
	}

	private @Nullable Object invokeCompletableFutureSubclass(MethodInvocation invocation,
			BoundedExecutionOperation operation) throws Throwable {
		String agentId = operation.agentId(invocation);
		Permit permit = this.policyEngine.get().admitAction(agentId, operation.action(), operation.maxWait());
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
		CompletableFuture<?> future = (CompletableFuture<?>) result;
		future.whenComplete((value, ex) -> permit.close());
		Duration limit = maxExecutionTime(agentId).get();
		if (limit != null) {
			// The method's own future is the only one the caller sees: fail it, which releases.
			future.orTimeout(limit.toNanos(), TimeUnit.NANOSECONDS);
		}
		return result;
	}

	private CompletableFuture<@Nullable Object> invokeCompletableFuture(MethodInvocation invocation,
			BoundedExecutionOperation operation) {
		String agentId = operation.agentId(invocation);
		Usage estimate = operation.hasBudgetExpressions() ? operation.estimate(invocation) : null;
		CompletableFuture<Permit> admission = (estimate != null)
				? this.policyEngine.get().admitActionAsync(agentId, operation.action(), estimate, operation.maxWait())
				: this.policyEngine.get().admitActionAsync(agentId, operation.action(), operation.maxWait());
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
				proceedHolding(invocation, operation, permit, result);
			}
		});
		return result;
	}

	private void proceedHolding(MethodInvocation invocation, BoundedExecutionOperation operation, Permit permit,
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
			// Failed before returning: nothing reached the provider.
			permit.refund();
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
				return;
			}
			// Settled before the result completes, which closes the permit.
			try {
				settle(invocation, operation, permit, value);
			}
			catch (RuntimeException failure) {
				result.completeExceptionally(failure);
				return;
			}
			result.complete(value);
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
		boolean mono = operation.kind() == BoundedExecutionOperation.Kind.MONO;
		if (operation.hasBudgetExpressions()) {
			return invokeReactiveBudgeted(invocation, operation, engine, agentId, mono);
		}
		// Calling the method only assembles the publisher; the work, and the permit, start on
		// subscription.
		Object publisher = invocation.proceed();
		Supplier<CompletableFuture<Permit>> admission = () -> engine.admitActionAsync(agentId, operation.action(),
				operation.maxWait());
		return mono ? ReactorBoundedExecution.mono(publisher, admission, maxExecutionTime(agentId))
				: ReactorBoundedExecution.flux(publisher, admission, maxExecutionTime(agentId));
	}

	/**
	 * A {@code Mono} or {@code Flux} with an estimate or a usage expression. The estimate is
	 * evaluated once, when the method is called (over its arguments, as for the other result
	 * types), and reserved on each subscription; the usage is evaluated over each value as it
	 * passes ({@link ReactiveSettlement}).
	 */
	private Object invokeReactiveBudgeted(MethodInvocation invocation, BoundedExecutionOperation operation,
			PolicyEngine engine, String agentId, boolean mono) throws Throwable {
		Usage estimate = operation.estimate(invocation);
		Object publisher = invocation.proceed();
		Supplier<CompletableFuture<Permit>> admission = (estimate != null)
				? () -> engine.admitActionAsync(agentId, operation.action(), estimate, operation.maxWait())
				: () -> engine.admitActionAsync(agentId, operation.action(), operation.maxWait());
		Function<Object, @Nullable Usage> usageOf = (value) -> operation.settles() ? operation.usage(invocation, value)
				: null;
		return mono ? ReactorBoundedExecution.mono(publisher, admission, maxExecutionTime(agentId), usageOf)
				: ReactorBoundedExecution.flux(publisher, admission, maxExecutionTime(agentId), usageOf);
	}

	private Supplier<@Nullable Duration> maxExecutionTime(String agentId) {
		PolicyEngine engine = this.policyEngine.get();
		return () -> quota(engine, agentId).flatMap(ResourceQuota::maxExecutionTime).orElse(null);
	}

	private static Optional<ResourceQuota> quota(PolicyEngine engine, String agentId) {
		Optional<ResourceQuota> quota = engine.getQuota(agentId);
		if (quota.isEmpty() && engine.unknownAgentPolicy() == UnknownAgentPolicy.DEFAULT_QUOTA) {
			quota = engine.defaultQuota();
		}
		return quota;
	}

	/**
	 * The agents whose permit the current thread holds through synchronous calls, innermost
	 * last. Asynchronous results are not recorded: their work runs after the call returns, on
	 * other threads, so a call nested in it cannot be known to run under the permit.
	 */
	private static final class HeldAgents {

		private @Nullable String[] agents = new String[4];

		private int size;

		boolean contains(String agentId) {
			for (int i = this.size - 1; i >= 0; i--) {
				if (agentId.equals(this.agents[i])) {
					return true;
				}
			}
			return false;
		}

		void push(String agentId) {
			if (this.size == this.agents.length) {
				this.agents = java.util.Arrays.copyOf(this.agents, this.size * 2);
			}
			this.agents[this.size++] = agentId;
		}

		void pop() {
			this.agents[--this.size] = null;
		}

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
