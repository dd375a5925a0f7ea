package io.agentcontrolplane.redis;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.jspecify.annotations.Nullable;

/**
 * One agent's limit as one instance knows it: the limit this instance was configured with and
 * its version (bumped on every resize), the highest version Redis answered as written, and the
 * cluster-wide limit as last read from Redis (another instance may have written its own). It
 * builds the arguments of the {@link MaintenanceScript} and takes in its answers.
 */
final class AgentLimit {

	/** Written before the version is bumped, read after it: see {@link #arguments}. */
	private volatile int configured;

	private final AtomicLong version = new AtomicLong(1);

	private final AtomicLong written = new AtomicLong();

	private volatile int inForce;

	AgentLimit(int limit) {
		this.configured = limit;
		this.inForce = limit;
	}

	/** A resize: the new limit is in force here at once and is to be written to Redis. */
	void configure(int limit) {
		this.configured = limit;
		this.inForce = limit;
		this.version.incrementAndGet();
	}

	int configured() {
		return this.configured;
	}

	/** The cluster-wide limit as last read from Redis, or this instance's since its resize. */
	int inForce() {
		return this.inForce;
	}

	/** Whether this instance's current limit has not been answered as written yet. */
	boolean toWrite() {
		return this.written.get() != this.version.get();
	}

	/**
	 * The script's arguments, as bytes: now, the renewed expiry, the keys' time to live, the
	 * limit to write (empty: keep the cluster's), this instance's limit, the publish command,
	 * the version of this instance's limit, this instance's id, then the permit ids to renew.
	 * The version is read before the limit (a resize writes them the other way round), so a
	 * resize in between pairs the new limit with the old version, which the script does not
	 * write when that version is in already, never the old limit with the new version.
	 */
	Object[] arguments(RedisPermitStore store, List<String> permitIds, boolean write) {
		long now = System.currentTimeMillis();
		long version = this.version.get();
		int limit = this.configured;
		Object[] args = new Object[8 + permitIds.size()];
		args[0] = bytes(now);
		args[1] = bytes(now + store.leaseMillis());
		args[2] = bytes(store.keyTimeToLiveMillis());
		args[3] = write ? bytes(limit) : new byte[0];
		args[4] = bytes(limit);
		args[5] = store.publishCommand().getBytes(StandardCharsets.US_ASCII);
		args[6] = bytes(version);
		args[7] = store.instanceId().getBytes(StandardCharsets.US_ASCII);
		for (int i = 0; i < permitIds.size(); i++) {
			args[8 + i] = HexFormat.of().parseHex(permitIds.get(i));
		}
		return args;
	}

	/**
	 * Take in an answer of the script: the limit in force (unless this instance was resized
	 * after the script took its arguments: the answer may predate the resize's write) and the
	 * version of this instance's limit in Redis.
	 * @return how many leases sent for renewal had expired in Redis (0 normally)
	 */
	long apply(@Nullable List<Object> result) {
		if (result == null || result.size() < 5) {
			return 0;
		}
		long taken = ((Number) result.get(4)).longValue();
		if (taken == this.version.get()) {
			this.inForce = ((Number) result.get(0)).intValue();
		}
		this.written.accumulateAndGet(((Number) result.get(1)).longValue(), Math::max);
		long renewed = ((Number) result.get(2)).longValue();
		long sent = ((Number) result.get(3)).longValue();
		return Math.max(0, sent - renewed);
	}

	private static byte[] bytes(long value) {
		return Long.toString(value).getBytes(StandardCharsets.US_ASCII);
	}

}
