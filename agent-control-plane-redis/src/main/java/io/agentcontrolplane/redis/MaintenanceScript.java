package io.agentcontrolplane.redis;

import java.util.List;
import java.util.concurrent.CompletableFuture;

import org.redisson.api.RFuture;
import org.redisson.api.RScript;
import org.redisson.api.RScriptAsync;

/**
 * The one script that maintains an agent's keys (renewal, limit, reconciliation, time to live),
 * sent on its own (creation, resize, probe) or in a batch (maintenance rounds).
 *
 * <p>Keys: the semaphore, its lease set, the limit, the semaphore's channel, the limit versions
 * (see {@link RedisAgentPermits#maintenanceKeys()}). Arguments: see
 * {@link AgentLimit#arguments(RedisPermitStore, List, boolean)}.
 */
final class MaintenanceScript {

	/**
	 * One agent's maintenance in one atomic script: drop expired leases, renew the leases this
	 * instance holds, write this instance's limit (or keep the cluster's), set the available
	 * count to limit minus held (so a permit lost for any reason comes back), refresh every
	 * key's time to live, and wake waiters when permits became free.
	 *
	 * <p>A limit is written only when its version is newer than the last one this instance
	 * wrote (remembered per instance in the agent's {@code limit:versions} hash, with the time
	 * of the write): a script that took its arguments before a resize and reaches Redis after
	 * the resize's write never puts the old limit back. Entries of instances that wrote nothing
	 * for a whole key time to live are dropped at the next write. Answers the limit in force,
	 * the version of this instance's limit now in Redis (0: none asked), the leases renewed,
	 * the leases sent, and the version the arguments were taken at.
	 */
	static final String SOURCE = String.join("\n",
			"local now = tonumber(ARGV[1])",
			"local ttl = tonumber(ARGV[3])",
			"redis.call('zremrangebyscore', KEYS[2], 0, now)",
			"local renewed = 0",
			"for i = 9, #ARGV do",
			"  if redis.call('zscore', KEYS[2], ARGV[i]) then",
			"    redis.call('zadd', KEYS[2], ARGV[2], ARGV[i])",
			"    renewed = renewed + 1",
			"  end",
			"end",
			"local version = tonumber(ARGV[7])",
			"local written = 0",
			"local limit = redis.call('get', KEYS[3])",
			"if ARGV[4] ~= '' then",
			"  local seen = tonumber(string.match(redis.call('hget', KEYS[5], ARGV[8]) or '0', '^%d+'))",
			"  if version > seen then",
			"    limit = ARGV[4]",
			"    written = version",
			"    local entries = redis.call('hgetall', KEYS[5])",
			"    for i = 1, #entries, 2 do",
			"      local at = tonumber(string.match(entries[i + 1], ':(%d+)$') or '0')",
			"      if at < now - ttl then redis.call('hdel', KEYS[5], entries[i]) end",
			"    end",
			"    redis.call('hset', KEYS[5], ARGV[8], version .. ':' .. ARGV[1])",
			"    redis.call('pexpire', KEYS[5], ttl)",
			"  else",
			"    written = seen",
			"  end",
			"end",
			"limit = tonumber(limit or ARGV[5])",
			"redis.call('set', KEYS[3], limit, 'px', ttl)",
			"local held = redis.call('zcard', KEYS[2])",
			"local available = limit - held",
			"local before = tonumber(redis.call('get', KEYS[1]) or '0')",
			"redis.call('set', KEYS[1], available, 'px', ttl)",
			"if held > 0 then redis.call('pexpire', KEYS[2], ttl) end",
			"if available > 0 and available > before then redis.call(ARGV[6], KEYS[4], available) end",
			"return {limit, written, renewed, #ARGV - 8, version}");

	private MaintenanceScript() {
	}

	/**
	 * Send the script for one agent through the given script object (a client's or a batch's).
	 */
	static CompletableFuture<List<Object>> evalAsync(RScriptAsync script, List<Object> keys, Object[] arguments) {
		RFuture<List<Object>> answer = script.evalAsync((String) keys.get(0), RScript.Mode.READ_WRITE, SOURCE,
				RScript.ReturnType.MULTI, keys, arguments);
		return answer.toCompletableFuture();
	}

}
