package io.agentcontrolplane.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;

import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.ResourceQuota;
import org.redisson.api.RScript;
import org.redisson.api.RedissonClient;
import org.redisson.client.codec.StringCodec;

/**
 * The main class of the separate JVMs that the multi-process tests start: one "instance" of a
 * service sharing an agent's quota through Redis.
 *
 * <p>Arguments: {@code mode address keyPrefix agent limit leaseMillis threads attempts}.
 * <ul>
 * <li>{@code hammer}: {@code threads} threads make {@code attempts} calls each; the guarded
 * section counts itself in Redis (INCR, recording the maximum, DECR) and works for a moment.
 * Prints {@code REPORT attempts=.. completed=.. rejected=.. errors=..}.</li>
 * <li>{@code hold}: takes {@code limit} permits, prints {@code HELD n} and waits to be killed.</li>
 * </ul>
 */
public final class RedisWorker {

	private static final String ENTER = "local v = redis.call('incr', KEYS[1]) "
			+ "local m = tonumber(redis.call('get', KEYS[2]) or '0') "
			+ "if v > m then redis.call('set', KEYS[2], v) end return v";

	private RedisWorker() {
	}

	public static void main(String[] args) throws Exception {
		String mode = args[0];
		String address = args[1];
		String prefix = args[2];
		String agent = args[3];
		int limit = Integer.parseInt(args[4]);
		long leaseMillis = Long.parseLong(args[5]);
		int threads = Integer.parseInt(args[6]);
		int attempts = Integer.parseInt(args[7]);
		RedissonClient redisson = RedisTestSupport.client(address);
		RedisPermitStore store = RedisPermitStore.builder(redisson)
			.keyPrefix(prefix)
			.leaseTime(Duration.ofMillis(leaseMillis))
			// A fresh JVM on a loaded 2-core machine may take more than the default 250 ms for
			// its first calls (class loading, script loading); this test is about the limit
			// across processes, not about time-outs (RedisFrozenServerTests is).
			.commandTimeout(Duration.ofSeconds(2))
			.build();
		PolicyEngine engine = PolicyEngine.builder().permitStore(store).build();
		engine.setQuota(agent,
				ResourceQuota.builder(agent).maxConcurrentExecutions(limit).maxWait(Duration.ofMillis(100)).build());
		if (mode.equals("hold")) {
			List<Permit> held = new ArrayList<>();
			for (int i = 0; i < limit; i++) {
				held.add(engine.tryAcquire(agent).orElseThrow());
			}
			System.out.println("HELD " + held.size());
			System.out.flush();
			new CountDownLatch(1).await();
			return;
		}
		RScript script = redisson.getScript(StringCodec.INSTANCE);
		List<Object> keys = List.of(prefix + ":test:inflight", prefix + ":test:max");
		AtomicLong completed = new AtomicLong();
		AtomicLong rejected = new AtomicLong();
		AtomicLong errors = new AtomicLong();
		CountDownLatch start = new CountDownLatch(1);
		List<Thread> workers = new ArrayList<>();
		for (int t = 0; t < threads; t++) {
			Thread worker = new Thread(() -> {
				try {
					start.await();
				}
				catch (InterruptedException ex) {
					return;
				}
				for (int i = 0; i < attempts; i++) {
					try (Permit permit = engine.acquire(agent)) {
						script.eval(RScript.Mode.READ_WRITE, ENTER, RScript.ReturnType.INTEGER, keys);
						try {
							// The guarded work: long enough for permits to overlap across processes.
							Thread.sleep(ThreadLocalRandom.current().nextInt(1, 6));
						}
						finally {
							redisson.getAtomicLong(prefix + ":test:inflight").decrementAndGet();
						}
						completed.incrementAndGet();
					}
					catch (QuotaExceededException ex) {
						rejected.incrementAndGet();
					}
					catch (Throwable ex) {
						errors.incrementAndGet();
						ex.printStackTrace();
					}
				}
			});
			worker.start();
			workers.add(worker);
		}
		start.countDown();
		for (Thread worker : workers) {
			worker.join();
		}
		System.out.println("REPORT attempts=" + ((long) threads * attempts) + " completed=" + completed.get()
				+ " rejected=" + rejected.get() + " errors=" + errors.get());
		System.out.flush();
		store.close();
		redisson.shutdown();
		System.exit(0);
	}

}
