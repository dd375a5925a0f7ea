package io.agentcontrolplane.quota;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;

import org.jspecify.annotations.Nullable;

/**
 * When each permit held now was granted, so that snapshots can report the oldest one's age.
 *
 * <p>A grant claims a free cell of a fixed array with one CAS (starting at a cell that depends
 * on the thread, so that threads do not all fight for the first one) and its release empties
 * that cell with one ordered write: no allocation, no hashing, no shared counter. A permit that
 * finds no free cell (more permits held than the array has cells, after a limit was raised) is
 * kept in a concurrent map instead, as every permit used to be.
 */
final class PermitAges {

	/** An empty cell. */
	static final long EMPTY = Long.MIN_VALUE;

	/** The slot of a permit kept in the overflow set. */
	static final int OVERFLOW = -1;

	private static final int MAX_CELLS = 1024;

	private final AtomicLongArray cells;

	private final int mask;

	/** Permits without a cell, to their grant time. */
	private final Map<TrackedPermit, Long> overflow = new ConcurrentHashMap<>();

	/**
	 * Cells for twice the limit (at least 16, at most {@value #MAX_CELLS}), so that a free cell
	 * is found within a few probes while the limit holds.
	 * @param limit the agent's concurrency limit when it was created
	 */
	PermitAges(int limit) {
		int wanted = (int) Math.min(MAX_CELLS, Math.max(16L, 2L * limit));
		int size = Integer.highestOneBit(wanted - 1) << 1;
		this.cells = new AtomicLongArray(size);
		for (int i = 0; i < size; i++) {
			this.cells.set(i, EMPTY);
		}
		this.mask = size - 1;
	}

	/**
	 * Claim a cell for a permit granted at the given time.
	 * @param grantedAt the grant time, in the engine's unit for ages
	 * @return the cell, or {@link #OVERFLOW} when none is free (then {@link #addOverflow} must
	 * follow)
	 */
	int claim(long grantedAt) {
		long stamp = (grantedAt == EMPTY) ? EMPTY + 1 : grantedAt;
		int start = startCell();
		for (int probe = 0; probe <= this.mask; probe++) {
			int cell = (start + probe) & this.mask;
			if (this.cells.get(cell) == EMPTY && this.cells.compareAndSet(cell, EMPTY, stamp)) {
				return cell;
			}
		}
		return OVERFLOW;
	}

	/**
	 * Keep a permit that found no cell.
	 * @param permit the permit
	 * @param grantedAt its grant time, as given to {@link #claim}
	 */
	void addOverflow(TrackedPermit permit, long grantedAt) {
		this.overflow.put(permit, grantedAt);
	}

	/**
	 * Forget a released permit.
	 * @param cell the cell it claimed, or {@link #OVERFLOW}
	 * @param permit the permit, {@code null} when it was never made (its cell is emptied)
	 */
	void release(int cell, @Nullable TrackedPermit permit) {
		if (cell == OVERFLOW) {
			if (permit != null) {
				this.overflow.remove(permit);
			}
		}
		else {
			this.cells.lazySet(cell, EMPTY);
		}
	}

	/**
	 * The grant time of the oldest permit held now.
	 * @return the time, or {@link #EMPTY} when none is held
	 */
	long oldest() {
		long oldest = Long.MAX_VALUE;
		for (int i = 0; i <= this.mask; i++) {
			long stamp = this.cells.get(i);
			if (stamp != EMPTY) {
				oldest = Math.min(oldest, stamp);
			}
		}
		for (long grantedAt : this.overflow.values()) {
			oldest = Math.min(oldest, grantedAt);
		}
		return (oldest == Long.MAX_VALUE) ? EMPTY : oldest;
	}

	/**
	 * The first cell a thread tries: threads spread over the cells a cache line (8 longs) apart.
	 * The thread id is a plain field read; an identity hash would take a slow path whenever the
	 * thread's monitor is inflated (a join waits on it).
	 */
	@SuppressWarnings("deprecation") // Thread.threadId() is Java 19+; getId() is the same value
	private static int startCell() {
		int h = (int) Thread.currentThread().getId() * 0x9E3779B9;
		return (h ^ (h >>> 16)) << 3;
	}

}
