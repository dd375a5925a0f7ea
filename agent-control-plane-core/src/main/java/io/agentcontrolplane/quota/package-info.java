/**
 * Per-agent resource quotas: concurrency permits, rate budgets and allowed actions.
 */
@NullMarked
package io.agentcontrolplane.quota;

import org.jspecify.annotations.NullMarked;
