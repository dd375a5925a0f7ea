package io.agentcontrolplane.quota;

import java.lang.ref.WeakReference;
import java.util.Iterator;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * The one daemon thread ({@code agent-control-plane-evictor}) every engine's
 * {@link IdleAgentEvictor} sweeps on. It ticks every {@value #TICK_MILLIS} ms over the evictors
 * of the engines that make dynamic agents, held weakly, so that an engine dropped without
 * {@link PolicyEngine#close()} leaves nothing behind but a cleared reference, removed at the
 * next tick; and it runs the sweeps that creations ask for.
 */
final class EvictionSweeper {

	static final long TICK_MILLIS = 10;

	private static final Queue<WeakReference<IdleAgentEvictor>> EVICTORS = new ConcurrentLinkedQueue<>();

	private static final ScheduledExecutorService EXECUTOR = create();

	private EvictionSweeper() {
	}

	private static ScheduledExecutorService create() {
		ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, (task) -> {
			Thread thread = new Thread(task, "agent-control-plane-evictor");
			thread.setDaemon(true);
			return thread;
		});
		executor.scheduleWithFixedDelay(EvictionSweeper::tick, TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
		return executor;
	}

	/**
	 * Sweep this evictor periodically from now on, until it stops or is garbage collected.
	 */
	static void register(IdleAgentEvictor evictor) {
		EVICTORS.add(new WeakReference<>(evictor));
	}

	/**
	 * Run a sweep asked for by a creation.
	 */
	static void execute(Runnable sweep) {
		EXECUTOR.execute(sweep);
	}

	private static void tick() {
		long now = System.nanoTime();
		Iterator<WeakReference<IdleAgentEvictor>> it = EVICTORS.iterator();
		while (it.hasNext()) {
			IdleAgentEvictor evictor = it.next().get();
			try {
				if (evictor == null || !evictor.tick(now)) {
					it.remove();
				}
			}
			catch (Throwable ex) {
				// One engine's failing sweep (a listener, say) must not stop the others'.
			}
		}
	}

}
