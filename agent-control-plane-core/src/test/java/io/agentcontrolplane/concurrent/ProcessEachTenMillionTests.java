package io.agentcontrolplane.concurrent;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link BoundedExecutor#processEach} streams 10,000,000 items whose results add up to 2.5 GB
 * through a JVM with a 64 MiB heap: memory is bounded by workers and queue, not by the number of
 * items. Runs in a forked JVM (the test's class path, {@code -Xmx64m}) and takes about 10 s on 2
 * cores; the item count can be changed with {@code -Dacp.processEach.items=N}.
 */
@Tag("resource-bounds")
class ProcessEachTenMillionTests {

	private static final long ITEMS = Long.getLong("acp.processEach.items", 10_000_000L);

	@Test
	void tenMillionItemsStreamThroughA64MiBHeap(@TempDir Path temp) throws Exception {
		String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
		Path output = temp.resolve("output.txt");
		// Output goes to a file so that a chatty child can never block on a full pipe.
		Process process = new ProcessBuilder(java, "-Xmx64m", "-cp",
				System.getProperty("java.class.path"), ProcessEachTenMillionMain.class.getName(), String.valueOf(ITEMS),
				"256")
			.redirectErrorStream(true)
			.redirectOutput(output.toFile())
			.start();
		boolean exited = process.waitFor(180, TimeUnit.SECONDS);
		if (!exited) {
			process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
		}
		String printed = Files.readString(output, StandardCharsets.UTF_8);
		System.out.println("processEach in -Xmx64m: " + printed.trim());
		assertThat(exited).as("forked JVM finished within 180 s: %s", printed).isTrue();
		assertThat(process.exitValue()).as(printed).isZero();
		assertThat(printed).contains("processed=" + ITEMS).doesNotContain("OutOfMemoryError");
		long maxHeapAfterGcKiB = Long.parseLong(printed.replaceAll("(?s).*maxHeapAfterGcKiB=(\\d+).*", "$1"));
		assertThat(maxHeapAfterGcKiB).as("largest heap in use after a collection, KiB").isLessThan(32 * 1024);
	}

}
