package io.agentcontrolplane.autoconfigure.integration;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.agentcontrolplane.concurrent.BoundedExecutor;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.QuotaExceededException;
import io.agentcontrolplane.quota.QuotaSnapshot;
import io.agentcontrolplane.quota.RejectionReason;
import org.junit.jupiter.api.Test;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A whole application on a random port, with quotas from application.yml.
 */
@SpringBootTest(classes = TestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT)
class BoundedExecutionApplicationTests {

	private static final Duration TIMEOUT = Duration.ofSeconds(30);

	private static final int CALLS = 50;

	@Autowired
	private TestApplication.BatchService service;

	@Autowired
	private PolicyEngine engine;

	@Autowired
	private BoundedExecutor boundedExecutor;

	@LocalServerPort
	private int port;

	@Test
	void fiftyConcurrentCallsRunAtMostTheLimitAndEveryCallIsAccountedFor() throws Exception {
		int limit = this.engine.getQuota("batch-agent").orElseThrow().maxConcurrentExecutions();
		assertThat(limit).isEqualTo(4);
		CyclicBarrier start = new CyclicBarrier(CALLS);
		// Counted down by every call once it is either inside the method or refused, so the
		// gate opens only when all calls overlapped.
		CountDownLatch attempted = new CountDownLatch(CALLS);
		CountDownLatch gate = new CountDownLatch(1);
		AtomicInteger completed = new AtomicInteger();
		AtomicInteger rejected = new AtomicInteger();
		ExecutorService callers = Executors.newFixedThreadPool(CALLS);
		try {
			List<Future<?>> futures = new ArrayList<>();
			for (int i = 0; i < CALLS; i++) {
				futures.add(callers.submit(() -> {
					start.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
					try {
						this.service.work(attempted, gate, TIMEOUT);
						completed.incrementAndGet();
					}
					catch (QuotaExceededException ex) {
						assertThat(ex.reason()).isEqualTo(RejectionReason.CONCURRENCY_LIMIT);
						rejected.incrementAndGet();
						attempted.countDown();
					}
					return null;
				}));
			}
			assertThat(attempted.await(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)).isTrue();
			assertThat(this.engine.snapshot("batch-agent").orElseThrow().inFlight()).isEqualTo(limit);
			gate.countDown();
			for (Future<?> future : futures) {
				future.get(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
			}
		}
		finally {
			callers.shutdownNow();
		}
		assertThat(this.service.maxInFlight()).isEqualTo(limit);
		assertThat(completed.get()).isEqualTo(limit);
		assertThat(rejected.get() + completed.get()).isEqualTo(CALLS);
		QuotaSnapshot snapshot = this.engine.snapshot("batch-agent").orElseThrow();
		assertThat(snapshot.inFlight()).isZero();
		assertThat(snapshot.acquired()).isEqualTo(limit);
		assertThat(snapshot.rejected()).isEqualTo(CALLS - limit);
	}

	@Test
	void overQuotaRequestGets429WithProblemBodyAndRetryAfter() throws Exception {
		HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
		HttpRequest request = HttpRequest.newBuilder(URI.create("http://localhost:" + this.port + "/agents/rated/think"))
			.timeout(TIMEOUT)
			.build();
		assertThat(client.send(request, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
		assertThat(client.send(request, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
		HttpResponse<String> refused = client.send(request, HttpResponse.BodyHandlers.ofString());
		assertThat(refused.statusCode()).isEqualTo(429);
		assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(
				(contentType) -> assertThat(contentType).startsWith("application/problem+json"));
		assertThat(refused.headers().firstValue("Retry-After")).hasValueSatisfying(
				(retryAfter) -> assertThat(Long.parseLong(retryAfter)).isBetween(1L, 60L));
		assertThat(refused.body()).contains("\"status\":429", "\"agent\":\"rated-agent\"",
				"\"reason\":\"RATE_LIMIT\"");
	}

	@Test
	void boundedExecutorRunsOnVirtualThreadsOnlyWhenAsked() {
		List<Boolean> virtual = this.boundedExecutor.gather(2,
				List.of(() -> Thread.currentThread().toString().startsWith("VirtualThread")));
		assertThat(virtual).containsExactly(expectVirtualThreads());
	}

	boolean expectVirtualThreads() {
		return false;
	}

}
