package io.agentcontrolplane.autoconfigure.aop;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

import io.agentcontrolplane.autoconfigure.aop.BoundedExecutionOperation.Kind;
import io.agentcontrolplane.quota.Permit;
import org.jspecify.annotations.Nullable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Bounds Reactor {@link Mono} and {@link Flux} results. Only loaded when Reactor is on the class
 * path: the interceptor reaches it through methods that take and return {@code Object}.
 *
 * <p>The permit is taken on subscription, without blocking a thread ({@code admitAsync} through
 * {@link Mono#fromFuture(Supplier, boolean)}, whose cancellation removes a waiting subscriber),
 * and released exactly once on complete, error or cancel ({@code usingWhen}).
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
		return Mono.usingWhen(Mono.fromFuture(admission, false), (permit) -> {
			Duration limit = maxExecutionTime.get();
			return (limit != null) ? source.timeout(limit) : source;
		}, ReactorBoundedExecution::release, (permit, ex) -> release(permit), ReactorBoundedExecution::release);
	}

	static Object flux(@Nullable Object result, Supplier<CompletableFuture<Permit>> admission,
			Supplier<@Nullable Duration> maxExecutionTime) {
		if (result == null) {
			return Flux.empty();
		}
		Flux<?> source = (Flux<?>) result;
		return Flux.usingWhen(Mono.fromFuture(admission, false), (permit) -> {
			Duration limit = maxExecutionTime.get();
			return (limit != null) ? withDeadline(source, limit) : source;
		}, ReactorBoundedExecution::release, (permit, ex) -> release(permit), ReactorBoundedExecution::release);
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
