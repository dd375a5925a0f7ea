/**
 * Micrometer meters for the Spring AI integration: provider rate limits, tokens and tool calls.
 */
@NullMarked
package io.agentcontrolplane.springai.metrics;

import org.jspecify.annotations.NullMarked;
