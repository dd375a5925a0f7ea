package io.agentcontrolplane.springai;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import io.agentcontrolplane.quota.QuotaExceededException;

/** Keeps what a {@link SpringAiQuotaListener} hears, for assertions. */
final class RecordingListener implements SpringAiQuotaListener {

	final List<ModelCallUsage> usages = new CopyOnWriteArrayList<>();

	final List<String> allowedTools = new CopyOnWriteArrayList<>();

	final List<QuotaExceededException> refusals = new CopyOnWriteArrayList<>();

	@Override
	public void onModelResponse(ModelCallUsage usage) {
		this.usages.add(usage);
	}

	@Override
	public void onToolCallAllowed(String agentId, String toolName, String actionName) {
		this.allowedTools.add(agentId + "/" + toolName + "/" + actionName);
	}

	@Override
	public void onToolCallRefused(String agentId, String toolName, String actionName,
			QuotaExceededException refusal) {
		this.refusals.add(refusal);
	}

}
