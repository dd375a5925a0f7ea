package io.agentcontrolplane.autoconfigure.integration;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.agentcontrolplane.annotation.BoundedExecution;

import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.context.annotation.Import;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * A small application using the starter the way users do: quotas in application.yml, an
 * annotated service, a controller.
 */
@SpringBootConfiguration
@EnableAutoConfiguration
@Import({ TestApplication.BatchService.class, TestApplication.RatedController.class })
class TestApplication {

	/**
	 * Records how many calls run at once; each call holds until the test opens the gate.
	 */
	static class BatchService {

		private final AtomicInteger inFlight = new AtomicInteger();

		private final AtomicInteger maxInFlight = new AtomicInteger();

		@BoundedExecution("batch-agent")
		public void work(CountDownLatch entered, CountDownLatch gate, Duration timeout) throws InterruptedException {
			int now = this.inFlight.incrementAndGet();
			this.maxInFlight.accumulateAndGet(now, Math::max);
			entered.countDown();
			try {
				if (!gate.await(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
					throw new IllegalStateException("The gate was not opened within " + timeout);
				}
			}
			finally {
				this.inFlight.decrementAndGet();
			}
		}

		int maxInFlight() {
			return this.maxInFlight.get();
		}

	}

	@RestController
	static class RatedController {

		@GetMapping("/agents/rated/think")
		@BoundedExecution("rated-agent")
		public String think() {
			return "thought";
		}

	}

}
