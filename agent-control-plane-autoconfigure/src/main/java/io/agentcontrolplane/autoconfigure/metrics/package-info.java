/**
 * Micrometer support: gauges, counters and timers for every agent known to the quota engine.
 */
@NullMarked
package io.agentcontrolplane.autoconfigure.metrics;

import org.jspecify.annotations.NullMarked;
