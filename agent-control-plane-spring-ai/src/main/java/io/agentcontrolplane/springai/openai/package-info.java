/**
 * Provider feedback for Spring AI's OpenAI client: the rate-limit headers of its responses.
 */
@NullMarked
package io.agentcontrolplane.springai.openai;

import org.jspecify.annotations.NullMarked;
