package io.agentcontrolplane.redis;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PermitStore.AgentPermits;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.RejectionReason;
import io.agentcontrolplane.quota.ResourceQuota;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatExceptionOfType;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

/**
 * Accounting of {@link RedisPermitStore} against a real Redis: two stores on one key prefix
 * stand for two instances of a service.
 */
class RedisPermitStoreTests {

	private static RedissonClient redisson;

	// Checked before each test (not once per class) so that every test shows as skipped.
	@BeforeEach
	void connect() {
		String address = RedisTestSupport.sharedRedis();
		if (redisson == null) {
			redisson = RedisTestSupport.client(address);
		}
	}

	private final List<String> prefixes = new ArrayList<>();

	private String prefix(String test) {
		String prefix = RedisTestSupport.uniquePrefix(test);
		this.prefixes.add(prefix);
		return prefix;
	}

	@AfterEach
	void deleteKeys() {
		if (redisson != null) {
			this.prefixes.forEach((prefix) -> RedisTestSupport.deleteKeys(redisson, prefix));
		}
	}

	@AfterAll
	static void disconnect() {
		if (redisson != null) {
			redisson.shutdown(0, 2, TimeUnit.SECONDS);
		}
	}

	private static RedisPermitStore store(String prefix) {
		return RedisPermitStore.builder(redisson).keyPrefix(prefix).leaseTime(Duration.ofSeconds(5)).build();
	}

	private static PolicyEngine engine(RedisPermitStore store, ResourceQuota quota) {
		PolicyEngine engine = PolicyEngine.builder().permitStore(store).build();
		engine.setQuota(quota.agentId(), quota);
		return engine;
	}

	@Test
	void closingAPermitTwiceReleasesItOnce() {
		try (RedisPermitStore store = store(prefix("release-once"))) {
			PolicyEngine engine = engine(store, ResourceQuota.of("a", 2));
			Permit first = engine.acquire("a");
			Permit second = engine.acquire("a");
			assertThat(engine.tryAcquire("a")).isEmpty();
			first.close();
			first.close();
			assertThat(engine.snapshot("a").orElseThrow().inFlight()).isEqualTo(1);
			Permit third = engine.acquire("a");
			assertThat(engine.tryAcquire("a")).isEmpty();
			second.close();
			third.close();
			assertThat(engine.snapshot("a").orElseThrow().inFlight()).isZero();
			assertThat(engine.snapshot("a").orElseThrow().acquired()).isEqualTo(3);
		}
	}

	/**
	 * A caller that gives up (its {@code orTimeout}, a cancel) completes the store's future from
	 * outside; whatever runs on that completion must already see the caller gone.
	 */
	@Test
	void aTakeTheCallerGivesUpOnNoLongerCountsAsWaiting() {
		try (RedisPermitStore store = store(prefix("give-up"))) {
			AgentPermits permits = store.create("a", 1, false);
			long held = permits.tryTake();
			assertThat(held).isPositive();
			CompletableFuture<Long> cancelled = permits.take(TimeUnit.SECONDS.toNanos(20));
			CompletableFuture<Long> timedOut = permits.take(TimeUnit.SECONDS.toNanos(20));
			assertThat(permits.waiting()).isEqualTo(2);
			CompletableFuture<Integer> waitingWhenCancelled = cancelled.handle((lease, ex) -> permits.waiting());
			CompletableFuture<Integer> waitingWhenTimedOut = timedOut.handle((lease, ex) -> permits.waiting());
			assertThat(cancelled.cancel(false)).isTrue();
			assertThat(waitingWhenCancelled).isCompletedWithValue(1);
			assertThat(timedOut.completeExceptionally(new TimeoutException())).isTrue();
			assertThat(waitingWhenTimedOut).isCompletedWithValue(0);
			assertThat(permits.release(held)).isTrue();
			// Redisson may still hand the abandoned takes a permit; each goes straight back.
			await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(permits.inFlight()).isZero());
		}
	}

	/**
	 * The store bounds its wait in Redis by the caller's and says {@code NONE} when that bound
	 * ends first; the engine must read it as "no permit" (it once granted one, see
	 * {@code PolicyEngineReliabilityTests.aStoreWhoseOwnWaitEndsFirstGrantsNothing}).
	 */
	@Test
	void aBoundedTakeEndsWithNoneAndTakesNothing() {
		try (RedisPermitStore store = store(prefix("bounded-take"))) {
			AgentPermits permits = store.create("a", 1, false);
			long held = permits.tryTake();
			assertThat(held).isPositive();
			CompletableFuture<Long> take = permits.take(TimeUnit.MILLISECONDS.toNanos(100));
			assertThat(take).succeedsWithin(Duration.ofSeconds(5)).isEqualTo(AgentPermits.NONE);
			assertThat(permits.inFlight()).isOne();
			assertThat(permits.waiting()).isZero();
			assertThat(permits.release(held)).isTrue();
			assertThat(permits.inFlight()).isZero();
		}
	}

	@Test
	void aLeaseIsReleasedAtMostOnceAndAnUnheldSlotCannotBeReleased() {
		try (RedisPermitStore store = store(prefix("lease-once"))) {
			AgentPermits permits = store.create("a", 1, true);
			long lease = permits.tryTake();
			assertThat(lease).isPositive();
			assertThat(permits.tryTake()).isEqualTo(AgentPermits.NONE);
			assertThat(permits.release(lease)).isTrue();
			assertThat(permits.release(lease)).isFalse();
			assertThat(permits.release(AgentPermits.ANY_LEASE)).isFalse();
			assertThat(permits.inFlight()).isZero();
			PolicyEngine engine = engine(store(prefix("slot")), ResourceQuota.of("b", 1));
			assertThat(engine.tryAcquireExecutionSlot("b")).isTrue();
			assertThat(engine.tryAcquireExecutionSlot("b")).isFalse();
			engine.releaseExecutionSlot("b");
			assertThatIllegalStateException().isThrownBy(() -> engine.releaseExecutionSlot("b"));
			assertThat(engine.snapshot("b").orElseThrow().inFlight()).isZero();
			assertThat(engine.tryAcquireExecutionSlot("b")).isTrue();
		}
	}

	@Test
	void theLimitHoldsAcrossInstancesAndSnapshotsShowTheClusterWideCount() {
		String prefix = prefix("cluster");
		try (RedisPermitStore storeA = store(prefix); RedisPermitStore storeB = store(prefix)) {
			PolicyEngine a = engine(storeA, ResourceQuota.of("shared", 2));
			PolicyEngine b = engine(storeB, ResourceQuota.of("shared", 2));
			Permit one = a.acquire("shared");
			Permit two = a.acquire("shared");
			assertThat(b.tryAcquire("shared")).isEmpty();
			assertThat(b.snapshot("shared").orElseThrow().inFlight()).isEqualTo(2);
			assertThat(b.snapshot("shared").orElseThrow().store()).isEqualTo("redis");
			one.close();
			// The release is sent without waiting: the other instance sees it a moment later.
			Permit three = await().atMost(Duration.ofSeconds(5)).ignoreExceptions().until(() -> b.acquire("shared"),
					(permit) -> permit != null);
			assertThat(a.tryAcquire("shared")).isEmpty();
			two.close();
			three.close();
			// Each instance waits (within the command timeout) for its own releases only: the
			// release of "three" went through the other instance.
			await().atMost(Duration.ofSeconds(5))
				.untilAsserted(() -> assertThat(a.snapshot("shared").orElseThrow().inFlight()).isZero());
		}
	}

	@Test
	void aRateRefusalRevokesThePermitWithoutCountingIt() {
		try (RedisPermitStore store = store(prefix("revoke"))) {
			PolicyEngine engine = engine(store,
					ResourceQuota.builder("a").maxConcurrentExecutions(1).maxRequestsPerMinute(1).build());
			engine.admit("a", null, null).close();
			assertThatExceptionOfType(QuotaExceededException.class).isThrownBy(() -> engine.admit("a", null, null))
				.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(RejectionReason.RATE_LIMIT));
			assertThat(engine.snapshot("a").orElseThrow().inFlight()).isZero();
			assertThat(engine.snapshot("a").orElseThrow().acquired()).isEqualTo(1);
			AgentPermits permits = store.create("direct", 1, true);
			long lease = permits.tryTake();
			permits.revoke(lease);
			assertThat(permits.acquired()).isZero();
			assertThat(permits.inFlight()).isZero();
			assertThat(permits.release(lease)).isFalse();
		}
	}

	@Test
	void shrinkingKeepsHeldPermitsAndGrowingServesWaitersAtOnce() {
		String prefix = prefix("resize");
		try (RedisPermitStore storeA = store(prefix); RedisPermitStore storeB = store(prefix)) {
			PolicyEngine a = engine(storeA, ResourceQuota.of("r", 3));
			PolicyEngine b = engine(storeB,
					ResourceQuota.builder("r").maxConcurrentExecutions(3).maxWait(Duration.ofSeconds(10)).build());
			Permit p1 = a.acquire("r");
			Permit p2 = a.acquire("r");
			Permit p3 = a.acquire("r");
			a.setQuota("r", ResourceQuota.of("r", 1));
			assertThat(a.snapshot("r").orElseThrow().inFlight()).isEqualTo(3);
			p1.close();
			p2.close();
			assertThat(a.tryAcquire("r")).isEmpty();
			// The other instance sees the new cluster-wide limit once it re-reads it.
			await().atMost(Duration.ofSeconds(5)).untilAsserted(
					() -> assertThat(b.snapshot("r").orElseThrow().maxConcurrentExecutions()).isEqualTo(1));
			CompletableFuture<Permit> waiter = b.acquireAsync("r");
			assertThat(waiter).isNotDone();
			a.setQuota("r", ResourceQuota.of("r", 2));
			Permit granted = waiter.orTimeout(5, TimeUnit.SECONDS).join();
			assertThat(a.snapshot("r").orElseThrow().inFlight()).isEqualTo(2);
			granted.close();
			p3.close();
			// granted was released by the other instance, without waiting.
			await().atMost(Duration.ofSeconds(5))
				.untilAsserted(() -> assertThat(a.snapshot("r").orElseThrow().inFlight()).isZero());
		}
	}

	@Test
	void aReleaseOnOneInstanceWakesAWaiterOnAnother() {
		String prefix = prefix("wake");
		try (RedisPermitStore storeA = store(prefix); RedisPermitStore storeB = store(prefix)) {
			PolicyEngine a = engine(storeA, ResourceQuota.of("w", 1));
			PolicyEngine b = engine(storeB,
					ResourceQuota.builder("w").maxConcurrentExecutions(1).maxWait(Duration.ofSeconds(20)).build());
			Permit held = a.acquire("w");
			CompletableFuture<Permit> waiter = b.acquireAsync("w");
			// Read on the thread that grants the permit, the moment the caller gets it: the
			// caller is no longer counted as waiting by then.
			CompletableFuture<Integer> waitingWhenGranted = waiter
				.thenApply((permit) -> b.snapshot("w").orElseThrow().waiting());
			await().atMost(Duration.ofSeconds(5))
				.untilAsserted(() -> assertThat(b.snapshot("w").orElseThrow().waiting()).isEqualTo(1));
			long released = System.nanoTime();
			held.close();
			Permit granted = waiter.orTimeout(5, TimeUnit.SECONDS).join();
			// Woken by pub/sub, not by the 5 s lease expiry or a polling round.
			assertThat(Duration.ofNanos(System.nanoTime() - released)).isLessThan(Duration.ofSeconds(2));
			assertThat(waitingWhenGranted.join()).isZero();
			assertThat(b.snapshot("w").orElseThrow().waiting()).isZero();
			granted.close();
		}
	}

	@Test
	void aWaiterThatTimesOutLeavesNoPermitBehind() {
		String prefix = prefix("timeout");
		try (RedisPermitStore store = store(prefix)) {
			PolicyEngine engine = engine(store,
					ResourceQuota.builder("t").maxConcurrentExecutions(1).maxWait(Duration.ofMillis(200)).build());
			Permit held = engine.acquire("t");
			assertThatExceptionOfType(QuotaExceededException.class).isThrownBy(() -> engine.acquire("t"))
				.satisfies((ex) -> assertThat(ex.reason()).isEqualTo(RejectionReason.CONCURRENCY_LIMIT));
			CompletableFuture<Permit> async = engine.acquireAsync("t");
			// Read the moment the refusal reaches the caller: it no longer counts as waiting.
			CompletableFuture<Integer> waitingWhenRefused = async
				.handle((permit, ex) -> engine.snapshot("t").orElseThrow().waiting());
			assertThat(async).failsWithin(Duration.ofSeconds(5));
			assertThat(waitingWhenRefused.join()).isZero();
			held.close();
			Optional<Permit> again = engine.tryAcquire("t");
			assertThat(again).isPresent();
			assertThat(engine.snapshot("t").orElseThrow().inFlight()).isEqualTo(1);
			again.get().close();
			assertThat(engine.snapshot("t").orElseThrow().inFlight()).isZero();
			assertThat(engine.snapshot("t").orElseThrow().waiting()).isZero();
		}
	}

	@Test
	void rateBudgetsHoldAcrossInstances() {
		String prefix = prefix("rate");
		try (RedisPermitStore storeA = store(prefix); RedisPermitStore storeB = store(prefix)) {
			ResourceQuota quota = ResourceQuota.builder("r").maxConcurrentExecutions(10).maxRequestsPerMinute(5).build();
			PolicyEngine a = engine(storeA, quota);
			PolicyEngine b = engine(storeB, quota);
			for (int i = 0; i < 3; i++) {
				assertThat(a.checkRateLimit("r")).isTrue();
			}
			assertThat(b.checkRateLimit("r")).isTrue();
			b.admit("r", null, null).close();
			assertThat(a.checkRateLimit("r")).isFalse();
			assertThatExceptionOfType(QuotaExceededException.class).isThrownBy(() -> b.admit("r", null, null))
				.satisfies((ex) -> {
					assertThat(ex.reason()).isEqualTo(RejectionReason.RATE_LIMIT);
					assertThat(ex.retryAfter()).isPresent();
				});
			assertThat(a.snapshot("r").orElseThrow().availableRequestsPerMinute()).isZero();
			assertThat(b.snapshot("r").orElseThrow().inFlight()).isZero();
			// A live change on one instance applies to the shared bucket: lowering 5 -> 2 with 4
			// left caps what is left at 2 for every instance.
			a.setQuota("s", ResourceQuota.builder("s").maxRequestsPerMinute(5).build());
			b.setQuota("s", ResourceQuota.builder("s").maxRequestsPerMinute(5).build());
			assertThat(a.checkRateLimit("s")).isTrue();
			a.setQuota("s", ResourceQuota.builder("s").maxRequestsPerMinute(2).build());
			assertThat(b.checkRateLimit("s")).isTrue();
			assertThat(b.checkRateLimit("s")).isTrue();
			assertThat(b.checkRateLimit("s")).isFalse();
		}
	}

	/** Agent ids that once named another agent's keys, or split one agent's keys over slots. */
	static final List<String> HOSTILE_IDS = List.of("{z:timeout", "{z", "tenant-{}", "a{b", "}{", "z");

	/**
	 * Ids with braces, or ending in Redisson's helper suffix, are ordinary agents side by side:
	 * each holds its own limit, none disturbs another, and every key of one agent carries one
	 * hash tag made of hex digits only.
	 */
	@Test
	void hostileAgentIdsAreOrdinaryAgents() {
		String prefix = prefix("hostile");
		try (RedisPermitStore store = store(prefix)) {
			PolicyEngine engine = PolicyEngine.builder().permitStore(store).build();
			for (String id : HOSTILE_IDS) {
				engine.setQuota(id, ResourceQuota.builder(id).maxConcurrentExecutions(2).maxRequestsPerMinute(100).build());
			}
			List<Permit> held = new ArrayList<>();
			for (String id : HOSTILE_IDS) {
				held.add(engine.admit(id, null, null));
				held.add(engine.admit(id, null, null));
				assertThat(engine.tryAcquire(id)).as(id).isEmpty();
				assertThat(engine.checkRateLimit(id)).as(id).isTrue();
			}
			for (String id : HOSTILE_IDS) {
				assertThat(engine.snapshot(id).orElseThrow().inFlight()).as(id).isEqualTo(2);
			}
			assertThat(store.isAvailable()).isTrue();
			held.forEach(Permit::close);
			for (String id : HOSTILE_IDS) {
				await().atMost(Duration.ofSeconds(5))
					.untilAsserted(() -> assertThat(engine.snapshot(id).orElseThrow().inFlight()).as(id).isZero());
				engine.tryAcquire(id).orElseThrow().close();
			}
			List<String> keys = new ArrayList<>();
			redisson.getKeys().getKeysByPattern("*" + prefix + "*").forEach(keys::add);
			assertThat(keys).isNotEmpty()
				.allSatisfy((key) -> assertThat(key).matches(".*" + java.util.regex.Pattern.quote(prefix) + ":\\{[0-9a-f]{32}\\}:[a-z:]+"));
			for (String id : HOSTILE_IDS) {
				String tag = "{" + RedisPermitStore.digest(id) + "}";
				assertThat(keys).filteredOn((key) -> key.contains(tag)).as(id).isNotEmpty();
			}
		}
	}

	@Test
	void aKeyPrefixWithBracesIsRefused() {
		assertThatExceptionOfType(IllegalArgumentException.class)
			.isThrownBy(() -> RedisPermitStore.builder(redisson).keyPrefix("svc{1}"))
			.withMessageContaining("keyPrefix")
			.withMessageContaining("svc{1}");
	}

	/**
	 * Issue 15, item 6: a slot released beside a held {@link Permit} must free the slot's lease,
	 * not the Permit's (which would leave the slot's lease renewed forever and the agent one
	 * permit short for the life of the JVM).
	 */
	@Test
	void releasingASlotNeverFreesAPermitsLease() {
		String prefix = prefix("one-lease");
		try (RedisPermitStore store = store(prefix); RedisPermitStore other = store(prefix)) {
			PolicyEngine engine = engine(store, ResourceQuota.of("s", 2));
			PolicyEngine elsewhere = engine(other, ResourceQuota.of("s", 2));
			Permit permit = engine.acquire("s");
			assertThat(engine.tryAcquireExecutionSlot("s")).isTrue();
			engine.releaseExecutionSlot("s");
			// The Permit still holds its lease cluster-wide: one more fits, not two.
			assertThat(engine.snapshot("s").orElseThrow().inFlight()).isOne();
			Permit second = elsewhere.acquire("s");
			assertThat(elsewhere.tryAcquire("s")).isEmpty();
			permit.close();
			second.close();
			await().atMost(Duration.ofSeconds(5))
				.untilAsserted(() -> assertThat(elsewhere.snapshot("s").orElseThrow().inFlight()).isZero());
			// Full capacity is back: two at once.
			Permit a = elsewhere.acquire("s");
			Permit b = elsewhere.acquire("s");
			a.close();
			b.close();
			assertThatIllegalStateException().isThrownBy(() -> engine.releaseExecutionSlot("s"));
		}
	}

	@Test
	void replicaSyncSettingsThatOutlastTheCommandTimeoutAreReported() {
		org.redisson.config.Config defaults = new org.redisson.config.Config();
		defaults.useClusterServers().addNodeAddress("redis://127.0.0.1:7101");
		assertThat(RedissonClients.replicaSyncAdvice(defaults, 250)).contains("slavesSyncTimeout=1000 ms",
				"checkLockSyncedSlaves=true", "command timeout of 250 ms", "100 ms");
		org.redisson.config.Config recommended = new org.redisson.config.Config();
		recommended.useSentinelServers().setMasterName("acp").addSentinelAddress("redis://127.0.0.1:7301");
		recommended.setSlavesSyncTimeout(100).setCheckLockSyncedSlaves(false);
		assertThat(RedissonClients.replicaSyncAdvice(recommended, 250)).isNull();
		org.redisson.config.Config single = new org.redisson.config.Config();
		single.useSingleServer().setAddress("redis://127.0.0.1:6379");
		assertThat(RedissonClients.replicaSyncAdvice(single, 250)).isNull();
	}

}
