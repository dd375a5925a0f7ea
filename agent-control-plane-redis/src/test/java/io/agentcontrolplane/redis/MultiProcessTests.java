package io.agentcontrolplane.redis;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.ResourceQuota;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.redisson.api.RedissonClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Separate JVM processes share one agent's limit through Redis.
 */
class MultiProcessTests {

	private static final Pattern REPORT = Pattern
		.compile("REPORT attempts=(\\d+) completed=(\\d+) rejected=(\\d+) errors=(\\d+)");

	private static String address;

	private static RedissonClient redisson;

	// Checked before each test (not once per class) so that every test shows as skipped.
	@BeforeEach
	void connect() {
		address = RedisTestSupport.sharedRedis();
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

	@Test
	void threeProcessesNeverExceedTheLimitAndAccountForEveryAttempt() throws Exception {
		String prefix = prefix("hammer");
		List<Process> processes = new ArrayList<>();
		for (int i = 0; i < 3; i++) {
			processes.add(worker("hammer", prefix, 4, 10_000, 4, 60));
		}
		List<CompletableFuture<String>> outputs = new ArrayList<>();
		for (Process process : processes) {
			outputs.add(CompletableFuture.supplyAsync(() -> readAll(process)));
		}
		long attempts = 0;
		long completed = 0;
		long rejected = 0;
		for (int i = 0; i < processes.size(); i++) {
			Process process = processes.get(i);
			assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("worker %d finished", i).isTrue();
			String output = outputs.get(i).get(10, TimeUnit.SECONDS);
			assertThat(process.exitValue()).as("exit of worker %d, output:%n%s", i, output).isZero();
			Matcher report = REPORT.matcher(output);
			assertThat(report.find()).as("report of worker %d in:%n%s", i, output).isTrue();
			assertThat(Long.parseLong(report.group(4))).as("errors of worker %d:%n%s", i, output).isZero();
			assertThat(Long.parseLong(report.group(2))).as("completions of worker %d", i).isPositive();
			attempts += Long.parseLong(report.group(1));
			completed += Long.parseLong(report.group(2));
			rejected += Long.parseLong(report.group(3));
		}
		System.out.printf("3 processes: attempts=%d completed=%d rejected=%d%n", attempts, completed, rejected);
		assertThat(attempts).isEqualTo(3 * 4 * 60);
		assertThat(completed + rejected).isEqualTo(attempts);
		long max = Long.parseLong(String.valueOf(redisson.getBucket(prefix + ":test:max",
				org.redisson.client.codec.StringCodec.INSTANCE).get()));
		// Never more than the limit at once, and the processes did overlap (else this proves nothing).
		assertThat(max).isBetween(2L, 4L);
		assertThat(redisson.getAtomicLong(prefix + ":test:inflight").get()).isZero();
		assertThat(redisson.getPermitExpirableSemaphore(prefix + ":permits:shared").acquiredPermits()).isZero();
	}

	@Test
	void permitsOfAKilledProcessComeBackWithinTheLeaseTime() throws Exception {
		String prefix = prefix("kill");
		Duration lease = Duration.ofSeconds(2);
		try (RedisPermitStore store = RedisPermitStore.builder(redisson).keyPrefix(prefix).leaseTime(lease).build()) {
			PolicyEngine engine = PolicyEngine.builder().permitStore(store).build();
			engine.setQuota("shared",
					ResourceQuota.builder("shared").maxConcurrentExecutions(4).maxWait(Duration.ofSeconds(20)).build());
			Process holder = worker("hold", prefix, 4, lease.toMillis(), 1, 1);
			try {
				BufferedReader out = new BufferedReader(
						new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
				String line = CompletableFuture.supplyAsync(() -> firstLineStartingWith(out, "HELD"))
					.get(30, TimeUnit.SECONDS);
				assertThat(line).isEqualTo("HELD 4");
				// Renewal keeps them held for longer than a lease while the process lives.
				await().during(lease.plusMillis(1000)).atMost(lease.plusMillis(3000))
					.until(() -> engine.tryAcquire("shared").isEmpty());
				assertThat(engine.snapshot("shared").orElseThrow().inFlight()).isEqualTo(4);
				CompletableFuture<Permit> waiter = engine.acquireAsync("shared");
				holder.destroyForcibly();
				long killed = System.nanoTime();
				assertThat(holder.waitFor(10, TimeUnit.SECONDS)).isTrue();
				// The waiter proceeds once the dead process's leases expire (no release ever comes).
				Permit granted = waiter.get(lease.toMillis() + 3000, TimeUnit.MILLISECONDS);
				assertThat(Duration.ofNanos(System.nanoTime() - killed)).isLessThan(lease.plusMillis(1500));
				List<Permit> others = new ArrayList<>();
				await().atMost(Duration.ofSeconds(5)).until(() -> {
					Optional<Permit> permit = engine.tryAcquire("shared");
					permit.ifPresent(others::add);
					return others.size() == 3;
				});
				assertThat(engine.snapshot("shared").orElseThrow().inFlight()).isEqualTo(4);
				granted.close();
				others.forEach(Permit::close);
				assertThat(engine.snapshot("shared").orElseThrow().inFlight()).isZero();
			}
			finally {
				holder.destroyForcibly();
			}
		}
	}

	private static Process worker(String mode, String prefix, int limit, long leaseMillis, int threads, int attempts)
			throws IOException {
		String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
		Path java = Path.of(System.getProperty("java.home"), "bin", "java");
		return new ProcessBuilder(java.toString(), "-Xmx128m", "-XX:TieredStopAtLevel=1", "-cp", classpath,
				RedisWorker.class.getName(), mode, address, prefix, "shared", String.valueOf(limit),
				String.valueOf(leaseMillis), String.valueOf(threads), String.valueOf(attempts))
			.redirectErrorStream(true)
			.start();
	}

	private static String readAll(Process process) {
		try {
			return new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
		}
		catch (IOException ex) {
			return ex.toString();
		}
	}

	private static String firstLineStartingWith(BufferedReader reader, String prefix) {
		try {
			for (String line = reader.readLine(); line != null; line = reader.readLine()) {
				if (line.startsWith(prefix)) {
					return line;
				}
			}
			return "<end of output>";
		}
		catch (IOException ex) {
			return ex.toString();
		}
	}

}
