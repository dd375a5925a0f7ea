package io.agentcontrolplane.springai;

import java.util.HashMap;
import java.util.Map;

import org.jspecify.annotations.Nullable;
import org.springframework.ai.chat.model.ToolContext;
import org.springframework.ai.tool.ToolCallback;
import org.springframework.ai.tool.definition.ToolDefinition;
import org.springframework.ai.tool.metadata.ToolMetadata;

/**
 * A {@link ToolCallback} whose calls pass the calling agent's quota, see {@link ToolGovernance}.
 * The tool sees its tool context without the entries this integration adds.
 */
final class GovernedToolCallback implements ToolCallback {

	private final ToolCallback delegate;

	private final ToolGovernance governance;

	GovernedToolCallback(ToolCallback delegate, ToolGovernance governance) {
		this.delegate = delegate;
		this.governance = governance;
	}

	ToolCallback delegate() {
		return this.delegate;
	}

	ToolGovernance governance() {
		return this.governance;
	}

	@Override
	public ToolDefinition getToolDefinition() {
		return this.delegate.getToolDefinition();
	}

	@Override
	public ToolMetadata getToolMetadata() {
		return this.delegate.getToolMetadata();
	}

	@Override
	public String call(String toolInput) {
		return this.delegate.call(toolInput);
	}

	@Override
	public String call(String toolInput, @Nullable ToolContext toolContext) {
		if (toolContext == null || !(toolContext.getContext().get(AgentCallScope.TOOL_CONTEXT_KEY) instanceof AgentCallScope scope)) {
			return this.delegate.call(toolInput, toolContext);
		}
		Map<String, Object> own = new HashMap<>(toolContext.getContext());
		own.remove(AgentCallScope.TOOL_CONTEXT_KEY);
		ToolContext stripped = new ToolContext(own);
		return this.governance.call(this.delegate, scope, () -> this.delegate.call(toolInput, stripped));
	}

	@Override
	public String toString() {
		return "GovernedToolCallback[" + this.delegate + "]";
	}

}
