package io.agentcontrolplane.springai;

/**
 * What happens when the quota refuses a tool call.
 */
public enum ToolRefusalMode {

	/**
	 * The tool is not run and the model gets a tool result that says why (an error it can act
	 * on, for example by answering without the tool). The refusal is still reported to the
	 * {@link SpringAiQuotaListener listeners}.
	 */
	TELL_MODEL,

	/**
	 * The {@link io.agentcontrolplane.quota.QuotaExceededException} propagates out of the
	 * {@code ChatClient} call, so that an HTTP caller gets the quota's status code.
	 */
	THROW

}
