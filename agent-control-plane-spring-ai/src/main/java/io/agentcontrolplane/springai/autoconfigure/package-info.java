/**
 * Auto-configuration of the Spring AI quota advisor, tool governance and provider metrics.
 */
@NullMarked
package io.agentcontrolplane.springai.autoconfigure;

import org.jspecify.annotations.NullMarked;
