package io.agentcontrolplane.redis;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import org.jspecify.annotations.Nullable;
import org.redisson.Redisson;
import org.redisson.api.RedissonClient;
import org.redisson.config.Config;

import static org.awaitility.Awaitility.await;

/**
 * A redis-server of the test's own, on a free port, without persistence, so that stopping it
 * never disturbs the shared server.
 */
final class RedisServerProcess implements AutoCloseable {

	private final Path binary;

	private final int port;

	private Process process;

	private RedisServerProcess(Path binary, int port) {
		this.binary = binary;
		this.port = port;
	}

	static RedisServerProcess start() throws IOException {
		RedisServerProcess server = new RedisServerProcess(RedisTestSupport.redisServerBinary(),
				RedisTestSupport.freePort());
		server.startProcess();
		return server;
	}

	String address() {
		return "redis://127.0.0.1:" + this.port;
	}

	/**
	 * A client of this server with enough threads that calls to a frozen server do not queue
	 * behind each other (4 threads, 8 Netty threads).
	 * @return the client, shut down by the test (see {@link #stopBoth})
	 */
	RedissonClient newClient() {
		Config config = new Config();
		config.setThreads(4);
		config.setNettyThreads(8);
		config.useSingleServer().setAddress(address());
		return Redisson.create(config);
	}

	/**
	 * Stop a server of a test (thawed first: a frozen server never stays behind) and shut its
	 * client down; either may be {@code null} when the set-up failed.
	 */
	static void stopBoth(@Nullable RedisServerProcess server, @Nullable RedissonClient client)
			throws InterruptedException {
		if (server != null) {
			server.close();
		}
		if (client != null) {
			client.shutdown(0, 2, TimeUnit.SECONDS);
		}
	}

	void startProcess() throws IOException {
		this.process = new ProcessBuilder(this.binary.toString(), "--port", String.valueOf(this.port), "--bind",
				"127.0.0.1", "--save", "", "--appendonly", "no")
			.redirectErrorStream(true)
			.redirectOutput(ProcessBuilder.Redirect.DISCARD)
			.start();
		await("redis-server on port " + this.port + " answers PING").atMost(Duration.ofSeconds(10))
			.pollInterval(Duration.ofMillis(50))
			.until(() -> RedisTestSupport.ping("127.0.0.1", this.port) == null);
	}

	/**
	 * Freeze the server (SIGSTOP): it keeps its connections open and answers nothing, like a
	 * server stuck in a long fork or swap. Always {@link #thaw()} (or {@link #close()}) after.
	 */
	void freeze() throws IOException, InterruptedException {
		signal("-STOP");
	}

	/**
	 * Let a {@link #freeze() frozen} server run again (SIGCONT).
	 */
	void thaw() throws IOException, InterruptedException {
		signal("-CONT");
	}

	private void signal(String signal) throws IOException, InterruptedException {
		Process running = this.process;
		if (running != null && running.isAlive()) {
			Process kill = new ProcessBuilder("kill", signal, String.valueOf(running.pid())).inheritIO().start();
			if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
				throw new IOException("kill " + signal + " " + running.pid() + " failed");
			}
		}
	}

	void stop() throws InterruptedException {
		Process running = this.process;
		if (running != null && running.isAlive()) {
			try {
				// A frozen server would not act on SIGTERM.
				thaw();
			}
			catch (IOException ex) {
				// destroyForcibly below.
			}
			running.destroy();
			if (!running.waitFor(10, TimeUnit.SECONDS)) {
				running.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
			}
		}
	}

	@Override
	public void close() throws InterruptedException {
		stop();
	}

}
