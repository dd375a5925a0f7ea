package io.agentcontrolplane.autoconfigure.integration;

import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;

/**
 * The same application with {@code spring.threads.virtual.enabled=true}: on Java 21+ the web
 * server and the bounded executor run on virtual threads, and every guarantee still holds.
 */
@SpringBootTest(classes = TestApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT,
		properties = "spring.threads.virtual.enabled=true")
class BoundedExecutionVirtualThreadsApplicationTests extends BoundedExecutionApplicationTests {

	@Override
	boolean expectVirtualThreads() {
		return Runtime.version().feature() >= 21;
	}

}
