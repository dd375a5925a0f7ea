/**
 * Bounded fan-out helpers: gather, settled gather, asynchronous gather and bounded work queues.
 */
@NullMarked
package io.agentcontrolplane.concurrent;

import org.jspecify.annotations.NullMarked;
