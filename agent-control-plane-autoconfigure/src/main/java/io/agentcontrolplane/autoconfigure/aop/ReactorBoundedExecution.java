package io.agentcontrolplane.autoconfigure.aop;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import java.util.function.Supplier;

import io.agentcontrolplane.autoconfigure.aop.BoundedExecutionOperation.Kind;
import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.Usage;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Bounds Reactor {@link Mono} and {@link Flux} results. Only loaded when Reactor is on the class
 * path: the interceptor reaches it through methods that take and return {@code Object}.
 *
 * <p>The permit is taken on subscription, without blocking a thread ({@code admitAsync}), and
 * released exactly once on complete, error or cancel ({@code usingWhen}). Cancelling a waiting
 * subscription removes it from the queue; when the cancel races with the hand-off and the permit
 * was granted in the same instant, the permit is closed rather than dropped.
 *
 * <p>With {@code estimate} or {@code usage} expressions the estimate is reserved on each
 * subscription and settled from the value of a {@code Mono}, or the sum over the elements of a
 * {@code Flux}, on complete; refunded on an error before the first element; kept charged on
 * cancel ({@link ReactiveSettlement}).
 */
final class ReactorBoundedExecution {

	private ReactorBoundedExecution() {
	}

	static @Nullable Kind kind(Class<?> returnType) {
		if (returnType == Mono.class) {
			return Kind.MONO;
		}
		if (returnType == Flux.class) {
			return Kind.FLUX;
		}
		return null;
	}

	static Object mono(@Nullable Object result, Supplier<CompletableFuture<Permit>> admission,
			Supplier<@Nullable Duration> maxExecutionTime) {
		if (result == null) {
			return Mono.empty();
		}
		Mono<?> source = (Mono<?>) result;
		return Mono.usingWhen(admit(admission), (permit) -> {
			Duration limit = maxExecutionTime.get();
			return (limit != null) ? source.timeout(limit) : source;
		}, ReactorBoundedExecution::release, (permit, ex) -> release(permit), ReactorBoundedExecution::release);
	}

	/**
	 * A {@code Mono} whose permit reserved an estimate: the usage of its value is settled on
	 * complete; see {@link ReactiveSettlement} for error and cancel.
	 */
	static Object mono(@Nullable Object result, Supplier<CompletableFuture<Permit>> admission,
			Supplier<@Nullable Duration> maxExecutionTime, Function<Object, @Nullable Usage> usageOf) {
		if (result == null) {
			return Mono.empty();
		}
		Mono<?> source = (Mono<?>) result;
		return Mono.usingWhen(settlement(admission, usageOf), (settlement) -> {
			Mono<?> counted = source.doOnNext(settlement::onNext);
			Duration limit = maxExecutionTime.get();
			return (limit != null) ? counted.timeout(limit) : counted;
		}, ReactorBoundedExecution::complete, ReactorBoundedExecution::error, ReactorBoundedExecution::cancel);
	}

	static Object flux(@Nullable Object result, Supplier<CompletableFuture<Permit>> admission,
			Supplier<@Nullable Duration> maxExecutionTime) {
		if (result == null) {
			return Flux.empty();
		}
		Flux<?> source = (Flux<?>) result;
		return Flux.usingWhen(admit(admission), (permit) -> {
			Duration limit = maxExecutionTime.get();
			return (limit != null) ? withDeadline(source, limit) : source;
		}, ReactorBoundedExecution::release, (permit, ex) -> release(permit), ReactorBoundedExecution::release);
	}

	/**
	 * A {@code Flux} whose permit reserved an estimate: the usage of each element is added up
	 * and the sum settled on complete; see {@link ReactiveSettlement} for error and cancel.
	 */
	static Object flux(@Nullable Object result, Supplier<CompletableFuture<Permit>> admission,
			Supplier<@Nullable Duration> maxExecutionTime, Function<Object, @Nullable Usage> usageOf) {
		if (result == null) {
			return Flux.empty();
		}
		Flux<?> source = (Flux<?>) result;
		return Flux.usingWhen(settlement(admission, usageOf), (settlement) -> {
			Flux<?> counted = source.doOnNext(settlement::onNext);
			Duration limit = maxExecutionTime.get();
			return (limit != null) ? withDeadline(counted, limit) : counted;
		}, ReactorBoundedExecution::complete, ReactorBoundedExecution::error, ReactorBoundedExecution::cancel);
	}

	private static Mono<ReactiveSettlement> settlement(Supplier<CompletableFuture<Permit>> admission,
			Function<Object, @Nullable Usage> usageOf) {
		return admit(admission).map((permit) -> new ReactiveSettlement(permit, usageOf));
	}

	private static Mono<Void> complete(ReactiveSettlement settlement) {
		try {
			settlement.complete();
		}
		catch (RuntimeException ex) {
			// The permit is returned; the caller learns why the usage could not be settled.
			return Mono.error(ex);
		}
		return Mono.empty();
	}

	private static Mono<Void> error(ReactiveSettlement settlement, Throwable failure) {
		settlement.error(failure);
		return Mono.empty();
	}

	private static Mono<Void> cancel(ReactiveSettlement settlement) {
		settlement.cancel();
		return Mono.empty();
	}

	/**
	 * One admission per subscription. Cancelling the subscription cancels the engine's future,
	 * which gives up the wait; a permit granted in the same instant is closed rather than
	 * dropped ({@link Permit#close()} is idempotent, so a permit {@code usingWhen} also releases
	 * is returned once). The future then completes with a {@link CancellationException} that no
	 * subscriber is left to receive: it is the expected end of a cancelled wait, so it is
	 * swallowed here instead of reaching Reactor's dropped-error hook, which logs every one at
	 * ERROR with a stack trace.
	 */
	private static Mono<Permit> admit(Supplier<CompletableFuture<Permit>> admission) {
		return Mono.create((sink) -> {
			CompletableFuture<Permit> future = admission.get();
			AtomicBoolean cancelled = new AtomicBoolean();
			sink.onCancel(() -> {
				cancelled.set(true);
				if (!future.cancel(false)) {
					future.thenAccept(Permit::close);
				}
			});
			future.whenComplete((permit, failure) -> {
				if (cancelled.get()) {
					if (permit != null) {
						permit.close();
					}
				}
				else if (failure != null) {
					sink.error((failure instanceof CompletionException && failure.getCause() != null)
							? failure.getCause() : failure);
				}
				else {
					sink.success(permit);
				}
			});
		});
	}

	/**
	 * Fail the whole stream, not each element's wait, when it runs past the limit.
	 */
	private static <T> Flux<T> withDeadline(Flux<T> source, Duration limit) {
		long deadline = System.nanoTime() + limit.toNanos();
		return source.timeout(Mono.delay(limit),
				(item) -> Mono.delay(Duration.ofNanos(Math.max(0, deadline - System.nanoTime()))));
	}

	private static Mono<Void> release(Permit permit) {
		permit.close();
		return Mono.empty();
	}

}
