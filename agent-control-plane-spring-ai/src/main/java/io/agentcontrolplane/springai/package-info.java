/**
 * Per-agent quotas on Spring AI model calls and tool calls: an advisor, tool governance and
 * provider rate-limit feedback.
 */
@NullMarked
package io.agentcontrolplane.springai;

import org.jspecify.annotations.NullMarked;
