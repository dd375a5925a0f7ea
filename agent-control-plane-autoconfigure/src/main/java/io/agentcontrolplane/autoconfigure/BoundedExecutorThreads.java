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
	 * One virtual thread per task (Java 21+). The executor tracks its threads and interrupts
	 * those still running when the context closes, as the platform pool's shutdown does.
	 * @return the threads
	 */
	static BoundedExecutorThreads virtual() {
		SimpleAsyncTaskExecutor executor = new SimpleAsyncTaskExecutor(THREAD_NAME_PREFIX);
		executor.setVirtualThreads(true);
		// Without it close() only rejects new tasks: a gather blocked in its tasks would outlive
		// the context.
		executor.setCancelRemainingTasksOnClose(true);
		return new BoundedExecutorThreads(executor, executor::close);
	}

	/**
	 * A cached pool of platform threads, as {@code BoundedExecutor.create()} uses. Not a fixed
	 * pool on purpose: the bounded executor already bounds what it submits, and a fixed pool
	 * would queue the workers of a nested or concurrent fan-out behind each other until they
	 * starve.
	 * @return the threads
	 */
	static BoundedExecutorThreads platform() {
		ThreadPoolTaskExecutor executor = new ThreadPoolTaskExecutor();
		executor.setThreadNamePrefix(THREAD_NAME_PREFIX);
		executor.setCorePoolSize(0);
		executor.setMaxPoolSize(Integer.MAX_VALUE);
		executor.setQueueCapacity(0);
		executor.setDaemon(true);
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
