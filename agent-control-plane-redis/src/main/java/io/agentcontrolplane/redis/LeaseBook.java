package io.agentcontrolplane.redis;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;

import io.agentcontrolplane.quota.PermitStore.AgentPermits;
import org.jspecify.annotations.Nullable;

/**
 * One agent's leases on this instance: the engine's {@code long} leases mapped to Redisson's
 * permit ids (or {@link #LOCAL} for a lease of the local fallback), which of them are execution
 * slots, and how many were handed out. A lease is taken out at most once; a slot release takes
 * out one of the slots only, never the lease of a {@link io.agentcontrolplane.quota.Permit}.
 */
final class LeaseBook {

	/** Map value of a lease taken from the local fallback while Redis was unreachable. */
	static final String LOCAL = new String("local");

	private final Map<Long, String> leases = new ConcurrentHashMap<>();

	/** The leases taken as execution slots: a slot release gives back one of these only. */
	private final Queue<Long> slots = new ConcurrentLinkedQueue<>();

	private final AtomicLong nextLease = new AtomicLong(1);

	private final LongAdder acquired = new LongAdder();

	/** Record a permit taken for a caller that is there to receive it; its new lease. */
	long register(String permitId) {
		long lease = this.nextLease.getAndIncrement();
		this.leases.put(lease, permitId);
		this.acquired.increment();
		return lease;
	}

	/**
	 * Hand a permit to a waiting caller: recorded under a new lease if the caller's future takes
	 * it, forgotten if the caller gave up meanwhile.
	 * @return whether the caller got it
	 */
	boolean handOver(CompletableFuture<Long> result, String permitId) {
		long lease = this.nextLease.getAndIncrement();
		this.leases.put(lease, permitId);
		if (result.complete(lease)) {
			this.acquired.increment();
			return true;
		}
		this.leases.remove(lease);
		return false;
	}

	/** Remember a lease as an execution slot. */
	void markSlot(long lease) {
		this.slots.add(lease);
	}

	/** One of the slot leases, taken off the slot queue, or {@code null}. */
	@Nullable Long pollSlot() {
		return this.slots.poll();
	}

	int slotsHeld() {
		return this.slots.size();
	}

	/**
	 * Take a lease out; {@link AgentPermits#ANY_LEASE} means one of the slots, never a lease
	 * handed to a {@link io.agentcontrolplane.quota.Permit}.
	 * @return its permit id, or {@code null} when it is not (or no longer) held
	 */
	@Nullable String remove(long lease) {
		if (lease != AgentPermits.ANY_LEASE) {
			return this.leases.remove(lease);
		}
		for (;;) {
			Long slot = this.slots.poll();
			if (slot == null) {
				return null;
			}
			String permitId = this.leases.remove(slot);
			if (permitId != null) {
				return permitId;
			}
		}
	}

	/** A lease revoked: it no longer counts as handed out. */
	void uncount() {
		this.acquired.decrement();
	}

	boolean isEmpty() {
		return this.leases.isEmpty();
	}

	int size() {
		return this.leases.size();
	}

	long acquired() {
		return this.acquired.sum();
	}

	/** The Redisson permit ids held (leases of the local fallback left out), for renewal. */
	List<String> remotePermitIds() {
		List<String> held = new ArrayList<>();
		for (String permitId : this.leases.values()) {
			if (permitId != LOCAL) {
				held.add(permitId);
			}
		}
		return held;
	}

}
