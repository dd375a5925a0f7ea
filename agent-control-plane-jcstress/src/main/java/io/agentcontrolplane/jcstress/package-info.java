/**
 * jcstress tests of the permit accounting races in the quota engine.
 */
@NullMarked
package io.agentcontrolplane.jcstress;

import org.jspecify.annotations.NullMarked;
