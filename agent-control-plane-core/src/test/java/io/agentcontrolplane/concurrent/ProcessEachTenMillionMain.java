package io.agentcontrolplane.concurrent;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

import com.sun.management.GarbageCollectionNotificationInfo;

/**
 * Run in a forked JVM with a small heap by {@link ProcessEachTenMillionTests}: streams
 * {@code args[0]} items (default 10,000,000), each producing a {@code args[1]}-byte result
 * (default 256; 2.5 GB in all, forty times the heap), through {@link BoundedExecutor#processEach}
 * with 4 workers and a queue of 64, and prints the count, the time and the largest heap in use
 * after a collection. Exits with 1 when the count or the byte total is wrong.
 */
public final class ProcessEachTenMillionMain {

	private static final Set<String> HEAP_POOLS = ManagementFactory.getMemoryPoolMXBeans()
		.stream()
		.filter((pool) -> pool.getType() == MemoryType.HEAP)
		.map(MemoryPoolMXBean::getName)
		.collect(Collectors.toSet());

	private ProcessEachTenMillionMain() {
	}

	/**
	 * Process the items and print the figures.
	 * @param args the number of items and the size of each result, both optional
	 */
	public static void main(String[] args) {
		long count = (args.length > 0) ? Long.parseLong(args[0]) : 10_000_000L;
		int resultBytes = (args.length > 1) ? Integer.parseInt(args[1]) : 256;
		AtomicLong maxAfterGc = new AtomicLong();
		AtomicLong collections = new AtomicLong();
		watchCollections(maxAfterGc, collections);
		ExecutorService pool = Executors.newCachedThreadPool();
		try {
			BoundedExecutor executor = new BoundedExecutor(pool);
			long[] bytes = new long[1];
			Iterable<Long> items = () -> new Iterator<>() {

				private long next;

				@Override
				public boolean hasNext() {
					return this.next < count;
				}

				@Override
				public Long next() {
					return this.next++;
				}

			};
			long start = System.nanoTime();
			long processed = executor.processEach(items, (item) -> new byte[resultBytes], 4, 64, (item, result) -> {
				// onResult calls are serialised, so plain fields are safe here.
				bytes[0] += result.length;
			});
			long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
			System.out.printf(
					"processed=%d bytes=%d millis=%d itemsPerSecond=%d collections=%d maxHeapAfterGcKiB=%d maxHeapMiB=%d%n",
					processed, bytes[0], millis, processed * 1000 / Math.max(1, millis), collections.get(),
					maxAfterGc.get() / 1024, Runtime.getRuntime().maxMemory() / (1024 * 1024));
			System.exit((processed == count && bytes[0] == count * resultBytes) ? 0 : 1);
		}
		finally {
			pool.shutdownNow();
		}
	}

	/**
	 * Record, for every collection, the heap in use right after it (summed over the heap pools),
	 * and keep the largest: what the run really retained, garbage excluded.
	 */
	private static void watchCollections(AtomicLong maxAfterGc, AtomicLong collections) {
		for (GarbageCollectorMXBean collector : ManagementFactory.getGarbageCollectorMXBeans()) {
			if (!(collector instanceof NotificationEmitter emitter)) {
				continue;
			}
			emitter.addNotificationListener((notification, handback) -> {
				if (!GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(notification.getType())) {
					return;
				}
				GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo
					.from((CompositeData) notification.getUserData());
				long used = 0;
				for (Map.Entry<String, MemoryUsage> pool : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
					if (HEAP_POOLS.contains(pool.getKey())) {
						used += pool.getValue().getUsed();
					}
				}
				collections.incrementAndGet();
				maxAfterGc.accumulateAndGet(used, Math::max);
			}, null, null);
		}
	}

}
