package dev.mcdropout.system;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.bytedeco.javacpp.Pointer;
import org.springframework.stereotype.Component;

/**
 * The service's own meters, all under {@code mcdropout.}. Entropy and mutual information are recorded per
 * predicted row and per model, with fixed buckets, so a shift in how unsure the model is (data drift) can be
 * alerted on from Prometheus.
 */
@Component
public class McDropoutMetrics {

    /** Buckets in nats: log(10) = 2.30 is the most a 10-class prediction can carry. */
    private static final double[] NATS = {0.01, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0};

    private final MeterRegistry registry;

    /**
     * The per-request meters of each model, registered on first use and then only looked up here: building a
     * meter and registering it (which finds the existing one) costs a tag sort, an id and a registry lookup,
     * four to five times per request (docs/performance.md, "Where a request's time goes"). Bounded by the
     * models that ever answered, as the registry's own meters are.
     */
    private final Map<String, PredictMeters> predictMeters = new ConcurrentHashMap<>();

    public McDropoutMetrics(MeterRegistry registry) {
        this.registry = registry;
        registerNativeMemory();
    }

    /** {@code outcome}: success, client_error or server_error. */
    public void recordPredictLatency(String model, String outcome, long nanos) {
        meters(model).latency(outcome).record(nanos, TimeUnit.NANOSECONDS);
    }

    public void recordRequestShape(String model, int rows, int mcSamples) {
        PredictMeters meters = meters(model);
        meters.rows().record(rows);
        meters.mcSamples().record(mcSamples);
    }

    public DistributionSummary predictiveEntropy(String model) {
        return meters(model).predictiveEntropy();
    }

    public DistributionSummary mutualInformation(String model) {
        return meters(model).mutualInformation();
    }

    private PredictMeters meters(String model) {
        PredictMeters meters = predictMeters.get(model);
        return meters != null ? meters : predictMeters.computeIfAbsent(model, this::registerPredictMeters);
    }

    private PredictMeters registerPredictMeters(String model) {
        return new PredictMeters(
                DistributionSummary.builder("mcdropout.predict.rows")
                        .description("Rows per prediction request").tag("model", model)
                        .serviceLevelObjectives(1, 10, 100, 1000, 10000)
                        .register(registry),
                DistributionSummary.builder("mcdropout.predict.mc.samples")
                        .description("Monte Carlo samples per prediction request").tag("model", model)
                        .serviceLevelObjectives(1, 10, 100, 1000, 10000)
                        .register(registry),
                DistributionSummary.builder("mcdropout.predict.predictive.entropy")
                        .description("Predictive entropy per predicted row (nats)").baseUnit("nats")
                        .tag("model", model)
                        .serviceLevelObjectives(NATS)
                        .register(registry),
                DistributionSummary.builder("mcdropout.predict.mutual.information")
                        .description("Mutual information (epistemic uncertainty) per predicted row (nats)")
                        .baseUnit("nats").tag("model", model)
                        .serviceLevelObjectives(NATS)
                        .register(registry),
                new ConcurrentHashMap<>(4),
                model);
    }

    /** One model's prediction meters; latency timers per outcome, registered on first use. */
    private final class PredictMeters {
        private final DistributionSummary rows;
        private final DistributionSummary mcSamples;
        private final DistributionSummary predictiveEntropy;
        private final DistributionSummary mutualInformation;
        private final Map<String, Timer> latency;
        private final String model;

        PredictMeters(DistributionSummary rows, DistributionSummary mcSamples, DistributionSummary predictiveEntropy,
                      DistributionSummary mutualInformation, Map<String, Timer> latency, String model) {
            this.rows = rows;
            this.mcSamples = mcSamples;
            this.predictiveEntropy = predictiveEntropy;
            this.mutualInformation = mutualInformation;
            this.latency = latency;
            this.model = model;
        }

        DistributionSummary rows() {
            return rows;
        }

        DistributionSummary mcSamples() {
            return mcSamples;
        }

        DistributionSummary predictiveEntropy() {
            return predictiveEntropy;
        }

        DistributionSummary mutualInformation() {
            return mutualInformation;
        }

        Timer latency(String outcome) {
            Timer timer = latency.get(outcome);
            return timer != null ? timer : latency.computeIfAbsent(outcome, o -> Timer.builder("mcdropout.predict.latency")
                    .description("Time to answer POST /predict")
                    .tag("model", model)
                    .tag("outcome", o)
                    .publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofMillis(1))
                    .maximumExpectedValue(Duration.ofSeconds(60))
                    .register(registry));
        }
    }

    /** Predictions running (admitted) and waiting for admission, read live. */
    public void predictAdmissionGauges(Supplier<Number> running, Supplier<Number> waiting) {
        Gauge.builder("mcdropout.predict.in.flight", running)
                .description("Predictions admitted and computing").strongReference(true).register(registry);
        Gauge.builder("mcdropout.predict.queued", waiting)
                .description("Predictions waiting for admission").strongReference(true).register(registry);
    }

    /** A prediction refused with a 503 before it ran: {@code queue_full} or {@code queue_timeout}. */
    public void predictRejected(String reason) {
        Counter.builder("mcdropout.predict.rejected")
                .description("Predictions refused with 503 busy before they ran")
                .tag("reason", reason).register(registry).increment();
    }

    /** Evaluations admitted and computing, read live. */
    public void evaluationGauge(Supplier<Number> running) {
        Gauge.builder("mcdropout.evaluation.in.flight", running)
                .description("Evaluations admitted and computing").strongReference(true).register(registry);
    }

    /** An evaluation whose work was stopped: {@code deadline} passed, or the client {@code disconnected}. */
    public void evaluationStopped(String reason) {
        Counter.builder("mcdropout.evaluation.stopped")
                .description("Evaluations stopped before they finished: deadline passed or client disconnected")
                .tag("reason", reason).register(registry).increment();
    }

    /** A prediction whose work was stopped: {@code deadline} passed, or the client {@code disconnected}. */
    public void predictStopped(String reason) {
        Counter.builder("mcdropout.predict.stopped")
                .description("Predictions stopped before they finished: deadline passed or client disconnected")
                .tag("reason", reason).register(registry).increment();
    }

    /** An active version swapped in because another process sharing the store moved the pointer. */
    public void recordReload(String model) {
        reloads(model).increment();
    }

    /** A version that is not active read from the store on demand (a pinned prediction or a version's metadata). */
    public void recordLoad(String model) {
        Counter.builder("mcdropout.model.loads")
                .description("Model versions read from the store on demand (pinned, not cached)")
                .tag("model", model)
                .register(registry)
                .increment();
    }

    private Counter reloads(String model) {
        return Counter.builder("mcdropout.model.reloads")
                .description("Active versions swapped in by the store rescan (another replica changed the active pointer)")
                .tag("model", model)
                .register(registry);
    }

    /**
     * Memory the process really holds (resident set) and what JavaCPP has allocated off the heap for ND4J's
     * arrays: the heap gauges alone miss most of what a container's limit counts.
     */
    public void registerNativeMemory() {
        Gauge.builder("mcdropout.process.memory.resident", Pointer::physicalBytes)
                .description("Resident memory of the whole process (JavaCPP's reading of the OS)")
                .baseUnit("bytes").strongReference(true).register(registry);
        Gauge.builder("mcdropout.native.memory.allocated", Pointer::totalBytes)
                .description("Off-heap bytes JavaCPP has allocated (ND4J array data)")
                .baseUnit("bytes").strongReference(true).register(registry);
        Gauge.builder("mcdropout.native.memory.max", Pointer::maxBytes)
                .description("JavaCPP's off-heap limit (org.bytedeco.javacpp.maxbytes)")
                .baseUnit("bytes").strongReference(true).register(registry);
    }

    /** Registers once per model; the supplier reads the live value (0 when none is active). */
    public void activeVersionGauge(String model, Supplier<Number> version) {
        Gauge.builder("mcdropout.model.active.version", version)
                .description("Active version of the model (0 when none)")
                .tag("model", model)
                .strongReference(true)
                .register(registry);
        // From 0, so that rate() and increase() see the first reload.
        reloads(model);
    }
}
