package dev.mcdropout.evaluation;

import dev.mcdropout.evaluation.EvaluationDtos.EvaluationView;
import dev.mcdropout.evaluation.EvaluationDtos.ModelRef;
import dev.mcdropout.models.LoadedModel;
import dev.mcdropout.models.ModelRegistry;
import dev.mcdropout.nn.Network;
import dev.mcdropout.nn.metrics.EvaluationReport;
import dev.mcdropout.nn.metrics.Evaluator;
import dev.mcdropout.system.EvaluationProperties;
import dev.mcdropout.nn.PredictionStoppedException;
import dev.mcdropout.nn.RowMatrix;
import dev.mcdropout.training.ParsedRows;
import dev.mcdropout.system.ClientDisconnects;
import dev.mcdropout.system.McDropoutMetrics;
import dev.mcdropout.system.ProblemException;
import dev.mcdropout.system.RequestIdFilter;
import jakarta.servlet.http.HttpServletRequest;
import java.util.function.BooleanSupplier;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;
import dev.mcdropout.training.CsvDatasetReader;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Semaphore;
import org.springframework.http.HttpStatus;

/**
 * Checks an evaluation request against the model and {@code mcdropout.evaluation.*}, runs it (synchronously, at
 * most {@code max-concurrent} at once) and keeps the newest {@code retained} results for their plot URLs.
 *
 * <p>An evaluation is stopped like a prediction ({@code PredictService#admitted}): when its deadline
 * ({@code mcdropout.evaluation.deadline} from the request's arrival) passes, it answers 503
 * {@code deadline-exceeded} with Retry-After; when its client hangs up ({@link ClientDisconnects}), its work
 * stops (and the 503 {@code client-disconnected} goes to nobody). The engine asks the stop signal between
 * samples and matrix products, so the slot is given back within one product of it.
 */
public class EvaluationService {

    private static final long MAX_DRAWN_SEED = 1L << 53;

    private final ModelRegistry registry;
    private final Evaluator evaluator;
    private final EvaluationProperties properties;
    private final Clock clock;
    private final Semaphore admission;
    private final SecureRandom seeds = new SecureRandom();
    private final Map<String, Stored> recent = new LinkedHashMap<>(16, 0.75f, false) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Stored> eldest) {
            return size() > properties.retained();
        }
    };

    /** An evaluation kept for its plots. */
    record Stored(EvaluationView view, EvaluationReport report) {
    }

    /** What a client sent, before it is checked against the model. */
    record Input(ParsedRows features, List<String> labels, ParsedRows ood, String featuresField, String labelsField,
                 String oodField) {
    }

    /** Retry-After of the 503s: too many evaluations running, or this one stopped. */
    static final Duration RETRY_AFTER = Duration.ofSeconds(5);

    private final ClientDisconnects disconnects;
    private final McDropoutMetrics metrics;

    public EvaluationService(ModelRegistry registry, Evaluator evaluator, EvaluationProperties properties, Clock clock,
                             ClientDisconnects disconnects, McDropoutMetrics metrics) {
        this.registry = registry;
        this.evaluator = evaluator;
        this.properties = properties;
        this.clock = clock;
        this.disconnects = disconnects;
        this.metrics = metrics;
        this.admission = new Semaphore(properties.maxConcurrent());
        metrics.evaluationGauge(() -> properties.maxConcurrent() - admission.availablePermits());
    }

    EvaluationView evaluate(String name, int version, Input input, Integer mcSamplesParam, Long seedParam,
                            Double targetAccuracy) {
        LoadedModel model = registry.resolve(name, version);
        Network network = model.network();
        int mcSamples = mcSamplesParam == null ? properties.defaultMcSamples() : mcSamplesParam;
        if (mcSamples < 1 || mcSamples > properties.maxMcSamples()) {
            throw problem(HttpStatus.BAD_REQUEST, "invalid-parameter", "Invalid parameter",
                    "mcSamples must be between 1 and " + properties.maxMcSamples()
                            + " (mcdropout.evaluation.max-mc-samples) for an evaluation, got " + mcSamples,
                    "mcSamples", "mcdropout.evaluation.max-mc-samples");
        }
        if (targetAccuracy != null && !(targetAccuracy > 0 && targetAccuracy <= 1)) {
            throw problem(HttpStatus.BAD_REQUEST, "invalid-parameter", "Invalid parameter",
                    "targetAccuracy must be in (0, 1], got " + targetAccuracy, "targetAccuracy");
        }
        RowMatrix rows = rows(input.features(), input.featuresField(), network.inputs(), false);
        int[] labels = labels(input.labels(), rows.rows(), input.labelsField(), network.classes());
        RowMatrix ood = input.ood() == null ? null : rows(input.ood(), input.oodField(), network.inputs(), true);
        long passes = (long) (rows.rows() + (ood == null ? 0 : ood.rows())) * mcSamples;
        if (passes > properties.maxRowSamples()) {
            throw problem(HttpStatus.BAD_REQUEST, "limit-exceeded", "Request exceeds a limit",
                    "(" + rows.rows() + " rows + " + (ood == null ? 0 : ood.rows()) + " OOD rows) x " + mcSamples
                            + " mcSamples = " + passes + " passes, more than the " + properties.maxRowSamples()
                            + " allowed (limit mcdropout.evaluation.max-row-samples); send fewer rows or fewer mcSamples",
                    "mcSamples", "mcdropout.evaluation.max-row-samples");
        }
        long seed = seedParam != null ? seedParam : seeds.nextLong(MAX_DRAWN_SEED);
        HttpServletRequest request = currentRequest();
        long deadline = arrival(request) + properties.deadline().toNanos();
        EvaluationReport report;
        try (ClientDisconnects.Watch watch = disconnects.watch(request)) {
            if (!admission.tryAcquire()) {
                throw new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, "busy", "Service busy",
                        properties.maxConcurrent() + " evaluations are running (mcdropout.evaluation.max-concurrent); "
                                + "retry shortly").retryAfter(RETRY_AFTER);
            }
            try {
                BooleanSupplier stop = () -> watch.clientGone() || System.nanoTime() - deadline > 0;
                if (stop.getAsBoolean()) {
                    throw stopped(watch.clientGone() ? "disconnected" : "deadline");
                }
                try {
                    report = evaluator.evaluate(network, rows, labels, ood, mcSamples, seed, targetAccuracy, stop);
                } catch (PredictionStoppedException e) {
                    throw stopped(watch.clientGone() ? "disconnected" : "deadline");
                }
            } finally {
                admission.release();
            }
        }
        String id = UUID.randomUUID().toString();
        EvaluationView view = EvaluationView.of(id, new ModelRef(model.name(), model.version()), report, clock.instant());
        synchronized (recent) {
            recent.put(id, new Stored(view, report));
        }
        return view;
    }

    /** The work was stopped: its deadline passed, or its client went away (then nobody reads the answer). */
    private ProblemException stopped(String reason) {
        metrics.evaluationStopped(reason);
        if ("disconnected".equals(reason)) {
            return ProblemException.retryLater(HttpStatus.SERVICE_UNAVAILABLE, "client-disconnected",
                    "Client disconnected", "the client closed the connection; the evaluation was stopped",
                    RETRY_AFTER);
        }
        return ProblemException.retryLater(HttpStatus.SERVICE_UNAVAILABLE, "deadline-exceeded", "Deadline exceeded",
                "the evaluation did not finish within " + properties.deadline().toMillis() + " ms of its arrival "
                        + "(mcdropout.evaluation.deadline) and was stopped; send fewer rows or mcSamples, or retry "
                        + "when the service is less busy", RETRY_AFTER);
    }

    private static HttpServletRequest currentRequest() {
        return RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes attributes
                ? attributes.getRequest() : null;
    }

    /** When the request reached the application ({@link RequestIdFilter}), or now outside a request. */
    private static long arrival(HttpServletRequest request) {
        Object arrival = request == null ? null : request.getAttribute(RequestIdFilter.ARRIVAL);
        return arrival instanceof Long nanos ? nanos : System.nanoTime();
    }

    Optional<Stored> find(String id) {
        synchronized (recent) {
            return Optional.ofNullable(recent.get(id));
        }
    }

    /**
     * The rows, checked in order as they were when they arrived as {@code double[][]}: none, too many, then per row
     * its width and its numbers. Rows past the problem row ({@link ParsedRows}) were not kept; the check stops
     * there at the latest.
     */
    private RowMatrix rows(ParsedRows features, String field, int inputs, boolean ood) {
        if (features == null || features.rows() == 0) {
            throw problem(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-dataset", "Invalid data set",
                    (ood ? "the out-of-distribution set" : "the data set") + " has no rows; send at least one row of "
                            + inputs + " numbers", field);
        }
        if (features.rows() > properties.maxRows()) {
            throw problem(HttpStatus.CONTENT_TOO_LARGE, "limit-exceeded", "Request exceeds a limit",
                    field + " has " + features.rows() + " rows, more than the " + properties.maxRows()
                            + " allowed (limit mcdropout.evaluation.max-rows)", field, "mcdropout.evaluation.max-rows");
        }
        for (int i = 0; i < features.rows(); i++) {
            int width = features.width(i);
            if (width != inputs) {
                throw problem(HttpStatus.UNPROCESSABLE_CONTENT, "feature-count-mismatch", "Rows do not fit the model",
                        field + "[" + i + "] has " + (width < 0 ? "no" : Integer.toString(width))
                                + " features, the model expects " + inputs, field + "[" + i + "]");
            }
            for (int j = 0; j < width; j++) {
                if (!Double.isFinite(features.get(i, j))) {
                    throw problem(HttpStatus.BAD_REQUEST, "invalid-number", "Invalid number",
                            field + "[" + i + "] holds a value that is not a finite number", field + "[" + i + "]");
                }
            }
        }
        return features.matrix();
    }

    private static int[] labels(List<String> labels, int rows, String field, List<String> classes) {
        if (labels == null || labels.size() != rows) {
            throw problem(HttpStatus.UNPROCESSABLE_CONTENT, "invalid-dataset", "Invalid data set",
                    "the data set has " + rows + " rows but " + (labels == null ? 0 : labels.size())
                            + " labels; give one label per row", field);
        }
        Map<String, Integer> index = new HashMap<>();
        for (int c = 0; c < classes.size(); c++) {
            index.put(classes.get(c), c);
        }
        int[] ids = new int[rows];
        for (int i = 0; i < rows; i++) {
            Integer id = labels.get(i) == null ? null : index.get(labels.get(i));
            if (id == null) {
                String shown = classes.size() <= 20 ? classes.toString() : classes.subList(0, 20) + "...";
                throw problem(HttpStatus.UNPROCESSABLE_CONTENT, "unknown-label", "Label unknown to the model",
                        field + "[" + i + "] is " + (labels.get(i) == null ? "null"
                                : "'" + CsvDatasetReader.abbreviate(labels.get(i)) + "'")
                                + ", which is not one of the model's classes " + shown, field + "[" + i + "]");
            }
            ids[i] = id;
        }
        return ids;
    }

    static ProblemException problem(HttpStatus status, String type, String title, String detail, String... fields) {
        return new ProblemException(status, type, title, detail, new ArrayList<>(List.of(fields)));
    }
}
