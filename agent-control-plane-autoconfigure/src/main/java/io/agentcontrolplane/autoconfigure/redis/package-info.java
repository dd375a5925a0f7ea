/**
 * Auto-configuration of the cluster-wide Redis permit store.
 */
@NullMarked
package io.agentcontrolplane.autoconfigure.redis;

import org.jspecify.annotations.NullMarked;
