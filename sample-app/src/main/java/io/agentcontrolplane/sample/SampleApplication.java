package io.agentcontrolplane.sample;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.ConfigurationPropertiesScan;
import org.springframework.context.annotation.Bean;

/**
 * A small REST API where named agents think under their quotas: each agent is a Spring AI
 * {@code ChatClient} over a {@link SimulatedChatModel}, with the agent's quota applied by the
 * {@code AgentQuotaAdvisor} to its model requests and tool calls.
 */
@SpringBootApplication
@ConfigurationPropertiesScan
public class SampleApplication {

	/**
	 * Start the sample app.
	 * @param args command-line arguments
	 */
	public static void main(String[] args) {
		SpringApplication.run(SampleApplication.class, args);
	}

	/**
	 * The latency of the simulated model: it sleeps.
	 * @return the latency
	 */
	@Bean
	ModelLatency modelLatency() {
		return ModelLatency.sleeping();
	}

	/**
	 * The model the agents' {@code ChatClient}s call.
	 * @param settings the model's latency range and seed
	 * @param latency how it spends its latency
	 * @return the simulated model
	 */
	@Bean
	SimulatedChatModel simulatedChatModel(SimulatedChatModel.Settings settings, ModelLatency latency) {
		return new SimulatedChatModel(settings, latency);
	}

}
