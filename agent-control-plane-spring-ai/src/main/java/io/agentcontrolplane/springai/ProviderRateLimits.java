package io.agentcontrolplane.springai;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

import org.jspecify.annotations.Nullable;
import org.springframework.ai.chat.metadata.EmptyRateLimit;
import org.springframework.ai.chat.metadata.RateLimit;

/**
 * The rate-limit figures model providers reported in their responses (Spring AI's
 * {@link RateLimit} in the response metadata), kept per agent and model. Thread-safe.
 *
 * <p>Not every Spring AI model client fills in the {@link RateLimit}: one that does not
 * reports an {@link EmptyRateLimit}, which is ignored here. Figures can also be recorded
 * directly with {@link #record(String, String, RateLimit)}.
 */
public final class ProviderRateLimits {

	private final Clock clock;

	private final ConcurrentHashMap<Key, ProviderRateLimit> limits = new ConcurrentHashMap<>();

	private final List<Consumer<ProviderRateLimit>> newEntryListeners = new CopyOnWriteArrayList<>();

	/**
	 * Figures timed with the system clock.
	 */
	public ProviderRateLimits() {
		this(Clock.systemUTC());
	}

	/**
	 * Figures timed with the given clock.
	 * @param clock the clock that turns reset durations into instants and tells when they pass
	 */
	public ProviderRateLimits(Clock clock) {
		this.clock = Objects.requireNonNull(clock, "clock");
	}

	/**
	 * Keep the figures of one response. An {@link EmptyRateLimit} (or one that reports no
	 * figure at all) is ignored.
	 * @param agentId the agent the request ran for
	 * @param model the model that answered
	 * @param rateLimit the figures from the response metadata
	 * @return whether anything was recorded
	 */
	public boolean record(String agentId, String model, @Nullable RateLimit rateLimit) {
		Objects.requireNonNull(agentId, "agentId");
		Objects.requireNonNull(model, "model");
		if (rateLimit == null || rateLimit instanceof EmptyRateLimit || !reportsAnything(rateLimit)) {
			return false;
		}
		Instant now = this.clock.instant();
		ProviderRateLimit limit = new ProviderRateLimit(agentId, model, rateLimit.getRequestsLimit(),
				rateLimit.getRequestsRemaining(), resetAt(now, rateLimit.getRequestsReset()),
				rateLimit.getTokensLimit(), rateLimit.getTokensRemaining(),
				resetAt(now, rateLimit.getTokensReset()), now);
		if (this.limits.put(new Key(agentId, model), limit) == null) {
			for (Consumer<ProviderRateLimit> listener : this.newEntryListeners) {
				listener.accept(limit);
			}
		}
		return true;
	}

	private static boolean reportsAnything(RateLimit rateLimit) {
		return positive(rateLimit.getRequestsLimit()) || positive(rateLimit.getTokensLimit())
				|| positive(rateLimit.getRequestsRemaining()) || positive(rateLimit.getTokensRemaining())
				|| positive(rateLimit.getRequestsReset()) || positive(rateLimit.getTokensReset());
	}

	private static boolean positive(@Nullable Long value) {
		return value != null && value > 0;
	}

	private static boolean positive(@Nullable Duration value) {
		return value != null && !value.isZero() && !value.isNegative();
	}

	private static @Nullable Instant resetAt(Instant now, @Nullable Duration reset) {
		return (reset != null) ? now.plus(reset) : null;
	}

	/**
	 * The last figures for one agent and model.
	 * @param agentId the agent
	 * @param model the model
	 * @return the figures, or empty when none were reported
	 */
	public Optional<ProviderRateLimit> get(String agentId, String model) {
		return Optional.ofNullable(this.limits.get(new Key(agentId, model)));
	}

	/**
	 * The last figures of every agent and model, in no particular order.
	 * @return a snapshot of the figures
	 */
	public List<ProviderRateLimit> all() {
		return new ArrayList<>(this.limits.values());
	}

	/**
	 * How long the provider will refuse requests of the agent to the model, by the last figures
	 * it reported: the time until the reset of an exhausted request or token limit.
	 * @param agentId the agent
	 * @param model the model, or {@code null} to consider every model the agent has used
	 * @return the time left, or {@link Duration#ZERO} when nothing is exhausted
	 */
	public Duration exhaustedFor(String agentId, @Nullable String model) {
		Instant now = this.clock.instant();
		if (model != null) {
			ProviderRateLimit limit = this.limits.get(new Key(agentId, model));
			return (limit != null) ? limit.exhaustedFor(now) : Duration.ZERO;
		}
		Duration wait = Duration.ZERO;
		for (Map.Entry<Key, ProviderRateLimit> entry : this.limits.entrySet()) {
			if (entry.getKey().agentId().equals(agentId)) {
				Duration each = entry.getValue().exhaustedFor(now);
				if (each.compareTo(wait) > 0) {
					wait = each;
				}
			}
		}
		return wait;
	}

	/**
	 * Be told the first time figures arrive for an agent and model, for example to register
	 * gauges. Listeners added later are not told of entries that exist already; see
	 * {@link #all()}.
	 * @param listener called with the first figures of each agent and model
	 */
	public void onNewEntry(Consumer<ProviderRateLimit> listener) {
		this.newEntryListeners.add(Objects.requireNonNull(listener, "listener"));
	}

	private record Key(String agentId, String model) {
	}

}
