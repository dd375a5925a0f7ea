package io.agentcontrolplane.autoconfigure.aop;

import java.util.concurrent.TimeoutException;
import java.util.function.Function;

import io.agentcontrolplane.quota.Permit;
import io.agentcontrolplane.quota.Usage;
import org.jspecify.annotations.Nullable;

/**
 * The budget side of one subscription to a {@code Mono} or {@code Flux} result of a method with
 * {@code estimate} or {@code usage} expressions: the permit holding the estimate, the usage of
 * each element as it passes, and what happens to the estimate when the subscription ends.
 *
 * <ul>
 * <li>Each element's usage expression is evaluated as the element passes; the non-null results
 * are added up (requests, input and output tokens). The sum names a model when every element
 * named the same one; elements naming different models are settled without a model, so a cost
 * budget prices them at the highest prices (an over-count, never an under-count).</li>
 * <li>On complete the sum is settled; when no element gave a usage (an empty {@code Mono}, or
 * every element's expression gave {@code null}) the estimate stays charged.</li>
 * <li>On an error before the first element the whole estimate is refunded (the call failed
 * before anything came back); on an error after it, or a {@link TimeoutException} (the
 * quota's {@code maxExecutionTime}, when the provider may have been reached), the estimate
 * stays charged, as it does on cancel (what the provider spent is not known).</li>
 * </ul>
 *
 * <p>Reactive Streams signals of one subscription arrive one at a time, so the fields need no
 * lock; they are volatile because the signals may arrive on different threads.
 */
final class ReactiveSettlement {

	private final Permit permit;

	private final Function<Object, @Nullable Usage> usageOf;

	private volatile boolean emitted;

	private volatile @Nullable Usage total;

	private volatile boolean mixedModels;

	ReactiveSettlement(Permit permit, Function<Object, @Nullable Usage> usageOf) {
		this.permit = permit;
		this.usageOf = usageOf;
	}

	Permit permit() {
		return this.permit;
	}

	/**
	 * An element passed: evaluate its usage and add it.
	 */
	void onNext(Object element) {
		this.emitted = true;
		Usage usage = this.usageOf.apply(element);
		if (usage != null) {
			add(usage);
		}
	}

	/**
	 * The result completed: settle the sum, then return the permit. A settlement that fails
	 * (a model without a price) still returns the permit, with the estimate charged.
	 */
	void complete() {
		try {
			Usage usage = this.total;
			if (usage != null) {
				this.permit.settle(this.mixedModels ? withoutModel(usage) : usage);
			}
		}
		finally {
			this.permit.close();
		}
	}

	/**
	 * The result failed: refund when nothing came back, else keep the estimate.
	 */
	void error(Throwable failure) {
		try {
			if (!this.emitted && !(failure instanceof TimeoutException)) {
				this.permit.refund();
			}
		}
		finally {
			this.permit.close();
		}
	}

	/**
	 * The subscriber cancelled: the estimate stays charged.
	 */
	void cancel() {
		this.permit.close();
	}

	private void add(Usage usage) {
		Usage sum = this.total;
		if (sum == null) {
			this.total = usage;
			return;
		}
		String model = sum.model().orElse(null);
		if (model != null && !model.equals(usage.model().orElse(null))
				|| model == null && usage.model().isPresent()) {
			this.mixedModels = true;
		}
		Usage added = Usage.estimate(Math.addExact(sum.inputTokens(), usage.inputTokens()),
				Math.addExact(sum.outputTokens(), usage.outputTokens()))
			.withRequests(Math.addExact(sum.requests(), usage.requests()));
		this.total = (model != null && !this.mixedModels) ? added.withModel(model) : added;
	}

	private static Usage withoutModel(Usage usage) {
		return Usage.estimate(usage.inputTokens(), usage.outputTokens()).withRequests(usage.requests());
	}

}
