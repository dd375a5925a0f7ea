package io.agentcontrolplane.quota;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A store that needs a round trip (Redis) may be slow or unreachable: the asynchronous forms
 * still hand their caller a future at once, and a caller that gives up loses nothing.
 */
class RemoteStoreAsyncAdmissionTests {

	private final CountDownLatch storeAnswers = new CountDownLatch(1);

	private final CountDownLatch takeStarted = new CountDownLatch(1);

	/** A remote store whose takes hang until the test lets them through. */
	private final PermitStore slowStore = new InterceptedStore("slow", (method, args) -> {
		if (method.getName().equals("tryTake")) {
			this.takeStarted.countDown();
			if (!this.storeAnswers.await(10, TimeUnit.SECONDS)) {
				throw new PermitStoreUnavailableException("the test never let the take through");
			}
		}
		return InterceptedStore.PASS;
	});

	private final PolicyEngine engine = PolicyEngine.builder().permitStore(this.slowStore).build();

	@Test
	void admitAsyncAnswersAtOnceWhileTheStoreHangs() throws Exception {
		this.engine.setQuota("a", ResourceQuota.builder("a").maxConcurrentExecutions(2).maxWait(Duration.ofSeconds(5)).build());
		CompletableFuture<Permit> permit = this.engine.admitAsync("a", null, Duration.ofSeconds(1));
		CompletableFuture<Permit> acquired = this.engine.acquireAsync("a");
		assertThat(this.takeStarted.await(10, TimeUnit.SECONDS)).isTrue();
		assertThat(permit).isNotDone();
		assertThat(acquired).isNotDone();
		this.storeAnswers.countDown();
		Permit granted = permit.get(10, TimeUnit.SECONDS);
		granted.close();
		acquired.get(10, TimeUnit.SECONDS).close();
		assertThat(this.engine.snapshot("a")).hasValueSatisfying((snapshot) -> {
			assertThat(snapshot.inFlight()).isZero();
			assertThat(snapshot.acquired()).isEqualTo(2);
		});
	}

	@Test
	void aFutureCancelledWhileTheStoreHangsLosesNoPermit() throws Exception {
		this.engine.setQuota("a", ResourceQuota.builder("a").maxConcurrentExecutions(1).maxWait(Duration.ofSeconds(5)).build());
		CompletableFuture<Permit> permit = this.engine.admitAsync("a", null, Duration.ofSeconds(1));
		assertThat(this.takeStarted.await(10, TimeUnit.SECONDS)).isTrue();
		assertThat(permit.cancel(false)).isTrue();
		this.storeAnswers.countDown();
		// The take the store answered is closed again: the one permit is free for the next caller.
		Permit next = this.engine.acquireAsync("a").get(10, TimeUnit.SECONDS);
		assertThat(next.agentId()).isEqualTo("a");
		next.close();
		assertThat(this.engine.snapshot("a")).hasValueSatisfying((snapshot) -> assertThat(snapshot.inFlight()).isZero());
	}

	@Test
	void theInMemoryStoreSaysItAnswersFromMemory() {
		assertThat(PermitStore.inMemory().isLocal()).isTrue();
		assertThat(this.slowStore.isLocal()).isFalse();
	}

}
