package io.agentcontrolplane.autoconfigure.actuate;

import java.lang.reflect.RecordComponent;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import io.agentcontrolplane.quota.Budget;
import io.agentcontrolplane.quota.BudgetStatus;
import io.agentcontrolplane.quota.BudgetUnit;
import io.agentcontrolplane.quota.QuotaSnapshot;
import org.jspecify.annotations.Nullable;

import org.springframework.boot.actuate.endpoint.InvalidEndpointRequestException;
import org.springframework.boot.actuate.endpoint.OperationResponseBody;
import org.springframework.boot.actuate.endpoint.annotation.ReadOperation;
import org.springframework.boot.actuate.endpoint.annotation.Selector;
import org.springframework.boot.actuate.endpoint.annotation.WriteOperation;
import org.springframework.boot.actuate.endpoint.web.WebEndpointResponse;
import org.springframework.boot.actuate.endpoint.web.annotation.EndpointWebExtension;
import org.springframework.boot.convert.ApplicationConversionService;
import org.springframework.core.convert.ConversionException;
import org.springframework.core.convert.ConversionService;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ProblemDetail;

/**
 * {@link EndpointWebExtension @EndpointWebExtension} for the {@link QuotasEndpoint}: answers a
 * refused write over HTTP with an RFC 9457 problem body ({@code application/problem+json}) whose
 * {@code detail} says why, and a write to an unknown agent with {@code 404} (a write operation
 * returning {@code null} would answer {@code 204}, as if something had changed).
 *
 * <p>Why an extension: Actuator turns an {@link InvalidEndpointRequestException} into a bare
 * {@code 400} whose reason Spring Boot's error page drops (its default is
 * {@code server.error.include-message=never}), so every refused write would get the same body.
 * For the same reason the limits are taken as text and converted here, with the conversions
 * Actuator would apply: a value that is not a number, a duration or a boolean gets a reason too.
 * The reads are overridden only to show each budget flat ({@code unit}, {@code window},
 * {@code limit}, {@code remaining}, {@code spent}, {@code resetsAt}, {@code warnAt}) rather than
 * as the core's {@link BudgetStatus}, whose {@link Budget} has no JSON form; every other field is
 * the snapshot's own. Access is the endpoint's ({@code read-only} by default, so this
 * write operation is only mapped with {@code management.endpoint.quotas.access=unrestricted}).
 */
@EndpointWebExtension(endpoint = QuotasEndpoint.class)
public class QuotasEndpointWebExtension {

	private static final MediaType PROBLEM_JSON = MediaType.APPLICATION_PROBLEM_JSON;

	private static final String INTEGER = "an integer from 0 to " + Integer.MAX_VALUE;

	private static final String DURATION = "a duration such as 500ms, 2s or PT2S";

	private static final String BOOLEAN = "true or false";

	private static final String BUDGETS = "budgets must be budgets separated by ';', each 'unit limit per [warn-at]'"
			+ " such as 'tokens 200000 1m; cost 25.00 day 80%'";

	private final QuotasEndpoint delegate;

	private final ConversionService conversionService = ApplicationConversionService.getSharedInstance();

	/**
	 * Create a web extension for the given endpoint.
	 * @param delegate the endpoint
	 */
	public QuotasEndpointWebExtension(QuotasEndpoint delegate) {
		this.delegate = delegate;
	}

	/**
	 * Snapshots of every known agent, with each budget shown flat.
	 * @return the snapshots, by agent id
	 */
	@ReadOperation
	public AgentsDescriptor quotas() {
		Map<String, Map<String, @Nullable Object>> agents = new LinkedHashMap<>();
		this.delegate.quotas().agents().forEach((agent, snapshot) -> agents.put(agent, describe(snapshot)));
		return new AgentsDescriptor(agents);
	}

	/**
	 * The snapshot of one agent, with each budget shown flat.
	 * @param agent the agent id
	 * @return {@code 200} with the snapshot, or {@code 404} when the agent is unknown
	 */
	@ReadOperation
	public WebEndpointResponse<Object> quota(@Selector String agent) {
		QuotaSnapshot snapshot = this.delegate.quota(agent);
		if (snapshot == null) {
			return new WebEndpointResponse<>(WebEndpointResponse.STATUS_NOT_FOUND);
		}
		return new WebEndpointResponse<>(describe(snapshot), WebEndpointResponse.STATUS_OK);
	}

	/**
	 * The snapshot's fields, in order, with its budgets flat.
	 */
	static Map<String, @Nullable Object> describe(QuotaSnapshot snapshot) {
		Map<String, @Nullable Object> fields = new LinkedHashMap<>();
		for (RecordComponent component : QuotaSnapshot.class.getRecordComponents()) {
			try {
				fields.put(component.getName(), component.getAccessor().invoke(snapshot));
			}
			catch (ReflectiveOperationException ex) {
				throw new IllegalStateException("Cannot read " + component.getName() + " of " + snapshot, ex);
			}
		}
		List<Map<String, @Nullable Object>> budgets = new ArrayList<>();
		for (BudgetStatus status : snapshot.budgets()) {
			Budget budget = status.budget();
			Map<String, @Nullable Object> described = new LinkedHashMap<>();
			described.put("unit", budget.unit().configName());
			described.put("window", budget.window().toString());
			described.put("limit", budget.limit());
			described.put("remaining", status.remainingAmount());
			described.put("spent", budget.unit().fromBaseUnits(status.spent()));
			described.put("resetsAt", status.resetsAt());
			described.put("warnAt", budget.warnAt().isPresent() ? budget.warnAt().getAsDouble() : null);
			budgets.add(described);
		}
		fields.put("budgets", budgets);
		return fields;
	}

	/**
	 * Change the limits of an agent, live; see
	 * {@link QuotasEndpoint#updateQuota(String, Integer, Duration, Integer, Integer, Duration, Boolean, List)}.
	 * Each limit is given as JSON text or number; {@code null} or absent keeps it.
	 * @param agent the agent id
	 * @param maxConcurrentExecutions the new concurrency limit, or {@code null} to keep it
	 * @param maxWait the new maximum wait, or {@code null} to keep it
	 * @param maxRequestsPerMinute the new per-minute budget, or {@code null} to keep it
	 * @param maxRequestsPerHour the new per-hour budget, or {@code null} to keep it
	 * @param maxExecutionTime the new maximum execution time, or {@code null} to keep it
	 * @param fair the new fairness, or {@code null} to keep it
	 * @param budgets the new budgets, replacing the agent's whole list (empty removes them);
	 * {@code null} keeps them. Over HTTP a text (Actuator reads a write's JSON body as text
	 * values): budgets separated by {@code ;}, each {@code unit limit per [warn-at]}, such as
	 * {@code "tokens 200000 1m; cost 25.00 day 80%"}. From Java also a list of maps with
	 * {@code unit}, {@code limit}, {@code per} and optionally {@code warnAt}
	 * @return {@code 200} with the new snapshot, {@code 400} with a problem body saying what is
	 * wrong (nothing changed), or {@code 404} with a problem body when the agent is unknown
	 */
	/**
	 * Change the limits of an agent, live, keeping its budgets; see
	 * {@link #updateQuota(String, String, String, String, String, String, String, Object)}.
	 * @param agent the agent id
	 * @param maxConcurrentExecutions the new concurrency limit, or {@code null} to keep it
	 * @param maxWait the new maximum wait, or {@code null} to keep it
	 * @param maxRequestsPerMinute the new per-minute budget, or {@code null} to keep it
	 * @param maxRequestsPerHour the new per-hour budget, or {@code null} to keep it
	 * @param maxExecutionTime the new maximum execution time, or {@code null} to keep it
	 * @param fair the new fairness, or {@code null} to keep it
	 * @return {@code 200} with the new snapshot, {@code 400} or {@code 404} with a problem body
	 */
	public WebEndpointResponse<Object> updateQuota(String agent, @Nullable String maxConcurrentExecutions,
			@Nullable String maxWait, @Nullable String maxRequestsPerMinute, @Nullable String maxRequestsPerHour,
			@Nullable String maxExecutionTime, @Nullable String fair) {
		return updateQuota(agent, maxConcurrentExecutions, maxWait, maxRequestsPerMinute, maxRequestsPerHour,
				maxExecutionTime, fair, null);
	}

	/**
	 * Change the limits of an agent, live, keeping its allowed actions; see
	 * {@link #updateQuota(String, String, String, String, String, String, String, Object, Object)}.
	 * @param agent the agent id
	 * @param maxConcurrentExecutions the new concurrency limit, or {@code null} to keep it
	 * @param maxWait the new maximum wait, or {@code null} to keep it
	 * @param maxRequestsPerMinute the new per-minute budget, or {@code null} to keep it
	 * @param maxRequestsPerHour the new per-hour budget, or {@code null} to keep it
	 * @param maxExecutionTime the new maximum execution time, or {@code null} to keep it
	 * @param fair the new fairness, or {@code null} to keep it
	 * @param budgets the new budgets, or {@code null} to keep them
	 * @return {@code 200} with the new snapshot, {@code 400} or {@code 404} with a problem body
	 */
	public WebEndpointResponse<Object> updateQuota(String agent, @Nullable String maxConcurrentExecutions,
			@Nullable String maxWait, @Nullable String maxRequestsPerMinute, @Nullable String maxRequestsPerHour,
			@Nullable String maxExecutionTime, @Nullable String fair, @Nullable Object budgets) {
		return updateQuota(agent, maxConcurrentExecutions, maxWait, maxRequestsPerMinute, maxRequestsPerHour,
				maxExecutionTime, fair, budgets, null);
	}

	/**
	 * Change the limits of an agent, live, budgets and allowed actions included. Each limit is
	 * given as JSON text or number; {@code null} or absent keeps it.
	 * @param agent the agent id
	 * @param maxConcurrentExecutions the new concurrency limit, or {@code null} to keep it
	 * @param maxWait the new maximum wait, or {@code null} to keep it
	 * @param maxRequestsPerMinute the new per-minute budget, or {@code null} to keep it
	 * @param maxRequestsPerHour the new per-hour budget, or {@code null} to keep it
	 * @param maxExecutionTime the new maximum execution time, or {@code null} to keep it
	 * @param fair the new fairness, or {@code null} to keep it
	 * @param budgets the new budgets (see the form above), or {@code null} to keep them
	 * @param allowedActions the new allowed actions, replacing the whole set (an empty value
	 * allows every action). Over HTTP a text of names separated by commas
	 * ({@code "api-call, tool:search"}), as Actuator reads a write's JSON body as text values;
	 * from Java also a list of names. {@code null} keeps them
	 * @return {@code 200} with the new snapshot, {@code 400} with a problem body saying what is
	 * wrong (nothing changed), or {@code 404} with a problem body when the agent is unknown
	 */
	@WriteOperation
	public WebEndpointResponse<Object> updateQuota(@Selector String agent, @Nullable String maxConcurrentExecutions,
			@Nullable String maxWait, @Nullable String maxRequestsPerMinute, @Nullable String maxRequestsPerHour,
			@Nullable String maxExecutionTime, @Nullable String fair, @Nullable Object budgets,
			@Nullable Object allowedActions) {
		QuotaSnapshot snapshot;
		try {
			snapshot = this.delegate.updateQuota(agent,
					convert("maxConcurrentExecutions", maxConcurrentExecutions, Integer.class, INTEGER),
					convert("maxWait", maxWait, Duration.class, DURATION),
					convert("maxRequestsPerMinute", maxRequestsPerMinute, Integer.class, INTEGER),
					convert("maxRequestsPerHour", maxRequestsPerHour, Integer.class, INTEGER),
					convert("maxExecutionTime", maxExecutionTime, Duration.class, DURATION),
					convert("fair", fair, Boolean.class, BOOLEAN), budgets(budgets), actions(allowedActions));
		}
		catch (IllegalArgumentException ex) {
			return problem(HttpStatus.BAD_REQUEST, agent, "Invalid quota for agent '" + agent + "': " + ex.getMessage());
		}
		catch (InvalidEndpointRequestException ex) {
			return problem(HttpStatus.BAD_REQUEST, agent, ex.getMessage());
		}
		if (snapshot == null) {
			return problem(HttpStatus.NOT_FOUND, agent, "Agent '" + agent
					+ "' has no quota; quotas are created in configuration (agent-control-plane.quotas), not here");
		}
		return new WebEndpointResponse<>(describe(snapshot), WebEndpointResponse.STATUS_OK);
	}

	/**
	 * The budgets in their text form, as JSON bodies of Actuator writes carry text values only:
	 * budgets separated by {@code ;}, each {@code unit limit per [warn-at]} separated by blanks.
	 */
	private static List<Object> parse(String text) {
		List<Object> values = new ArrayList<>();
		for (String entry : text.split(";")) {
			if (entry.isBlank()) {
				continue;
			}
			String[] parts = entry.trim().split("\\s+");
			if (parts.length < 3 || parts.length > 4) {
				throw new IllegalArgumentException(BUDGETS + ", was '" + entry.trim() + "'");
			}
			Map<String, Object> value = new LinkedHashMap<>();
			value.put("unit", parts[0]);
			value.put("limit", parts[1]);
			value.put("per", parts[2]);
			if (parts.length == 4) {
				value.put("warnAt", parts[3]);
			}
			values.add(value);
		}
		return values;
	}

	private static @Nullable List<Budget> budgets(@Nullable Object given) {
		if (given == null) {
			return null;
		}
		List<?> values;
		if (given instanceof String text) {
			values = parse(text);
		}
		else if (given instanceof List<?> list) {
			values = list;
		}
		else {
			throw new IllegalArgumentException(BUDGETS + ", was '" + given + "'");
		}
		List<Budget> budgets = new ArrayList<>(values.size());
		for (int i = 0; i < values.size(); i++) {
			String name = "budgets[" + i + "]";
			if (!(values.get(i) instanceof Map<?, ?> value)) {
				throw new IllegalArgumentException(name + " must be an object with unit, limit, per and optionally"
						+ " warnAt, was '" + values.get(i) + "'");
			}
			try {
				Object unit = value.get("unit");
				Object limit = value.get("limit");
				Object per = value.get("per");
				if (unit == null || limit == null || per == null) {
					throw new IllegalArgumentException("unit, limit and per must be given");
				}
				Budget.Builder builder = Budget.builder(BudgetUnit.parse(unit.toString()))
					.limit(limit.toString())
					.per(per.toString());
				Object warnAt = (value.get("warnAt") != null) ? value.get("warnAt") : value.get("warn-at");
				if (warnAt != null) {
					builder.warnAt(warnAt.toString());
				}
				budgets.add(builder.build());
			}
			catch (IllegalArgumentException ex) {
				throw new IllegalArgumentException(name + ": " + ex.getMessage(), ex);
			}
		}
		return budgets;
	}

	/**
	 * The allowed actions as names; the builder checks each one and names it in its message.
	 */
	private static @Nullable List<String> actions(@Nullable Object given) {
		if (given == null) {
			return null;
		}
		List<String> names = new ArrayList<>();
		if (given instanceof String text) {
			for (String name : text.split(",", -1)) {
				if (!name.isBlank() || text.contains(",")) {
					names.add(name.strip());
				}
			}
		}
		else if (given instanceof List<?> list) {
			for (Object name : list) {
				names.add((name != null) ? name.toString() : null);
			}
		}
		else {
			throw new IllegalArgumentException("allowedActions must be a list of action names or a text of names"
					+ " separated by commas such as 'api-call, tool:search', was '" + given + "'");
		}
		return names;
	}

	private <T> @Nullable T convert(String name, @Nullable String value, Class<T> type, String expected) {
		if (value == null) {
			return null;
		}
		T converted;
		try {
			converted = this.conversionService.convert(value, type);
		}
		catch (ConversionException ex) {
			converted = null;
		}
		// An empty value converts to null; a key given with no value is refused rather than ignored.
		if (converted == null) {
			throw new IllegalArgumentException(name + " must be " + expected + ", was '" + value + "'");
		}
		return converted;
	}

	/**
	 * Description of every agent's quota and use, with budgets shown flat.
	 *
	 * @param agents the snapshots' fields, by agent id
	 */
	public record AgentsDescriptor(Map<String, Map<String, @Nullable Object>> agents) implements OperationResponseBody {

	}

	private static WebEndpointResponse<Object> problem(HttpStatus status, String agent, @Nullable String detail) {
		ProblemDetail problem = ProblemDetail.forStatusAndDetail(status, detail);
		problem.setProperty("agent", agent);
		return new WebEndpointResponse<>(problem, status.value(), PROBLEM_JSON);
	}

}
