package io.agentcontrolplane.quota;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The listeners of one engine, told of every event in registration order. A listener that
 * throws is skipped for that event: listeners must never disturb accounting. The array is
 * copied on every change (rare) so that telling the listeners (every call) reads one volatile
 * field and allocates nothing.
 */
final class CompositeListener implements QuotaListener {

	private static final QuotaListener[] NONE = {};

	private final ReentrantLock changes = new ReentrantLock();

	private volatile QuotaListener[] listeners = NONE;

	void add(QuotaListener listener) {
		Objects.requireNonNull(listener, "listener");
		this.changes.lock();
		try {
			QuotaListener[] current = this.listeners;
			QuotaListener[] updated = Arrays.copyOf(current, current.length + 1);
			updated[current.length] = listener;
			this.listeners = updated;
		}
		finally {
			this.changes.unlock();
		}
	}

	void remove(QuotaListener listener) {
		this.changes.lock();
		try {
			List<QuotaListener> updated = new ArrayList<>(Arrays.asList(this.listeners));
			if (updated.remove(listener)) {
				this.listeners = updated.isEmpty() ? NONE : updated.toArray(NONE);
			}
		}
		finally {
			this.changes.unlock();
		}
	}

	/** Whether nobody listens, so that callers can skip work done only for listeners. */
	boolean isEmpty() {
		return this.listeners.length == 0;
	}

	@Override
	public void onAcquired(String agentId, long waitNanos) {
		for (QuotaListener listener : this.listeners) {
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
		for (QuotaListener listener : this.listeners) {
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
		for (QuotaListener listener : this.listeners) {
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
		for (QuotaListener listener : this.listeners) {
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
		for (QuotaListener listener : this.listeners) {
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
		for (QuotaListener listener : this.listeners) {
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
		for (QuotaListener listener : this.listeners) {
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
		for (QuotaListener listener : this.listeners) {
			try {
				listener.onUsage(agentId, unit, amount);
			}
			catch (Throwable ex) {
				// Listeners must never disturb accounting.
			}
		}
	}

}
