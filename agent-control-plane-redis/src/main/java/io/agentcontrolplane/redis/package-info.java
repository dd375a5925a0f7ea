/**
 * Cluster-wide permit store on Redis: concurrency permits as expiring Redisson leases.
 */
@NullMarked
package io.agentcontrolplane.redis;

import org.jspecify.annotations.NullMarked;
