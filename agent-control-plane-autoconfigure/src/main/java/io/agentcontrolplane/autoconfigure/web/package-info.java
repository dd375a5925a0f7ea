/**
 * HTTP error mapping of refused calls for Spring MVC and Spring WebFlux.
 */
@NullMarked
package io.agentcontrolplane.autoconfigure.web;

import org.jspecify.annotations.NullMarked;
