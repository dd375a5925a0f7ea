package io.agentcontrolplane.redis;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

/**
 * Finds the Redis server the tests run against, and says loudly when there is none: in CI (env
 * {@code CI} set) the tests fail, elsewhere they are skipped with a message on stderr and in the
 * test report.
 */
final class RedisTestSupport {

	static final String HOST = envOr("REDIS_HOST", "127.0.0.1");

	static final int PORT = Integer.parseInt(envOr("REDIS_PORT", "6379"));

	private RedisTestSupport() {
	}

	/**
	 * The address of the shared Redis server, after checking that it answers PING.
	 */
	static String sharedRedis() {
		String problem = ping(HOST, PORT);
		if (problem != null) {
			unavailable("no Redis answers PING on " + HOST + ":" + PORT + " (" + problem
					+ "); start one (redis-server) or set REDIS_HOST/REDIS_PORT");
		}
		return "redis://" + HOST + ":" + PORT;
	}

	/**
	 * The redis-server executable, for tests that stop and restart their own server.
	 */
	static Path redisServerBinary() {
		String configured = System.getenv("REDIS_SERVER");
		Path binary = Path.of((configured != null) ? configured : "/usr/bin/redis-server");
		if (!Files.isExecutable(binary)) {
			unavailable("no redis-server executable at " + binary + " (set REDIS_SERVER to its path)");
		}
		return binary;
	}

	static void unavailable(String why) {
		if (System.getenv("CI") != null) {
			Assertions.fail("Redis tests cannot run in CI: " + why);
		}
		String message = "REDIS TESTS SKIPPED: " + why;
		System.err.println();
		System.err.println("*".repeat(message.length()));
		System.err.println(message);
		System.err.println("*".repeat(message.length()));
		Assumptions.abort(message);
	}

	/**
	 * A key prefix no other test run uses.
	 */
	static String uniquePrefix(String test) {
		return "acp-test:" + test + ":" + UUID.randomUUID();
	}

	/**
	 * Delete every key a test wrote under its prefixes (Redisson wraps some in braces).
	 */
	static void deleteKeys(org.redisson.api.RedissonClient redisson, String prefix) {
		redisson.getKeys().deleteByPattern("*" + prefix + "*");
	}

	/**
	 * A Redisson client with short time-outs, so that an unreachable Redis shows within a second.
	 */
	static RedissonClient client(String address) {
		Config config = new Config();
		config.setThreads(4);
		config.setNettyThreads(8);
		config.useSingleServer()
			.setAddress(address)
			.setTimeout(1000)
			.setConnectTimeout(1000)
			.setRetryAttempts(1)
			.setConnectionMinimumIdleSize(2)
			.setConnectionPoolSize(16)
			.setSubscriptionConnectionMinimumIdleSize(1);
		return Redisson.create(config);
	}

	static int freePort() throws IOException {
		try (ServerSocket socket = new ServerSocket(0)) {
			socket.setReuseAddress(true);
			return socket.getLocalPort();
		}
	}

	/**
	 * {@code null} when the server answers PING, else what went wrong.
	 */
	static String ping(String host, int port) {
		try (Socket socket = new Socket()) {
			socket.connect(new InetSocketAddress(host, port), 1000);
			socket.setSoTimeout(1000);
			OutputStream out = socket.getOutputStream();
			out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
			out.flush();
			InputStream in = socket.getInputStream();
			byte[] buffer = new byte[64];
			int read = in.read(buffer);
			String answer = (read > 0) ? new String(buffer, 0, read, StandardCharsets.US_ASCII) : "";
			return answer.startsWith("+PONG") ? null : "answered '" + answer.trim() + "'";
		}
		catch (IOException ex) {
			return ex.toString();
		}
	}

	private static String envOr(String name, String fallback) {
		String value = System.getenv(name);
		return (value != null && !value.isBlank()) ? value : fallback;
	}

}
