package io.agentcontrolplane.concurrent;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.IntStream;

/**
 * Run in a forked JVM with a small heap by {@link BoundedExecutorProcessTests}: streams a
 * million items whose results are 1 KiB each (a gigabyte if they were kept) through
 * {@link BoundedExecutor#processEach}.
 */
public final class ProcessEachSmallHeapMain {

	private ProcessEachSmallHeapMain() {
	}

	/**
	 * Process the items and print the count; exit with 1 when the count is wrong.
	 * @param args ignored
	 */
	public static void main(String[] args) {
		ExecutorService pool = Executors.newCachedThreadPool();
		try {
			BoundedExecutor executor = new BoundedExecutor(pool);
			AtomicLong bytes = new AtomicLong();
			Iterable<Integer> items = () -> IntStream.range(0, 1_000_000).iterator();
			long processed = executor.processEach(items, (item) -> new byte[1024], 4, 64,
					(item, result) -> bytes.addAndGet(result.length));
			System.out.println("processed=" + processed + " bytes=" + bytes.get());
			System.exit((processed == 1_000_000 && bytes.get() == 1_024_000_000L) ? 0 : 1);
		}
		finally {
			pool.shutdownNow();
		}
	}

}
