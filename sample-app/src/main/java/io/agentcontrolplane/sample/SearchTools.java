package io.agentcontrolplane.sample;

import org.springframework.ai.tool.annotation.Tool;
import org.springframework.ai.tool.annotation.ToolParam;
import org.springframework.stereotype.Component;

/**
 * The {@code search} tool the planner, researcher and coder use. Its action is
 * {@code tool:search}, checked as {@code api-call}, which those agents are allowed.
 */
@Component
public class SearchTools {

	/**
	 * Search the (simulated) web.
	 * @param query what to look for
	 * @return the top result
	 */
	@Tool(name = "search", description = "Search the web and return the top result")
	public String search(@ToolParam(description = "what to look for") String query) {
		return "top result for '" + query + "': three steps, the first one small";
	}

}
