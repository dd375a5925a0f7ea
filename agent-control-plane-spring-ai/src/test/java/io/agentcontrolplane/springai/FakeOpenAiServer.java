package io.agentcontrolplane.springai;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * An OpenAI-compatible chat completions endpoint on 127.0.0.1 for tests. It answers plain and
 * streamed ({@code "stream":true}, server-sent events) requests with usage, asks for the
 * {@code weather} tool when the prompt says "use the weather tool" and no tool result is in the
 * conversation yet (or always, when it says "keep calling the weather tool"), and sends rate-limit headers when told to. It counts the requests it is
 * working on at once, and can hold requests (and streams after their first chunk) until the
 * test lets them go.
 */
final class FakeOpenAiServer implements AutoCloseable {

	static final String MODEL = "gpt-fake";

	static final int PROMPT_TOKENS = 11;

	static final int COMPLETION_TOKENS = 7;

	private static final long BOUND_SECONDS = 20;

	private final HttpServer server;

	private final ExecutorService executor = Executors.newCachedThreadPool();

	private final AtomicInteger inFlight = new AtomicInteger();

	private final AtomicInteger maxInFlight = new AtomicInteger();

	private final AtomicInteger requests = new AtomicInteger();

	private final AtomicInteger tagged = new AtomicInteger();

	private final Semaphore arrivals = new Semaphore(0);

	private final List<String> bodies = new CopyOnWriteArrayList<>();

	private final Map<String, String> headers = new ConcurrentHashMap<>();

	private volatile CountDownLatch requestGate = new CountDownLatch(0);

	private volatile CountDownLatch streamGate = new CountDownLatch(0);

	FakeOpenAiServer() {
		try {
			this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
		}
		catch (IOException ex) {
			throw new IllegalStateException(ex);
		}
		this.server.setExecutor(this.executor);
		this.server.createContext("/", this::handle);
		this.server.start();
	}

	/** The base URL to give Spring AI's OpenAI client. */
	String baseUrl() {
		return "http://127.0.0.1:" + this.server.getAddress().getPort() + "/v1";
	}

	/** Forget the counts and bodies, open every gate, drop the extra headers. */
	void reset() {
		this.requestGate.countDown();
		this.streamGate.countDown();
		this.requestGate = new CountDownLatch(0);
		this.streamGate = new CountDownLatch(0);
		this.inFlight.set(0);
		this.maxInFlight.set(0);
		this.requests.set(0);
		this.tagged.set(0);
		this.arrivals.drainPermits();
		this.bodies.clear();
		this.headers.clear();
	}

	/** Hold every request that arrives from now on until {@link #openRequests()}. */
	void holdRequests() {
		this.requestGate = new CountDownLatch(1);
	}

	void openRequests() {
		this.requestGate.countDown();
	}

	/** Hold streams after their first chunk until {@link #openStreams()}. */
	void holdStreamsAfterFirstChunk() {
		this.streamGate = new CountDownLatch(1);
	}

	void openStreams() {
		this.streamGate.countDown();
	}

	/** Send this header with every response. */
	void header(String name, String value) {
		this.headers.put(name, value);
	}

	/** Wait (bounded) until this many requests have arrived since the last reset. */
	boolean awaitArrivals(int count) throws InterruptedException {
		return this.arrivals.tryAcquire(count, BOUND_SECONDS, TimeUnit.SECONDS);
	}

	int maxInFlight() {
		return this.maxInFlight.get();
	}

	int inFlight() {
		return this.inFlight.get();
	}

	int requests() {
		return this.requests.get();
	}

	/** How many requests arrived with a header of this library's (which should never leave). */
	int taggedRequests() {
		return this.tagged.get();
	}

	List<String> bodies() {
		return List.copyOf(this.bodies);
	}

	private void handle(HttpExchange exchange) throws IOException {
		try (exchange) {
			String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
			if (!exchange.getRequestURI().getPath().endsWith("/chat/completions")) {
				exchange.sendResponseHeaders(404, -1);
				return;
			}
			this.bodies.add(body);
			if (exchange.getRequestHeaders().keySet().stream().anyMatch((name) -> name.toLowerCase().startsWith("x-agent-control-plane"))) {
				this.tagged.incrementAndGet();
			}
			this.requests.incrementAndGet();
			int now = this.inFlight.incrementAndGet();
			this.maxInFlight.accumulateAndGet(now, Math::max);
			this.arrivals.release();
			boolean counted = true;
			try {
				await(this.requestGate);
				boolean askForTool = body.contains("\"tools\"") && (body.contains("keep calling the weather tool")
						|| body.contains("use the weather tool") && !body.contains("\"role\":\"tool\""));
				this.headers.forEach((name, value) -> exchange.getResponseHeaders().add(name, value));
				if (body.contains("\"stream\":true")) {
					exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
					exchange.sendResponseHeaders(200, 0);
					OutputStream out = exchange.getResponseBody();
					if (askForTool) {
						event(out, chunk("{\"role\":\"assistant\",\"content\":null,\"tool_calls\":[{\"index\":0,"
								+ "\"id\":\"call_1\",\"type\":\"function\",\"function\":{\"name\":\"weather\","
								+ "\"arguments\":\"\"}}]}", null, false));
						event(out, chunk("{\"tool_calls\":[{\"index\":0,\"function\":{\"arguments\":"
								+ "\"{\\\"city\\\":\\\"Paris\\\"}\"}}]}", null, false));
						this.inFlight.decrementAndGet();
						counted = false;
						event(out, chunk("{}", "tool_calls", true));
						event(out, "[DONE]");
						return;
					}
					event(out, chunk("{\"role\":\"assistant\",\"content\":\"Hello\"}", null, false));
					await(this.streamGate);
					event(out, chunk("{\"content\":\" world\"}", null, false));
					// Leave the count before the last bytes: the client may start its next request
					// as soon as it has read them.
					this.inFlight.decrementAndGet();
					counted = false;
					event(out, chunk("{}", "stop", true));
					event(out, "[DONE]");
					return;
				}
				String message = askForTool
						? "{\"role\":\"assistant\",\"content\":null,\"refusal\":null,\"tool_calls\":[{\"id\":\"call_1\","
								+ "\"type\":\"function\",\"function\":{\"name\":\"weather\",\"arguments\":\"{\\\"city\\\":\\\"Paris\\\"}\"}}]}"
						: "{\"role\":\"assistant\",\"content\":\"" + answer(body) + "\",\"refusal\":null}";
				String json = "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1700000000,\"model\":\""
						+ MODEL + "\",\"choices\":[{\"index\":0,\"message\":" + message + ",\"finish_reason\":\""
						+ (askForTool ? "tool_calls" : "stop") + "\",\"logprobs\":null}]," + usage() + "}";
				byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
				exchange.getResponseHeaders().add("Content-Type", "application/json");
				this.inFlight.decrementAndGet();
				counted = false;
				exchange.sendResponseHeaders(200, bytes.length);
				exchange.getResponseBody().write(bytes);
			}
			finally {
				if (counted) {
					this.inFlight.decrementAndGet();
				}
			}
		}
	}

	private static String answer(String body) {
		if (body.contains("tool_call_refused")) {
			return "I cannot check the weather right now.";
		}
		if (body.contains("\"role\":\"tool\"")) {
			return "It is sunny in Paris.";
		}
		return "Hello from the fake model";
	}

	private static String usage() {
		return "\"usage\":{\"prompt_tokens\":" + PROMPT_TOKENS + ",\"completion_tokens\":" + COMPLETION_TOKENS
				+ ",\"total_tokens\":" + (PROMPT_TOKENS + COMPLETION_TOKENS) + "}";
	}

	private static String chunk(String delta, String finishReason, boolean withUsage) {
		return "{\"id\":\"chatcmpl-2\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"" + MODEL
				+ "\",\"choices\":[{\"index\":0,\"delta\":" + delta + ",\"finish_reason\":"
				+ ((finishReason != null) ? "\"" + finishReason + "\"" : "null") + ",\"logprobs\":null}]"
				+ (withUsage ? "," + usage() : "") + "}";
	}

	private static void event(OutputStream out, String data) throws IOException {
		out.write(("data: " + data + "\n\n").getBytes(StandardCharsets.UTF_8));
		out.flush();
	}

	private static void await(CountDownLatch gate) {
		try {
			if (!gate.await(BOUND_SECONDS, TimeUnit.SECONDS)) {
				throw new IllegalStateException("The test did not open the gate in time");
			}
		}
		catch (InterruptedException ex) {
			Thread.currentThread().interrupt();
			throw new IllegalStateException(ex);
		}
	}

	@Override
	public void close() {
		this.requestGate.countDown();
		this.streamGate.countDown();
		this.server.stop(0);
		this.executor.shutdownNow();
	}

}
