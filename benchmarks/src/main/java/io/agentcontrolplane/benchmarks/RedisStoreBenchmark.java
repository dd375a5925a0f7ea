package io.agentcontrolplane.benchmarks;

import java.util.UUID;
import java.util.concurrent.TimeUnit;

import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.PolicyEngine;
import io.agentcontrolplane.quota.ResourceQuota;
import io.agentcontrolplane.redis.RedisPermitStore;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.redisson.Redisson;
import org.redisson.api.RPermitExpirableSemaphore;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * Acquire + release of one permit, uncontended, on the in-memory store against the Redis store
 * (two round trips to Redis: a Lua acquire and a Lua release), with bare Redisson calls as the
 * floor. Needs a Redis server: {@code REDIS_HOST} / {@code REDIS_PORT}, default
 * {@code 127.0.0.1:6379}. Run:
 * {@code java -jar benchmarks/target/benchmarks.jar RedisStoreBenchmark -f 1 -wi 2 -i 3}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 3)
@State(Scope.Benchmark)
public class RedisStoreBenchmark {

	private static final String AGENT = "bench";

	private RedissonClient redisson;

	private RedisPermitStore store;

	private PolicyEngine memoryEngine;

	private PolicyEngine redisEngine;

	private RPermitExpirableSemaphore semaphore;

	private String prefix;

	@Setup(Level.Trial)
	public void setUp() {
		String host = System.getenv().getOrDefault("REDIS_HOST", "127.0.0.1");
		String port = System.getenv().getOrDefault("REDIS_PORT", "6379");
		Config config = new Config();
		config.useSingleServer().setAddress("redis://" + host + ":" + port);
		this.redisson = Redisson.create(config);
		this.prefix = "acp-bench:" + UUID.randomUUID();
		this.store = RedisPermitStore.builder(this.redisson).keyPrefix(this.prefix).build();
		ResourceQuota quota = ResourceQuota.of(AGENT, 1_000);
		this.memoryEngine = new PolicyEngine();
		this.memoryEngine.setQuota(AGENT, quota);
		this.redisEngine = PolicyEngine.builder().permitStore(this.store).build();
		this.redisEngine.setQuota(AGENT, quota);
		this.semaphore = this.redisson.getPermitExpirableSemaphore(this.prefix + ":bare");
		this.semaphore.trySetPermits(1_000);
	}

	@TearDown(Level.Trial)
	public void tearDown() {
		this.store.close();
		this.redisson.getKeys().deleteByPattern("*" + this.prefix + "*");
		this.redisson.shutdown();
	}

	@Benchmark
	public void memoryStore() {
		try (Permit permit = this.memoryEngine.tryAcquire(AGENT).orElseThrow()) {
			// acquire + release
		}
	}

	@Benchmark
	public void redisStore() {
		try (Permit permit = this.redisEngine.tryAcquire(AGENT).orElseThrow()) {
			// acquire + release
		}
	}

	@Benchmark
	public void bareRedisson() throws InterruptedException {
		String id = this.semaphore.tryAcquire(0, 30_000, TimeUnit.MILLISECONDS);
		this.semaphore.release(id);
	}

}
