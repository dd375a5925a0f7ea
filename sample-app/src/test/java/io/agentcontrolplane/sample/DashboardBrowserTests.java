package io.agentcontrolplane.sample;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

import com.jayway.jsonpath.JsonPath;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.context.SpringBootTest.WebEnvironment;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.test.annotation.DirtiesContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The dashboard in a real headless Chromium (Debian's {@code chromium} and
 * {@code chromium-driver}): while the test holds think calls in flight, the bars on the page
 * show the in-flight counts that {@code /actuator/quotas} reports, and each agent's card has a
 * bar per budget with what remains and when it resets. Saves a screenshot to
 * {@code target/dashboard.png}.
 *
 * <p>Without Chromium the test fails when the {@code CI} environment variable is set, and is
 * otherwise skipped with a message saying how to install it.
 */
@SpringBootTest(classes = SampleApplication.class, webEnvironment = WebEnvironment.RANDOM_PORT)
@Import(GatedModelConfiguration.class)
// The load it generates spends the agents' token and cost budgets (some per day): closing the
// context afterwards keeps those budgets from refusing the calls of the other test classes.
@DirtiesContext
class DashboardBrowserTests {

	private static final Path CHROMIUM = Path.of("/usr/bin/chromium");

	private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");

	private static final Duration WAIT = Duration.ofSeconds(15);

	@LocalServerPort
	private int port;

	@Autowired
	private GatedModelLatency model;

	@TempDir
	private Path userDataDir;

	private SampleHttp http;

	private WebDriver driver;

	private final List<CompletableFuture<HttpResponse<String>>> held = new ArrayList<>();

	@BeforeAll
	static void requireChromium() {
		boolean present = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
		String message = "Chromium is missing (" + CHROMIUM + ", " + CHROMEDRIVER
				+ "): the dashboard browser test CANNOT RUN. Install it with "
				+ "'apt-get install -y chromium chromium-driver'.";
		if (!present && System.getenv("CI") != null) {
			Assertions.fail(message);
		}
		if (!present) {
			printOnConsole("SKIPPED: " + message);
		}
		Assumptions.assumeTrue(present, message);
	}

	/**
	 * Print where the person running the build sees it. Surefire redirects a test's
	 * {@code System.err} to a file under target/surefire-reports (redirectTestOutputToFile), so
	 * the notice is also written to the process's own standard error, which Surefire shows on the
	 * console.
	 */
	private static void printOnConsole(String message) {
		System.err.println(message);
		PrintStream console = new PrintStream(new FileOutputStream(FileDescriptor.err), true, StandardCharsets.UTF_8);
		console.println("[WARNING] " + message);
	}

	@BeforeEach
	void startBrowser() {
		this.http = new SampleHttp(this.port);
		// Explicit driver and browser paths: Selenium Manager has nothing to look up or download.
		System.setProperty("webdriver.chrome.driver", CHROMEDRIVER.toString());
		ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile())
			.usingAnyFreePort()
			.build();
		ChromeOptions options = new ChromeOptions();
		options.setBinary(CHROMIUM.toFile());
		options.addArguments("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
				"--disable-background-networking", "--disable-component-update", "--disable-sync",
				"--disable-dev-shm-usage", "--window-size=1200,1000", "--user-data-dir=" + this.userDataDir);
		this.driver = new ChromeDriver(service, options);
	}

	@AfterEach
	void releaseAndStop() {
		this.model.open();
		this.held.forEach(SampleHttp::join);
		if (this.driver != null) {
			this.driver.quit();
		}
	}

	@Test
	void barsShowTheInFlightCountsTheEndpointReports() throws Exception {
		// One finished question each: the planner's tokens, and the critic's refused send-email tool;
		// and one draft of the planner, which spends its token and cost budgets.
		assertThat(this.http.post("/agents/planner/think").statusCode()).isEqualTo(200);
		assertThat(this.http.post("/agents/critic/think").statusCode()).isEqualTo(200);
		assertThat(this.http.post("/agents/planner/draft").statusCode()).isEqualTo(200);
		this.model.close();
		hold("planner", 3);
		hold("researcher", 5);
		hold("coder", 3);
		hold("critic", 1);
		assertThat(this.model.awaitEntered(12, WAIT)).as("held think calls reached the model").isTrue();

		this.driver.get(this.http.base() + "/");
		waitUntil("every agent has a card", () -> pageCounts("data-in-flight").size() == 5);

		// Every slot of coder and critic is held: more calls are refused (coder after its 500 ms wait),
		// which fills the rejections chart.
		for (int round = 0; round < 4; round++) {
			List<CompletableFuture<HttpResponse<String>>> refused = List.of(
					this.http.postAsync("/agents/critic/think"), this.http.postAsync("/agents/critic/think"),
					this.http.postAsync("/agents/coder/think"), this.http.postAsync("/agents/coder/think"));
			for (CompletableFuture<HttpResponse<String>> call : refused) {
				assertThat(SampleHttp.join(call).statusCode()).isEqualTo(429);
			}
		}

		Map<String, Integer> expected = Map.of("planner", 3, "researcher", 5, "coder", 3, "critic", 1,
				"tool-runner", 0);
		waitUntil("the page shows the in-flight counts /actuator/quotas reports", () -> {
			Map<String, Integer> endpoint = endpointCounts("inFlight");
			return endpoint.equals(expected) && pageCounts("data-in-flight").equals(endpoint)
					&& pageCounts("data-rejected").equals(endpointCounts("rejected"));
		});
		assertThat(endpointCounts("rejected").get("critic")).isGreaterThanOrEqualTo(8);
		// The page redraws its cards on every poll, so each check is a short wait of its own that
		// finds its elements afresh (a card replaced between finding and reading is read again).
		waitUntil("the limits are shown", () -> Integer.valueOf(4).equals(pageCounts("data-limit").get("planner"))
				&& Integer.valueOf(1).equals(pageCounts("data-limit").get("critic")));
		waitUntil("the critic's card shows 1 of 1 in flight", () -> card("critic").getText().contains("1 / 1 in flight"));
		waitUntil("the critic's card has 1 used cell",
				() -> card("critic").findElements(By.cssSelector(".cell.used")).size() == 1);
		waitUntil("the planner's card has 4 cells", () -> card("planner").findElements(By.cssSelector(".cell")).size() == 4);
		waitUntil("the planner's card has 3 used cells",
				() -> card("planner").findElements(By.cssSelector(".cell.used")).size() == 3);
		waitUntil("the page shows the tokens and the refused tool /usage reports",
				() -> pageCounts("data-tokens-per-minute").getOrDefault("planner", 0) > 0
						&& pageCounts("data-tool-refusals").getOrDefault("critic", 0) >= 1);
		waitUntil("the planner's card shows tokens and cost",
				() -> card("planner").getText().contains("tokens / min") && card("planner").getText().contains("cost today"));
		waitUntil("the critic's card names the refused tool", () -> card("critic").findElement(By.cssSelector(".tag.refused"))
			.getText()
			.equals("refused tool send-email: action not allowed"));

		waitUntil("every agent's card has a bar per budget /actuator/quotas lists, with its unit, window and limit",
				() -> {
					for (String agent : List.of("planner", "researcher", "coder", "critic", "tool-runner")) {
						if (!pageBudgets(agent, "data-unit", "data-window", "data-limit")
							.equals(endpointBudgets(agent, "unit", "window", "limit"))) {
							return false;
						}
					}
					return true;
				});
		waitUntil("the planner's cost bar shows what /actuator/quotas says remains",
				() -> pageBudgets("planner", "data-unit", "data-remaining")
					.contains(endpointBudgets("planner", "unit", "remaining").get(2))
						&& endpointBudgets("planner", "unit", "remaining").get(2).startsWith("cost "));
		waitUntil("the planner's cost bar is drawn short of full, and says how much is left and when it resets", () -> {
			WebElement cost = budgetBar("planner", "cost");
			WebElement bar = cost.findElement(By.cssSelector(".budget-bar"));
			String width = cost.findElement(By.cssSelector(".budget-fill")).getDomAttribute("style");
			return cost.getText().contains("cost / day") && cost.getText().matches("(?s).*0\\.0\\d{3} of 0\\.0500 left.*")
					&& cost.getText().contains("resets in ") && "meter".equals(bar.getDomAttribute("role"))
					&& "0.05".equals(bar.getDomAttribute("aria-valuemax"))
					&& bar.getDomAttribute("aria-valuetext").matches("0\\.0\\d{3} of 0\\.0500 left, resets in \\d+ h \\d+ min")
					&& width != null && width.matches("width: (\\d|[1-9]\\d)(\\.\\d)?%;");
		});
		waitUntil("the planner's token bars say when they are full again",
				() -> budgetBar("planner", "tokens").getText().matches("(?s)tokens / min.*of 4,000 left.*(resets in \\d+ s|full)"));

		Path screenshot = ((TakesScreenshot) this.driver).getScreenshotAs(OutputType.FILE).toPath();
		Path target = Path.of("target", "dashboard.png");
		Files.createDirectories(target.getParent());
		Files.copy(screenshot, target, StandardCopyOption.REPLACE_EXISTING);
		assertThat(Files.size(target)).isGreaterThan(10_000);
	}

	private WebElement budgetBar(String agent, String unit) {
		return card(agent).findElement(By.cssSelector(".budget[data-unit='" + unit + "']"));
	}

	/** The budget bars of an agent's card, each as its attributes joined by spaces. */
	private List<String> pageBudgets(String agent, String... attributes) {
		List<String> budgets = new ArrayList<>();
		for (WebElement budget : card(agent).findElements(By.cssSelector(".budget"))) {
			List<String> values = new ArrayList<>();
			for (String attribute : attributes) {
				values.add(normalise(budget.getDomAttribute(attribute)));
			}
			budgets.add(String.join(" ", values));
		}
		return budgets;
	}

	/** The budgets of an agent as /actuator/quotas lists them, each as its fields joined by spaces. */
	private List<String> endpointBudgets(String agent, String... fields) {
		String body = this.http.get("/actuator/quotas/" + agent).body();
		List<Map<String, Object>> budgets = JsonPath.read(body, "$.budgets");
		List<String> described = new ArrayList<>();
		for (Map<String, Object> budget : budgets) {
			List<String> values = new ArrayList<>();
			for (String field : fields) {
				values.add(normalise(String.valueOf(budget.get(field))));
			}
			described.add(String.join(" ", values));
		}
		return described;
	}

	/** Numbers compared by value: the page writes 4000 where JSON may have 4000.0, 0.05 for 0.050. */
	private static String normalise(@org.jspecify.annotations.Nullable String value) {
		if (value == null) {
			return "";
		}
		try {
			return new java.math.BigDecimal(value).stripTrailingZeros().toPlainString();
		}
		catch (NumberFormatException ex) {
			return value;
		}
	}

	private WebElement card(String agent) {
		return this.driver.findElement(By.cssSelector(".agent[data-agent='" + agent + "']"));
	}

	private void hold(String agent, int calls) {
		for (int i = 0; i < calls; i++) {
			this.held.add(this.http.postAsync("/agents/" + agent + "/think"));
		}
	}

	private Map<String, Integer> pageCounts(String attribute) {
		Map<String, Integer> counts = new TreeMap<>();
		for (WebElement card : this.driver.findElements(By.cssSelector(".agent[data-agent]"))) {
			String value = card.getDomAttribute(attribute);
			if (value != null) {
				counts.put(card.getDomAttribute("data-agent"), Integer.valueOf(value));
			}
		}
		return counts;
	}

	private Map<String, Integer> endpointCounts(String field) {
		String body = this.http.get("/actuator/quotas").body();
		Map<String, Object> agents = JsonPath.read(body, "$.agents");
		Map<String, Integer> counts = new TreeMap<>();
		for (String agent : agents.keySet()) {
			counts.put(agent, ((Number) JsonPath.read(body, "$.agents['" + agent + "']." + field)).intValue());
		}
		return counts;
	}

	private void waitUntil(String what, java.util.function.BooleanSupplier condition) throws IOException {
		try {
			new WebDriverWait(this.driver, WAIT, Duration.ofMillis(200)).withMessage(what)
				.ignoring(StaleElementReferenceException.class)
				.until((driver) -> condition.getAsBoolean());
		}
		catch (RuntimeException ex) {
			Path failure = Path.of("target", "dashboard-failure.png");
			Files.createDirectories(failure.getParent());
			Files.copy(((TakesScreenshot) this.driver).getScreenshotAs(OutputType.FILE).toPath(), failure,
					StandardCopyOption.REPLACE_EXISTING);
			throw new AssertionError("Timed out waiting until " + what + "; page " + pageCounts("data-in-flight")
					+ ", endpoint " + endpointCounts("inFlight") + "; screenshot in " + failure, ex);
		}
	}

}
