package io.agentcontrolplane.autoconfigure;

import java.util.concurrent.Executor;

import org.springframework.beans.factory.DisposableBean;
import org.springframework.core.task.SimpleAsyncTaskExecutor;
import org.springframework.scheduling.concurrent.ThreadPoolTaskExecutor;

/**
 * The threads the auto-configured {@link io.agentcontrolplane.concurrent.BoundedExecutor} runs
 * tasks on, stopped when the context closes. Deliberately not an {@link Executor} bean itself:
 * one would make Boot's own {@code applicationTaskExecutor} back off.
 */
public final class BoundedExecutorThreads implements DisposableBean {

	private static final String THREAD_NAME_PREFIX = "agent-control-plane-";

	private final Executor executor;

	private final DisposableBean shutdown;

	private BoundedExecutorThreads(Executor executor, DisposableBean shutdown) {
		this.executor = executor;
		this.shutdown = shutdown;
	}

	/**
	 * One virtual thread per task (Java 21+).
	 * @return the threads
	 */
	static BoundedExecutorThreads virtual() {
		SimpleAsyncTaskExecutor executor = new SimpleAsyncTaskExecutor(THREAD_NAME_PREFIX);
		executor.setVirtualThreads(true);
		return new BoundedExecutorThreads(executor, executor::close);
	}

	/**
	 * A pool of platform threads. The pool's queue is unbounded on purpose: the bounded
	 * executor only submits tasks that may start, so pending work is already bounded by it,
	 * and a rejecting queue would fail tasks that the caller's limit admitted.
	 * @param threads the number of threads
	 * @return the threads
	 */
	static BoundedExecutorThreads platform(int threads) {
		ThreadPoolTaskExecutor executor = new ThreadPoolTaskExecutor();
		executor.setThreadNamePrefix(THREAD_NAME_PREFIX);
		executor.setCorePoolSize(threads);
		executor.setMaxPoolSize(threads);
		executor.setAllowCoreThreadTimeOut(true);
		executor.initialize();
		return new BoundedExecutorThreads(executor, executor);
	}

	/**
	 * The executor tasks run on.
	 * @return the executor
	 */
	public Executor executor() {
		return this.executor;
	}

	@Override
	public void destroy() throws Exception {
		this.shutdown.destroy();
	}

}
