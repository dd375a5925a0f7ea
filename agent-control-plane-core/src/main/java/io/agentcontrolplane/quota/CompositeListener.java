package io.agentcontrolplane.quota;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The listeners of one engine, told of every event in registration order. A listener that
 * throws is skipped for that event: listeners must never disturb accounting. The arrays are
 * copied on every change (rare) so that telling the listeners (every call) reads one volatile
 * field and allocates nothing.
 * <p>
 * The events of every call ({@code onAcquired}, {@code onReleased}, {@code onRejected}) go only
 * to the listeners that override them: a listener that keeps the empty default of
 * {@code onAcquired} (the budget-warning log, for example) costs an admission nothing, and the
 * engine skips the event, and the clock read for a hold time, when nobody overrides it.
 */
final class CompositeListener implements QuotaListener {

	private final ReentrantLock changes = new ReentrantLock();

	private volatile Fanout fanout = Fanout.EMPTY;

	void add(QuotaListener listener) {
		Objects.requireNonNull(listener, "listener");
		this.changes.lock();
		try {
			List<QuotaListener> updated = new ArrayList<>(Arrays.asList(this.fanout.all));
			updated.add(listener);
			this.fanout = Fanout.of(updated);
		}
		finally {
			this.changes.unlock();
		}
	}

	void remove(QuotaListener listener) {
		this.changes.lock();
		try {
			List<QuotaListener> updated = new ArrayList<>(Arrays.asList(this.fanout.all));
			if (updated.remove(listener)) {
				this.fanout = Fanout.of(updated);
			}
		}
		finally {
			this.changes.unlock();
		}
	}

	/** Whether no listener is registered at all. */
	boolean isEmpty() {
		return this.fanout.all.length == 0;
	}

	/** Whether a listener overrides {@link #onAcquired}. */
	boolean tellsAcquired() {
		return this.fanout.acquired.length != 0;
	}

	/** Whether a listener overrides {@link #onReleased}, so a hold time is worth measuring. */
	boolean tellsReleased() {
		return this.fanout.released.length != 0;
	}

	/** Whether a listener overrides {@link #onRejected}. */
	boolean tellsRejected() {
		return this.fanout.rejected.length != 0;
	}

	/**
	 * One immutable generation of the listeners: all of them, and for each per-call event those
	 * that override it.
	 */
	private static final class Fanout {

		static final QuotaListener[] NONE = {};

		static final Fanout EMPTY = new Fanout(NONE, NONE, NONE, NONE);

		final QuotaListener[] all;

		final QuotaListener[] acquired;

		final QuotaListener[] released;

		final QuotaListener[] rejected;

		private Fanout(QuotaListener[] all, QuotaListener[] acquired, QuotaListener[] released,
				QuotaListener[] rejected) {
			this.all = all;
			this.acquired = acquired;
			this.released = released;
			this.rejected = rejected;
		}

		static Fanout of(List<QuotaListener> listeners) {
			if (listeners.isEmpty()) {
				return EMPTY;
			}
			return new Fanout(listeners.toArray(NONE),
					overriding(listeners, "onAcquired", String.class, long.class),
					overriding(listeners, "onReleased", String.class, long.class),
					overriding(listeners, "onRejected", String.class, RejectionReason.class, long.class));
		}

		private static QuotaListener[] overriding(List<QuotaListener> listeners, String name, Class<?>... parameters) {
			return listeners.stream().filter((listener) -> overrides(listener, name, parameters)).toArray(QuotaListener[]::new);
		}

		/**
		 * Whether the listener's class declares its own method: a class whose public method is
		 * still the interface's empty default does not. When in doubt (a method that cannot be
		 * looked up), the listener is told.
		 */
		private static boolean overrides(QuotaListener listener, String name, Class<?>... parameters) {
			try {
				return listener.getClass().getMethod(name, parameters).getDeclaringClass() != QuotaListener.class;
			}
			catch (NoSuchMethodException | SecurityException ex) {
				return true;
			}
		}

	}

	@Override
	public void onAcquired(String agentId, long waitNanos) {
		for (QuotaListener listener : this.fanout.acquired) {
			try {
				listener.onAcquired(agentId, waitNanos);
			}
			catch (Throwable ex) {
				// Listeners must never disturb accounting.
			}
		}
	}

	@Override
	public void onRejected(String agentId, RejectionReason reason, long waitNanos) {
		for (QuotaListener listener : this.fanout.rejected) {
			try {
				listener.onRejected(agentId, reason, waitNanos);
			}
			catch (Throwable ex) {
				// Listeners must never disturb accounting.
			}
		}
	}

	@Override
	public void onReleased(String agentId, long heldNanos) {
		for (QuotaListener listener : this.fanout.released) {
			try {
				listener.onReleased(agentId, heldNanos);
			}
			catch (Throwable ex) {
				// Listeners must never disturb accounting.
			}
		}
	}

	@Override
	public void onAgentAdded(String agentId) {
		for (QuotaListener listener : this.fanout.all) {
			try {
				listener.onAgentAdded(agentId);
			}
			catch (Throwable ex) {
				// Listeners must never disturb accounting.
			}
		}
	}

	@Override
	public void onAgentRemoved(String agentId) {
		for (QuotaListener listener : this.fanout.all) {
			try {
				listener.onAgentRemoved(agentId);
			}
			catch (Throwable ex) {
				// Listeners must never disturb accounting.
			}
		}
	}

	@Override
	public void onQuotaChanged(String agentId) {
		for (QuotaListener listener : this.fanout.all) {
			try {
				listener.onQuotaChanged(agentId);
			}
			catch (Throwable ex) {
				// Listeners must never disturb accounting.
			}
		}
	}

	@Override
	public void onBudgetWarning(String agentId, Budget budget, long spent, Instant resetsAt) {
		for (QuotaListener listener : this.fanout.all) {
			try {
				listener.onBudgetWarning(agentId, budget, spent, resetsAt);
			}
			catch (Throwable ex) {
				// Listeners must never disturb accounting.
			}
		}
	}

	@Override
	public void onUsage(String agentId, BudgetUnit unit, long amount) {
		for (QuotaListener listener : this.fanout.all) {
			try {
				listener.onUsage(agentId, unit, amount);
			}
			catch (Throwable ex) {
				// Listeners must never disturb accounting.
			}
		}
	}

}
