package io.agentcontrolplane.quota;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import io.agentcontrolplane.test.MutableClock;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link QuotaSnapshot#oldestPermitAge()} as kept by {@link PermitAges}: cells while they last,
 * the overflow set beyond.
 */
class PermitAgesTests {

	private final MutableClock clock = new MutableClock();

	private final PolicyEngine engine = PolicyEngine.builder().clock(this.clock).trackPermitAge(true).build();

	@Test
	void theOldestPermitHeldNowIsReportedAsPermitsComeAndGo() {
		this.engine.setQuota("a", ResourceQuota.of("a", 4));
		Permit first = this.engine.acquire("a");
		this.clock.advance(Duration.ofSeconds(10));
		Permit second = this.engine.acquire("a");
		this.clock.advance(Duration.ofSeconds(5));
		assertThat(oldestAge()).isEqualTo(Duration.ofSeconds(15));
		first.close();
		assertThat(oldestAge()).isEqualTo(Duration.ofSeconds(5));
		first.close();
		assertThat(oldestAge()).isEqualTo(Duration.ofSeconds(5));
		second.close();
		assertThat(oldestAge()).isNull();
	}

	@Test
	void permitsBeyondTheCellsAreAgedInTheOverflow() {
		// Created with a limit of 1 (16 cells), then raised: 40 permits cannot all have a cell.
		this.engine.setQuota("a", ResourceQuota.of("a", 1));
		this.engine.setQuota("a", ResourceQuota.of("a", 40));
		List<Permit> permits = new ArrayList<>();
		for (int i = 0; i < 40; i++) {
			permits.add(this.engine.acquire("a"));
			this.clock.advance(Duration.ofSeconds(1));
		}
		assertThat(oldestAge()).isEqualTo(Duration.ofSeconds(40));
		// Close the oldest 30 (every cell and some of the overflow): the 31st is the oldest now.
		for (int i = 0; i < 30; i++) {
			permits.get(i).close();
		}
		assertThat(oldestAge()).isEqualTo(Duration.ofSeconds(10));
		// Freed cells are used again.
		Permit again = this.engine.acquire("a");
		for (int i = 30; i < 40; i++) {
			permits.get(i).close();
		}
		assertThat(oldestAge()).isEqualTo(Duration.ZERO);
		again.close();
		assertThat(oldestAge()).isNull();
		assertThat(this.engine.snapshot("a").orElseThrow().inFlight()).isZero();
	}

	@Test
	void threadsTakingAndClosingAtOnceLeaveNoAgeBehind() throws Exception {
		this.engine.setQuota("a", ResourceQuota.of("a", 8));
		int threads = 4;
		CyclicBarrier start = new CyclicBarrier(threads);
		CountDownLatch done = new CountDownLatch(threads);
		ExecutorService executor = Executors.newFixedThreadPool(threads);
		try {
			List<Future<?>> futures = new ArrayList<>();
			for (int t = 0; t < threads; t++) {
				futures.add(executor.submit(() -> {
					start.await(10, TimeUnit.SECONDS);
					for (int i = 0; i < 20_000; i++) {
						this.engine.tryAcquire("a").ifPresent(Permit::close);
					}
					done.countDown();
					return null;
				}));
			}
			assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
			for (Future<?> future : futures) {
				future.get(10, TimeUnit.SECONDS);
			}
		}
		finally {
			executor.shutdownNow();
		}
		assertThat(oldestAge()).isNull();
		assertThat(this.engine.snapshot("a").orElseThrow().inFlight()).isZero();
	}

	@Test
	void withTheSystemClockAgesAreMeasuredWithTheMonotonicTimer() {
		PolicyEngine system = PolicyEngine.builder().trackPermitAge(true).build();
		system.setQuota("a", ResourceQuota.of("a", 2));
		Permit permit = system.acquire("a");
		long heldFrom = System.nanoTime();
		long spinUntil = heldFrom + TimeUnit.MILLISECONDS.toNanos(2);
		while (System.nanoTime() < spinUntil) {
			Thread.onSpinWait();
		}
		Duration age = system.snapshot("a").orElseThrow().oldestPermitAge();
		assertThat(age).isNotNull();
		// At least as long as the permit was seen held (the spin), not wall-clock milliseconds.
		assertThat(age.toNanos()).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(2))
			.isLessThan(TimeUnit.SECONDS.toNanos(60));
		permit.close();
		assertThat(system.snapshot("a").orElseThrow().oldestPermitAge()).isNull();
	}

	private Duration oldestAge() {
		return this.engine.snapshot("a").orElseThrow().oldestPermitAge();
	}

}
