package io.agentcontrolplane.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.RejectionReason;

import static org.awaitility.Awaitility.await;

/**
 * Threads calling {@code acquire} on random agents through random engines (instances) until
 * stopped, each holding its permit briefly. Records every call (when it ended, how long it took,
 * its outcome) and the most callers ever inside one agent's guarded section at once.
 */
final class LoadRun implements AutoCloseable {

	/** One call: agent, outcome ({@code null} = granted), end (nanoTime) and duration. */
	record Call(String agent, RejectionReason refused, long endNanos, long nanos, String message) {
	}

	private final List<PolicyEngine> engines;

	private final List<String> agents;

	private final Map<String, AtomicInteger> inside = new ConcurrentHashMap<>();

	private final Map<String, AtomicInteger> most = new ConcurrentHashMap<>();

	private final Collection<Call> calls = new ConcurrentLinkedQueue<>();

	private final List<Thread> threads = new ArrayList<>();

	private final CountDownLatch finished;

	private volatile boolean stopped;

	LoadRun(List<PolicyEngine> engines, List<String> agents, int threadCount) {
		this.engines = engines;
		this.agents = agents;
		this.finished = new CountDownLatch(threadCount);
		for (String agent : agents) {
			this.inside.put(agent, new AtomicInteger());
			this.most.put(agent, new AtomicInteger());
		}
		for (int i = 0; i < threadCount; i++) {
			Thread thread = new Thread(this::work, "load-" + i);
			thread.setDaemon(true);
			this.threads.add(thread);
			thread.start();
		}
	}

	private void work() {
		try {
			ThreadLocalRandom random = ThreadLocalRandom.current();
			while (!this.stopped) {
				String agent = this.agents.get(random.nextInt(this.agents.size()));
				PolicyEngine engine = this.engines.get(random.nextInt(this.engines.size()));
				long start = System.nanoTime();
				Permit permit;
				try {
					permit = engine.acquire(agent);
				}
				catch (QuotaExceededException ex) {
					long end = System.nanoTime();
					this.calls.add(new Call(agent, ex.reason(), end, end - start, ex.getMessage()));
					pause(random);
					continue;
				}
				long end = System.nanoTime();
				this.calls.add(new Call(agent, null, end, end - start, null));
				int now = this.inside.get(agent).incrementAndGet();
				this.most.get(agent).accumulateAndGet(now, Math::max);
				try {
					pause(random);
				}
				finally {
					this.inside.get(agent).decrementAndGet();
					permit.close();
				}
			}
		}
		finally {
			this.finished.countDown();
		}
	}

	/** Hold a permit, or back off after a refusal, for 1 to 4 ms, as a real caller would. */
	private void pause(ThreadLocalRandom random) {
		try {
			Thread.sleep(random.nextInt(1, 5));
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			this.stopped = true;
		}
	}

	/** Some messages of refusals for this reason and these agents (at most 3 distinct). */
	List<String> messages(RejectionReason reason, Collection<String> agents) {
		return this.calls.stream()
			.filter((call) -> call.refused() == reason && agents.contains(call.agent()))
			.map(Call::message)
			.distinct()
			.limit(3)
			.toList();
	}

	/** Stop every thread and wait for it (bounded). */
	void stop() throws InterruptedException {
		this.stopped = true;
		if (!this.finished.await(30, TimeUnit.SECONDS)) {
			throw new IllegalStateException("load threads did not stop within 30 s");
		}
	}

	@Override
	public void close() throws InterruptedException {
		stop();
	}

	/** The most callers inside one agent's section at once, over the given agents. */
	int mostInside(Collection<String> agents) {
		return agents.stream().mapToInt((agent) -> this.most.get(agent).get()).max().orElse(0);
	}

	/** Grants of these agents that ended between the two instants (nanoTime). */
	long granted(Collection<String> agents, long fromNanos, long toNanos) {
		return this.calls.stream()
			.filter((call) -> call.refused() == null && call.endNanos() > fromNanos && call.endNanos() <= toNanos
					&& agents.contains(call.agent()))
			.count();
	}

	long granted() {
		return this.calls.stream().filter((call) -> call.refused() == null).count();
	}

	long refused(RejectionReason reason, Collection<String> agents) {
		return this.calls.stream().filter((call) -> call.refused() == reason && agents.contains(call.agent())).count();
	}

	long refused(RejectionReason reason) {
		return this.calls.stream().filter((call) -> call.refused() == reason).count();
	}

	/** When the last call of these agents refused for this reason ended (nanoTime), or 0. */
	long lastRefusal(RejectionReason reason, Collection<String> agents) {
		return this.calls.stream()
			.filter((call) -> call.refused() == reason && agents.contains(call.agent()))
			.mapToLong(Call::endNanos)
			.max()
			.orElse(0);
	}

	/** When the first grant to one of these agents after {@code sinceNanos} ended, or 0. */
	long firstGrantAfter(long sinceNanos, Collection<String> agents) {
		return this.calls.stream()
			.filter((call) -> call.refused() == null && call.endNanos() > sinceNanos && agents.contains(call.agent()))
			.mapToLong(Call::endNanos)
			.min()
			.orElse(0);
	}

	Duration longestCall() {
		return Duration.ofNanos(this.calls.stream().mapToLong(Call::nanos).max().orElse(0));
	}

	int callCount() {
		return this.calls.size();
	}

	/**
	 * Wait until {@code count} more calls have ended, at most {@code atMost}: a load window
	 * measured in calls, not in time.
	 */
	void awaitMoreCalls(int count, Duration atMost) {
		int target = callCount() + count;
		await().atMost(atMost).pollInterval(Duration.ofMillis(20)).until(() -> callCount() >= target);
	}

	/**
	 * Wait until every one of the agents has been granted {@code perAgent} times after
	 * {@code sinceNanos}, at most {@code atMost}.
	 */
	void awaitGrantsSince(long sinceNanos, Collection<String> agents, int perAgent, Duration atMost) {
		await().atMost(atMost).pollInterval(Duration.ofMillis(50)).until(() -> {
			Map<String, Integer> granted = new java.util.HashMap<>();
			for (Call call : this.calls) {
				if (call.refused() == null && call.endNanos() > sinceNanos && agents.contains(call.agent())) {
					granted.merge(call.agent(), 1, Integer::sum);
				}
			}
			return agents.stream().allMatch((agent) -> granted.getOrDefault(agent, 0) >= perAgent);
		});
	}

	/** Calls of these agents refused for this reason that ended after {@code sinceNanos}. */
	long refusedSince(long sinceNanos, RejectionReason reason, Collection<String> agents) {
		return this.calls.stream()
			.filter((call) -> call.refused() == reason && call.endNanos() > sinceNanos && agents.contains(call.agent()))
			.count();
	}

}
