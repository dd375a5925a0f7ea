package io.agentcontrolplane.quota;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The default executor on which the futures of {@code acquireAsync} and {@code admitAsync}
 * that had to wait are completed: a new virtual thread per hand-off on Java 21+, else a shared
 * cached pool of daemon threads named {@code agent-control-plane-handoff-N} (idle threads end
 * after 60 seconds). Unbounded on purpose: a caller's continuation may block, and a bounded pool
 * would let a few blocked continuations hold up the hand-offs of every other waiter, which is
 * the very thing the hand-off exists to prevent. Shared by every engine and never shut down;
 * its threads are daemons, so it never keeps a JVM alive.
 */
final class HandOff {

	private static final Executor DEFAULT = create();

	private HandOff() {
	}

	static Executor defaultExecutor() {
		return DEFAULT;
	}

	private static Executor create() {
		try {
			// Java 21+: Executors.newVirtualThreadPerTaskExecutor(), looked up so that the
			// core still compiles and runs on Java 17.
			return (ExecutorService) MethodHandles.publicLookup()
				.findStatic(java.util.concurrent.Executors.class, "newVirtualThreadPerTaskExecutor",
						MethodType.methodType(ExecutorService.class))
				.invoke();
		}
		catch (Throwable ex) {
			AtomicInteger count = new AtomicInteger();
			return new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS, new SynchronousQueue<>(),
					(task) -> {
						Thread thread = new Thread(task, "agent-control-plane-handoff-" + count.incrementAndGet());
						thread.setDaemon(true);
						return thread;
					});
		}
	}

}
