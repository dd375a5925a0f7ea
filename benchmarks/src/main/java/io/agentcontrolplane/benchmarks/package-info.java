/**
 * JMH benchmarks of agent-control-plane beside its peers.
 */
package io.agentcontrolplane.benchmarks;
