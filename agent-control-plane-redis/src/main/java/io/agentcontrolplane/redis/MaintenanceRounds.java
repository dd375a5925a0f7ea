package io.agentcontrolplane.redis;

import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.redisson.Redisson;
import org.redisson.api.BatchOptions;
import org.redisson.api.RBatch;
import org.redisson.api.RScriptAsync;
import org.redisson.client.codec.ByteArrayCodec;

/**
 * The store's periodic maintenance: every round renews the leases held, writes limits not yet
 * written, and reconciles a slice of the agents, in batches: one round trip per Redis node
 * renews and reconciles up to {@link #BATCH_SIZE} agents. Every agent is reconciled once per
 * reconciliation interval, spread over the rounds of that interval. Agents whose keys do not
 * answer are left to their probes. One round runs at a time.
 */
final class MaintenanceRounds implements Runnable {

	private static final System.Logger logger = System.getLogger(MaintenanceRounds.class.getName());

	/** Agents renewed and reconciled by one batch (one round trip per Redis node). */
	static final int BATCH_SIZE = 500;

	private final RedisPermitStore store;

	private final Set<RedisAgentPermits> agents;

	/** Rounds per reconciliation interval: an agent is reconciled in one of them. */
	private final long slices;

	private final long batchTimeoutMillis;

	private long rounds;

	private final AtomicLong completedRounds = new AtomicLong();

	private final AtomicBoolean roundRunning = new AtomicBoolean();

	private volatile boolean roundPending;

	/** Agents in the last complete round, how long it took, and the longest round so far. */
	private volatile long[] lastRound = { 0, 0, 0 };

	MaintenanceRounds(RedisPermitStore store, Set<RedisAgentPermits> agents, long roundEveryMillis,
			long reconcileIntervalMillis, long commandTimeoutMillis) {
		this.store = store;
		this.agents = agents;
		this.slices = Math.max(1, reconcileIntervalMillis / roundEveryMillis);
		this.batchTimeoutMillis = Math.max(commandTimeoutMillis, roundEveryMillis);
	}

	@Override
	public void run() {
		if (!this.roundRunning.compareAndSet(false, true)) {
			// The previous round is still on its way: one round at a time, and the next one as
			// soon as it ends (skipping it would leave leases a whole interval longer unrenewed).
			this.roundPending = true;
			return;
		}
		this.roundPending = false;
		long round = this.rounds++;
		List<RedisAgentPermits> due = new ArrayList<>();
		for (RedisAgentPermits agent : this.agents) {
			if (agent.isAvailable() && !agent.isClosed()
					&& (agent.needsRenewal() || (agent.slice % this.slices) == (round % this.slices))) {
				due.add(agent);
			}
		}
		// One chain of batches per Redis node: Redisson fails every command of a batch when one
		// node of it fails, so a batch must never span nodes (a failing shard would fail the
		// agents of the healthy ones). Agents holding leases go first in each chain.
		Map<Object, List<RedisAgentPermits>> byNode = new LinkedHashMap<>();
		for (RedisAgentPermits agent : due) {
			byNode.computeIfAbsent(nodeOf(agent), (node) -> new ArrayList<>()).add(agent);
		}
		long start = System.nanoTime();
		AtomicInteger running = new AtomicInteger(Math.max(1, byNode.size()));
		if (byNode.isEmpty()) {
			finishRound(running, 0, start);
			return;
		}
		for (List<RedisAgentPermits> agents : byNode.values()) {
			agents.sort(Comparator.comparing((RedisAgentPermits agent) -> !agent.needsRenewal()));
			sendBatch(agents, new AtomicInteger(), running, start, due.size());
		}
	}

	private void finishRound(AtomicInteger running, int agents, long start) {
		if (running.decrementAndGet() == 0) {
			long millis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
			this.lastRound = new long[] { agents, millis, Math.max(millis, this.lastRound[2]) };
			this.completedRounds.incrementAndGet();
			this.roundRunning.set(false);
			if (this.roundPending && !this.store.isClosed()) {
				this.store.schedule(this, 0);
			}
		}
	}

	/**
	 * The Redis node that serves an agent's keys now (all of them: one hash tag), so that
	 * batches can be made per node; one group for clients other than {@link Redisson}.
	 */
	private Object nodeOf(RedisAgentPermits agent) {
		if (this.store.redisson() instanceof Redisson client) {
			try {
				var connections = client.getCommandExecutor().getConnectionManager();
				Object entry = connections.getWriteEntry(connections.calcSlot((String) agent.maintenanceKeys().get(0)));
				if (entry != null) {
					return entry;
				}
			}
			catch (RuntimeException ex) {
				// The topology is changing: the agent goes with the others of unknown node.
			}
		}
		return this;
	}

	/**
	 * Send the next batch of one node's chain, and another when it is answered: a round holds
	 * one connection per Redis node at a time, so that callers always find connections free.
	 */
	private void sendBatch(List<RedisAgentPermits> due, AtomicInteger next, AtomicInteger running, long start,
			int total) {
		int from = next.getAndAdd(BATCH_SIZE);
		if (from >= due.size() || this.store.isClosed()) {
			finishRound(running, total, start);
			return;
		}
		List<RedisAgentPermits> chunk = due.subList(from, Math.min(due.size(), from + BATCH_SIZE));
		List<CompletableFuture<?>> answers = new ArrayList<>(chunk.size());
		try {
			RBatch batch = this.store.redisson()
				.createBatch(BatchOptions.defaults()
					.responseTimeout(this.batchTimeoutMillis, TimeUnit.MILLISECONDS)
					.retryAttempts(0));
			RScriptAsync script = batch.getScript(ByteArrayCodec.INSTANCE);
			for (RedisAgentPermits agent : chunk) {
				// Failures are taken per agent: a batch to a failing node fails its own agents only.
				answers.add(MaintenanceScript
					.evalAsync(script, agent.maintenanceKeys(), agent.maintenanceArguments(agent.heldPermitIds()))
					.whenComplete((result, ex) -> {
						if (ex != null) {
							agent.failed(ex);
						}
						else {
							agent.applyMaintenance(result);
						}
					}));
			}
			batch.executeAsync();
		}
		catch (RuntimeException ex) {
			if (!this.store.isClosed()) {
				logger.log(Level.WARNING,
						"Renewal of " + chunk.size() + " agents could not be sent: " + RedisPermitStore.describe(ex));
			}
		}
		CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new))
			.handleAsync((ignored, ex) -> {
				sendBatch(due, next, running, start, total);
				return null;
			}, this.store.callbacks())
			.exceptionally((ex) -> {
				// Shut down: no more rounds.
				this.roundRunning.set(false);
				return null;
			});
	}

	/**
	 * The last complete round: how many agents it renewed or reconciled, how many milliseconds
	 * it took until every answer was in, and the longest round so far.
	 */
	long[] lastRound() {
		return this.lastRound.clone();
	}

	long completedRounds() {
		return this.completedRounds.get();
	}

}
