package io.agentcontrolplane.autoconfigure.reliability;

import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

import io.agentcontrolplane.annotation.BoundedExecution;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * Beans under {@code @BoundedExecution} whose bodies the tests control: each method runs what it
 * is given, so one bean serves every fault.
 */
@Configuration(proxyBeanMethods = false)
class FaultPathServices {

	static final String PLAIN = "plain-agent";

	static final String ASYNC = "async-agent";

	static final String REACTIVE = "reactive-agent";

	@Bean
	FaultyService faultyService() {
		return new FaultyService();
	}

	/**
	 * Runs whatever the test passes in, under one agent per return kind.
	 */
	static class FaultyService {

		final AtomicInteger asyncInvocations = new AtomicInteger();

		@BoundedExecution(PLAIN)
		public <T> T call(Callable<T> body) throws Exception {
			return body.call();
		}

		@BoundedExecution(ASYNC)
		public <T> CompletableFuture<T> async(Supplier<CompletableFuture<T>> body) {
			this.asyncInvocations.incrementAndGet();
			return body.get();
		}

		@BoundedExecution(REACTIVE)
		public <T> Mono<T> mono(Mono<T> source) {
			return source;
		}

		@BoundedExecution(REACTIVE)
		public <T> Flux<T> flux(Flux<T> source) {
			return source;
		}

	}

}
