package io.agentcontrolplane.sample;

import java.util.concurrent.atomic.AtomicLong;

import org.springframework.ai.tool.annotation.Tool;
import org.springframework.ai.tool.annotation.ToolParam;
import org.springframework.stereotype.Component;

/**
 * The {@code send-email} tool the critic is given. {@code application.yml} maps it to the
 * {@code workflow-trigger} action type, which the critic is not allowed: every call is refused
 * before it runs, and the model is told.
 */
@Component
public class EmailTools {

	private final AtomicLong sent = new AtomicLong();

	/**
	 * Send an e-mail (simulated).
	 * @param body the e-mail's text
	 * @return a confirmation
	 */
	@Tool(name = "send-email", description = "Send an e-mail to the team")
	public String sendEmail(@ToolParam(description = "the e-mail's text") String body) {
		this.sent.incrementAndGet();
		return "sent: " + body;
	}

	/**
	 * How many e-mails were really sent (none, while the critic's tool is refused).
	 * @return the count
	 */
	public long sent() {
		return this.sent.get();
	}

}
