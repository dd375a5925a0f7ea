package io.agentcontrolplane.quota;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;

/**
 * Execution slots are released by agent id, so whoever counts them decides whether a slot
 * release can free a permit somebody holds. The in-memory store counts them in the same word as
 * its permits ({@link PermitStore.AgentPermits#countsSlots()}); a store that does not is counted
 * for by the engine. Both ways must keep the same promises, so every test runs on both.
 */
class SlotAccountingTests {

	private static final long BOUND_SECONDS = 10;

	private final ExecutorService executor = Executors.newFixedThreadPool(2);

	@AfterEach
	void stopExecutor() throws InterruptedException {
		this.executor.shutdownNow();
		assertThat(this.executor.awaitTermination(BOUND_SECONDS, TimeUnit.SECONDS)).isTrue();
	}

	static Stream<Arguments> stores() {
		return Stream.of(Arguments.of("store counts slots", PermitStore.inMemory()),
				Arguments.of("engine counts slots", slotBlindStore()));
	}

	private static PolicyEngine engine(PermitStore store, int limit) {
		PolicyEngine engine = PolicyEngine.builder().permitStore(store).build();
		engine.setQuota("agent", ResourceQuota.of("agent", limit));
		return engine;
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("stores")
	void aSlotReleaseNeverFreesAPermitThatAPermitObjectHolds(String name, PermitStore store) {
		PolicyEngine engine = engine(store, 2);
		Permit permit = engine.tryAcquire("agent").orElseThrow();
		assertThatIllegalStateException().isThrownBy(() -> engine.releaseExecutionSlot("agent"))
			.withMessageContaining("'agent'");
		assertThat(engine.tryAcquireExecutionSlot("agent")).isTrue();
		assertThat(engine.tryAcquireExecutionSlot("agent")).isFalse();
		engine.releaseExecutionSlot("agent");
		// The slot is back; the permit is still held and a second slot release is refused.
		assertThatIllegalStateException().isThrownBy(() -> engine.releaseExecutionSlot("agent"));
		assertThat(engine.snapshot("agent").orElseThrow().inFlight()).isOne();
		permit.close();
		QuotaSnapshot snapshot = engine.snapshot("agent").orElseThrow();
		assertThat(snapshot.inFlight()).isZero();
		assertThat(snapshot.acquired()).isEqualTo(2);
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("stores")
	void slotsAndPermitsShareTheLimitAndComeBackWhicheverIsReleasedFirst(String name, PermitStore store) {
		PolicyEngine engine = engine(store, 3);
		assertThat(engine.tryAcquireExecutionSlot("agent")).isTrue();
		Permit permit = engine.tryAcquire("agent").orElseThrow();
		assertThat(engine.tryAcquireExecutionSlot("agent")).isTrue();
		assertThat(engine.tryAcquire("agent")).isEmpty();
		assertThat(engine.tryAcquireExecutionSlot("agent")).isFalse();
		permit.close();
		assertThat(engine.snapshot("agent").orElseThrow().inFlight()).isEqualTo(2);
		engine.releaseExecutionSlot("agent");
		engine.releaseExecutionSlot("agent");
		assertThatIllegalStateException().isThrownBy(() -> engine.releaseExecutionSlot("agent"));
		QuotaSnapshot snapshot = engine.snapshot("agent").orElseThrow();
		assertThat(snapshot.inFlight()).isZero();
		assertThat(snapshot.acquired()).isEqualTo(3);
		assertThat(snapshot.rejected()).isEqualTo(2);
	}

	@ParameterizedTest(name = "{0}")
	@MethodSource("stores")
	void aSlotHeldWhenTheLimitIsLoweredStillComesBackOnce(String name, PermitStore store) {
		PolicyEngine engine = engine(store, 2);
		assertThat(engine.tryAcquireExecutionSlot("agent")).isTrue();
		assertThat(engine.tryAcquireExecutionSlot("agent")).isTrue();
		engine.setQuota("agent", ResourceQuota.of("agent", 1));
		engine.releaseExecutionSlot("agent");
		assertThat(engine.tryAcquireExecutionSlot("agent")).isFalse();
		engine.releaseExecutionSlot("agent");
		assertThat(engine.tryAcquireExecutionSlot("agent")).isTrue();
		assertThat(engine.snapshot("agent").orElseThrow().inFlight()).isOne();
		engine.releaseExecutionSlot("agent");
		assertThatIllegalStateException().isThrownBy(() -> engine.releaseExecutionSlot("agent"));
	}

	/**
	 * Two threads, started together by a barrier, each take and give back slots and permits in
	 * turn under a limit of 1: nobody may ever run beside another holder, and every grant must
	 * come back.
	 */
	@ParameterizedTest(name = "{0}")
	@MethodSource("stores")
	void slotsAndPermitsFromTwoThreadsNeverExceedTheLimit(String name, PermitStore store) throws Exception {
		PolicyEngine engine = engine(store, 1);
		int rounds = 50_000;
		AtomicInteger running = new AtomicInteger();
		AtomicInteger overlaps = new AtomicInteger();
		AtomicInteger granted = new AtomicInteger();
		CyclicBarrier start = new CyclicBarrier(2);
		List<Future<?>> workers = new ArrayList<>();
		for (int worker = 0; worker < 2; worker++) {
			boolean slotsFirst = worker == 0;
			workers.add(this.executor.submit(() -> {
				start.await(BOUND_SECONDS, TimeUnit.SECONDS);
				for (int i = 0; i < rounds; i++) {
					boolean slot = slotsFirst == ((i & 1) == 0);
					Permit permit = null;
					if (slot ? engine.tryAcquireExecutionSlot("agent")
							: (permit = engine.tryAcquire("agent").orElse(null)) != null) {
						granted.incrementAndGet();
						if (running.incrementAndGet() > 1) {
							overlaps.incrementAndGet();
						}
						running.decrementAndGet();
						if (slot) {
							engine.releaseExecutionSlot("agent");
						}
						else {
							permit.close();
						}
					}
				}
				return null;
			}));
		}
		for (Future<?> worker : workers) {
			worker.get(BOUND_SECONDS * 6, TimeUnit.SECONDS);
		}
		QuotaSnapshot snapshot = engine.snapshot("agent").orElseThrow();
		assertThat(overlaps).hasValue(0);
		assertThat(granted.get()).isPositive();
		assertThat(snapshot.inFlight()).isZero();
		assertThat(snapshot.acquired()).isEqualTo(granted.get());
		assertThat(snapshot.acquired() + snapshot.rejected()).isEqualTo(2L * rounds);
		assertThatIllegalStateException().isThrownBy(() -> engine.releaseExecutionSlot("agent"));
	}

	@Test
	void theInMemoryStoreRefusesAPermitReleaseWhenOnlySlotsAreHeld() {
		PermitStore.AgentPermits permits = PermitStore.inMemory().create("agent", 2, true);
		assertThat(permits.countsSlots()).isTrue();
		assertThat(permits.release(PermitStore.AgentPermits.ANY_LEASE)).isFalse();
		assertThat(permits.tryTakeSlot()).isEqualTo(PermitStore.AgentPermits.ANY_LEASE);
		assertThat(permits.release(PermitStore.AgentPermits.ANY_LEASE)).isFalse();
		assertThat(permits.tryTake()).isEqualTo(PermitStore.AgentPermits.ANY_LEASE);
		assertThat(permits.tryTakeSlot()).isEqualTo(PermitStore.AgentPermits.NONE);
		assertThat(permits.release(PermitStore.AgentPermits.ANY_LEASE)).isTrue();
		assertThat(permits.release(PermitStore.AgentPermits.ANY_LEASE)).isFalse();
		assertThat(permits.inFlight()).isOne();
		assertThat(permits.retireIfIdle()).isFalse();
		assertThat(permits.releaseSlot()).isTrue();
		assertThat(permits.releaseSlot()).isFalse();
		assertThat(permits.acquired()).isEqualTo(2);
		assertThat(permits.retireIfIdle()).isTrue();
		assertThat(permits.tryTakeSlot()).isEqualTo(PermitStore.AgentPermits.CLOSED);
		assertThat(permits.tryTake()).isEqualTo(PermitStore.AgentPermits.CLOSED);
	}

	@Test
	void theInMemoryStoreTakesUpToTheLargestLimitWithSlotsBesidePermits() {
		// The held count and the slot count share one word: a limit of Integer.MAX_VALUE must
		// neither carry into the slot count nor read as closed.
		PermitStore.AgentPermits permits = PermitStore.inMemory().create("agent", Integer.MAX_VALUE, false);
		for (int i = 0; i < 1_000; i++) {
			assertThat(permits.tryTakeSlot()).isEqualTo(PermitStore.AgentPermits.ANY_LEASE);
			assertThat(permits.tryTake()).isEqualTo(PermitStore.AgentPermits.ANY_LEASE);
		}
		assertThat(permits.inFlight()).isEqualTo(2_000);
		for (int i = 0; i < 1_000; i++) {
			assertThat(permits.releaseSlot()).isTrue();
		}
		assertThat(permits.releaseSlot()).isFalse();
		assertThat(permits.inFlight()).isEqualTo(1_000);
		permits.resize(1_000, false);
		assertThat(permits.tryTakeSlot()).isEqualTo(PermitStore.AgentPermits.NONE);
		assertThat(permits.release(PermitStore.AgentPermits.ANY_LEASE)).isTrue();
		assertThat(permits.tryTakeSlot()).isEqualTo(PermitStore.AgentPermits.ANY_LEASE);
	}

	/**
	 * The in-memory store as a store would be that does not count slots: the engine must count
	 * them, and must never call the slot methods.
	 */
	private static PermitStore slotBlindStore() {
		return new InterceptedStore("slot-blind", (method, args) -> switch (method.getName()) {
			case "countsSlots" -> false;
			case "tryTakeSlot", "releaseSlot" ->
				throw new AssertionError(method.getName() + " called on a store that does not count slots");
			default -> InterceptedStore.PASS;
		});
	}

}
