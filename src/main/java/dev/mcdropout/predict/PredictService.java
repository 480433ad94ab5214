package dev.mcdropout.predict;

import dev.mcdropout.models.LoadedModel;
import dev.mcdropout.models.ModelRegistry;
import dev.mcdropout.nn.AdaptiveSampling;
import dev.mcdropout.nn.AdaptiveUncertainty;
import dev.mcdropout.nn.InputOutOfRangeException;
import dev.mcdropout.nn.MonteCarloPredictor;
import dev.mcdropout.nn.Network;
import dev.mcdropout.nn.NonFiniteResultException;
import dev.mcdropout.nn.PredictionStoppedException;
import dev.mcdropout.nn.RowMatrix;
import dev.mcdropout.nn.Uncertainty;
import dev.mcdropout.predict.PredictDtos.Adaptive;
import dev.mcdropout.predict.PredictDtos.ModelRef;
import dev.mcdropout.predict.PredictDtos.Prediction;
import dev.mcdropout.predict.PredictDtos.PredictResponse;
import dev.mcdropout.system.McDropoutMetrics;
import dev.mcdropout.system.McDropoutProperties;
import dev.mcdropout.system.ClientDisconnects;
import dev.mcdropout.system.ProblemException;
import dev.mcdropout.system.InFlightRequests;
import dev.mcdropout.system.RequestIdFilter;
import jakarta.servlet.http.HttpServletRequest;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import java.util.function.Supplier;
import org.springframework.web.context.request.RequestContextHolder;
import org.springframework.web.context.request.ServletRequestAttributes;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PushbackInputStream;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.http.server.ServletServerHttpRequest;
import org.springframework.stereotype.Service;
import org.springframework.util.NumberUtils;
import org.springframework.util.StringUtils;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.JacksonIOException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Checks a prediction request against the limits and the model, then hands it to the engine. The model is
 * read once from the registry, so an activation during the request does not change who answers it.
 */
@Service
public class PredictService {

    private static final Logger log = LoggerFactory.getLogger(PredictService.class);

    /** Seeds drawn for the client stay below 2^53 so that JavaScript clients can send them back exactly. */
    private static final long MAX_DRAWN_SEED = 1L << 53;

    /** The value of {@code mcSamples} that asks for adaptive sampling. */
    public static final String AUTO = "auto";

    /**
     * Bounds of {@code tolerance} (written out in its problem's detail): below the lower one every row would run
     * to maxSamples anyway, above the upper one every row stops at minSamples.
     */
    static final double MIN_TOLERANCE = 1e-4;
    static final double MAX_TOLERANCE = 0.5;

    private final ModelRegistry registry;
    private final MonteCarloPredictor predictor;
    private final PredictBatcher batcher;
    private final McDropoutProperties properties;
    private final McDropoutMetrics metrics;
    private final Semaphore admission;
    private final AtomicInteger waiting = new AtomicInteger();
    private final ClientDisconnects disconnects;
    private final SecureRandom seeds = new SecureRandom();
    private final JsonMapper json;

    public PredictService(ModelRegistry registry, MonteCarloPredictor predictor, McDropoutProperties properties,
                          McDropoutMetrics metrics, JsonMapper json, ClientDisconnects disconnects,
                          PredictBatchProperties batching, MeterRegistry meters, InFlightRequests inFlight) {
        this.json = json;
        this.disconnects = disconnects;
        this.registry = registry;
        this.predictor = predictor;
        this.properties = properties;
        this.metrics = metrics;
        this.admission = new Semaphore(properties.predict().maxConcurrent(), true);
        int slots = properties.predict().maxConcurrent();
        // A batch stops waiting for others once every admitted prediction has joined it.
        this.batcher = new PredictBatcher(predictor, batching, meters, () -> slots - admission.availablePermits(),
                inFlight::current, predictor.threads());
        metrics.predictAdmissionGauges(() -> slots - admission.availablePermits(), waiting::get);
    }

    /** A parsed {@code model} parameter: {@code name} or {@code name:version}. */
    public record ModelSelector(String name, Integer version) {

        public static ModelSelector parse(String text, String defaultModel) {
            if (text == null || text.isEmpty()) {
                return new ModelSelector(defaultModel, null);
            }
            int colon = text.indexOf(':');
            if (colon < 0) {
                return new ModelSelector(text, null);
            }
            String name = text.substring(0, colon);
            String version = text.substring(colon + 1);
            if (!version.matches("[1-9][0-9]{0,8}")) {
                throw ProblemException.badRequest("invalid-parameter", "Invalid parameter",
                        "parameter 'model' must be NAME or NAME:VERSION with a positive version, got '"
                                + (text.length() > 80 ? text.substring(0, 80) + "..." : text) + "'");
            }
            return new ModelSelector(name, Integer.parseInt(version));
        }
    }

    public LoadedModel resolve(ModelSelector selector) {
        return registry.resolve(selector.name(), selector.version());
    }

    /** 400 for an mcSamples that is negative or over {@code max-mc-samples}; checked before anything waits. */
    public int mcSamples(Integer mcSamplesParam) {
        int mcSamples = mcSamplesParam == null ? 0 : mcSamplesParam;
        McDropoutProperties.Limits limits = properties.limits();
        if (mcSamples < 0) {
            throw ProblemException.badRequest("invalid-parameter", "Invalid parameter",
                    "mcSamples must be 0 (one deterministic pass) or a positive number of passes, got " + mcSamples);
        }
        if (mcSamples > limits.maxMcSamples()) {
            throw ProblemException.limit(HttpStatus.BAD_REQUEST, "max-mc-samples",
                    "mcSamples is " + mcSamples + ", more than the " + limits.maxMcSamples() + " allowed");
        }
        return mcSamples;
    }

    /**
     * How a request samples: {@code mcSamples} fixed passes, or adaptively ({@code adaptive} not null,
     * {@code mcSamples=auto}).
     */
    public record Sampling(int mcSamples, AdaptiveSampling adaptive) {

        /** The most passes a row may take: what the row limits are budgeted by. */
        public int budget() {
            return adaptive == null ? mcSamples : adaptive.maxSamples();
        }
    }

    /**
     * The query parameters {@code mcSamples}, {@code tolerance}, {@code minSamples} and {@code maxSamples} as a
     * {@link Sampling}, or a 400 naming the parameter; checked before anything waits. {@code mcSamples} is an
     * integer (read as the framework reads an integer parameter) or {@code auto}; absent, it is {@code auto} when
     * one of the other three is given and one deterministic pass otherwise. The other three belong to
     * {@code auto} only.
     */
    public Sampling sampling(String mcSamplesParam, Double tolerance, Integer minSamples, Integer maxSamples) {
        // Empty is absent and a number is read by NumberUtils, exactly as the framework reads an Integer parameter.
        boolean absent = mcSamplesParam == null || mcSamplesParam.isEmpty();
        boolean tuned = tolerance != null || minSamples != null || maxSamples != null;
        if ((!absent && StringUtils.trimAllWhitespace(mcSamplesParam).equals(AUTO)) || (absent && tuned)) {
            return new Sampling(0, adaptive(tolerance, minSamples, maxSamples));
        }
        Integer fixed = null;
        if (!absent) {
            try {
                fixed = NumberUtils.parseNumber(mcSamplesParam, Integer.class);
            } catch (IllegalArgumentException e) {
                throw invalidParameter("mcSamples", "parameter 'mcSamples' must be an integer or auto, got '"
                        + abbreviate(mcSamplesParam) + "'");
            }
        }
        if (tuned) {
            String name = tolerance != null ? "tolerance" : minSamples != null ? "minSamples" : "maxSamples";
            throw invalidParameter(name, "parameter '" + name + "' applies only with mcSamples=auto; mcSamples is "
                    + fixed);
        }
        return new Sampling(mcSamples(fixed), null);
    }

    /** {@code mcSamples=auto}'s settings, each absent one at its default, every one bounded. */
    private AdaptiveSampling adaptive(Double tolerance, Integer minSamples, Integer maxSamples) {
        int maxAllowed = properties.limits().maxMcSamples();
        double tol = tolerance == null ? AdaptiveSampling.DEFAULT_TOLERANCE : tolerance;
        if (!(tol >= MIN_TOLERANCE && tol <= MAX_TOLERANCE)) {
            throw invalidParameter("tolerance", "parameter 'tolerance' is the standard error of a mean probability "
                    + "at which a row stops, from 0.0001 to 0.5, got " + tolerance);
        }
        if (minSamples != null && (minSamples < 2 || minSamples > maxAllowed)) {
            throw invalidParameter("minSamples", "parameter 'minSamples' must be from 2 (a standard error needs two "
                    + "passes) to " + maxAllowed + ", got " + minSamples);
        }
        if (maxSamples != null && maxSamples < 2) {
            throw invalidParameter("maxSamples", "parameter 'maxSamples' must be from 2 to " + maxAllowed + ", got "
                    + maxSamples);
        }
        if (maxSamples != null && maxSamples > maxAllowed) {
            throw ProblemException.limit(HttpStatus.BAD_REQUEST, "max-mc-samples",
                    "maxSamples is " + maxSamples + ", more than the " + maxAllowed + " allowed");
        }
        // An absent bound follows the other one where the default would contradict it.
        int max = maxSamples != null ? maxSamples
                : Math.min(maxAllowed, Math.max(AdaptiveSampling.DEFAULT_MAX_SAMPLES, minSamples == null ? 0 : minSamples));
        int min = minSamples != null ? minSamples : Math.min(AdaptiveSampling.DEFAULT_MIN_SAMPLES, max);
        if (max < 2) {
            throw ProblemException.limit(HttpStatus.BAD_REQUEST, "max-mc-samples",
                    "mcSamples=auto needs at least 2 passes a row, and only " + maxAllowed + " are allowed");
        }
        if (min > max) {
            throw new ProblemException(HttpStatus.BAD_REQUEST, "invalid-parameter", "Invalid parameter",
                    "parameter 'minSamples' (" + min + ") must not exceed 'maxSamples' (" + max + ")",
                    List.of("minSamples", "maxSamples"));
        }
        return new AdaptiveSampling(tol, min, max);
    }

    private static ProblemException invalidParameter(String name, String detail) {
        return new ProblemException(HttpStatus.BAD_REQUEST, "invalid-parameter", "Invalid parameter", detail,
                List.of(name));
    }

    private static String abbreviate(String s) {
        return s.length() <= 200 ? s : s.substring(0, 200) + "...";
    }

    /**
     * Rows a request with {@code mcSamples} passes may bring: {@code max-rows}, or fewer where rows x mcSamples
     * reaches {@code max-row-samples} first. A parser keeps no more than this many.
     */
    public int rowsAllowed(int mcSamples) {
        McDropoutProperties.Limits limits = properties.limits();
        return (int) Math.max(1, Math.min(limits.maxRows(), limits.maxRowSamples() / Math.max(1, mcSamples)));
    }

    /**
     * Reads the JSON body of {@code POST /predict} for {@code model}: {@code instances} straight into one
     * block, bounded while parsing by the model's width and {@link #rowsAllowed}. Call it once admitted
     * ({@link #admitted}): the block is memory the admission accounts for. A body that is not valid JSON is
     * an {@link HttpMessageNotReadableException}, answered as the framework's own binding would be.
     */
    public ParsedInstances readInstances(HttpServletRequest request, LoadedModel model, int mcSamples) {
        RowLimits rowLimits = new RowLimits(model.network().inputs(), rowsAllowed(mcSamples));
        ServletServerHttpRequest message = new ServletServerHttpRequest(request);
        int declared = request.getContentLength();
        if (declared > 0 && declared <= FastInstancesParser.MAX_BODY) {
            return readSmallBody(request, declared, rowLimits, message);
        }
        try {
            PushbackInputStream in = new PushbackInputStream(request.getInputStream(), 1);
            int first = in.read();
            if (first < 0) {
                throw new HttpMessageNotReadableException("Required request body is missing", message);
            }
            in.unread(first);
            PredictBody body = json.readerFor(PredictBody.class).withAttribute(RowLimits.class, rowLimits).readValue(in);
            if (body == null) {
                // a JSON null, as the framework's required @RequestBody took it
                throw new HttpMessageNotReadableException("Required request body is missing", message);
            }
            return body.instances();
        } catch (JacksonException e) {
            throw new HttpMessageNotReadableException("JSON parse error: " + e.getOriginalMessage(), e, message);
        } catch (IOException e) {
            throw new HttpMessageNotReadableException("I/O error while reading the body: " + e.getMessage(), e, message);
        }
    }

    /**
     * A body of known, small length: read whole, then parsed by {@link FastInstancesParser}, or by Jackson
     * from the same bytes where that parser leaves the decision to it (so every error reads as before).
     */
    private ParsedInstances readSmallBody(HttpServletRequest request, int length, RowLimits rowLimits,
                                          ServletServerHttpRequest message) {
        byte[] body;
        try {
            body = readFully(request.getInputStream(), length);
        } catch (IOException e) {
            // as Jackson reports a read that fails under it
            JacksonException wrapped = JacksonIOException.construct(e);
            throw new HttpMessageNotReadableException("JSON parse error: " + wrapped.getOriginalMessage(), wrapped,
                    message);
        }
        if (body.length == 0) {
            throw new HttpMessageNotReadableException("Required request body is missing", message);
        }
        ParsedInstances fast = FastInstancesParser.parse(body, body.length, rowLimits);
        if (fast != null) {
            return fast;
        }
        try {
            PredictBody parsed = json.readerFor(PredictBody.class).withAttribute(RowLimits.class, rowLimits)
                    .readValue(new ByteArrayInputStream(body));
            if (parsed == null) {
                throw new HttpMessageNotReadableException("Required request body is missing", message);
            }
            return parsed.instances();
        } catch (JacksonException e) {
            throw new HttpMessageNotReadableException("JSON parse error: " + e.getOriginalMessage(), e, message);
        }
    }

    /** Up to {@code length} bytes, fewer if the stream ends first (one array, no chunk list as readNBytes). */
    private static byte[] readFully(java.io.InputStream in, int length) throws IOException {
        byte[] body = new byte[length];
        int read = 0;
        // at most 8 KiB per read, as Jackson asks for them (docs/api.md, "Capacity")
        for (int n; read < length && (n = in.read(body, read, Math.min(8192, length - read))) >= 0; ) {
            read += n;
        }
        return read == length ? body : java.util.Arrays.copyOf(body, read);
    }

    /**
     * Checks parsed rows against the limits and the model, runs the engine (the caller holds an admission,
     * {@link #admitted}) and summarises each row.
     */
    public PredictResponse predict(LoadedModel model, ParsedInstances instances, int mcSamples, Long seedParam,
                                   boolean includeScores, BooleanSupplier stop) {
        McDropoutProperties.Limits limits = properties.limits();
        Network network = model.network();
        checkRows(instances, network.inputs(), limits);
        long rowSamples = (long) instances.rows() * Math.max(1, mcSamples);
        if (rowSamples > limits.maxRowSamples()) {
            throw ProblemException.limit(HttpStatus.BAD_REQUEST, "max-row-samples",
                    instances.rows() + " rows x " + mcSamples + " mcSamples = " + rowSamples + " passes over a row, more than the "
                            + limits.maxRowSamples() + " allowed per request; send fewer rows or fewer mcSamples");
        }
        // every row was kept: within max-rows and max-row-samples, the parser's bounds
        return predictRows(model, instances.matrix(), mcSamples, seedParam, includeScores, stop);
    }

    /**
     * As {@link #predict(LoadedModel, ParsedInstances, int, Long, boolean, BooleanSupplier)} for rows already checked against
     * the model (the Open Inference Protocol's tensor): the rows x mcSamples limit, then the engine.
     */
    public PredictResponse predictRows(LoadedModel model, RowMatrix rows, int mcSamples, Long seedParam,
                                       boolean includeScores, BooleanSupplier stop) {
        McDropoutProperties.Limits limits = properties.limits();
        Network network = model.network();
        long rowSamples = (long) rows.rows() * Math.max(1, mcSamples);
        if (rowSamples > limits.maxRowSamples()) {
            throw ProblemException.limit(HttpStatus.BAD_REQUEST, "max-row-samples",
                    rows.rows() + " rows x " + mcSamples + " mcSamples = " + rowSamples + " passes over a row, more than the "
                            + limits.maxRowSamples() + " allowed per request; send fewer rows or fewer mcSamples");
        }
        long seed = seedParam != null ? seedParam : seeds.nextLong(MAX_DRAWN_SEED);

        List<Uncertainty> results = engine(model, rows, mcSamples, seed, includeScores, stop);

        List<String> classes = network.classes();
        List<Prediction> predictions = new ArrayList<>(results.size());
        DistributionSummary entropy = metrics.predictiveEntropy(model.name());
        DistributionSummary mutualInformation = metrics.mutualInformation(model.name());
        for (Uncertainty u : results) {
            predictions.add(new Prediction(classes.get(u.predictedClass()), u.mean(), u.std(), u.predictiveEntropy(),
                    u.mutualInformation(), u.variationRatio(), includeScores ? u.scoresMean() : null,
                    includeScores ? u.scoresStd() : null, null, null));
            entropy.record(u.predictiveEntropy());
            mutualInformation.record(u.mutualInformation());
        }
        metrics.recordRequestShape(model.name(), rows.rows(), mcSamples);
        return new PredictResponse(new ModelRef(model.name(), model.version()), mcSamples, seed, classes, predictions,
                null);
    }

    /**
     * As {@link #predict(LoadedModel, ParsedInstances, int, Long, boolean, BooleanSupplier)} with
     * {@code mcSamples=auto}: rows are budgeted by {@code maxSamples}, each row is sampled until its standard
     * errors are below the tolerance ({@link MonteCarloPredictor#predictAdaptive}) and says how many passes it
     * took. The answer's {@code mcSamples} is the most passes any row took.
     */
    public PredictResponse predictAdaptive(LoadedModel model, ParsedInstances instances, AdaptiveSampling plan,
                                           Long seedParam, boolean includeScores, BooleanSupplier stop) {
        McDropoutProperties.Limits limits = properties.limits();
        Network network = model.network();
        checkRows(instances, network.inputs(), limits);
        long rowSamples = (long) instances.rows() * plan.maxSamples();
        if (rowSamples > limits.maxRowSamples()) {
            throw ProblemException.limit(HttpStatus.BAD_REQUEST, "max-row-samples",
                    instances.rows() + " rows x " + plan.maxSamples() + " maxSamples = " + rowSamples + " passes over a "
                            + "row at most, more than the " + limits.maxRowSamples() + " allowed per request; send "
                            + "fewer rows or a smaller maxSamples");
        }
        long seed = seedParam != null ? seedParam : seeds.nextLong(MAX_DRAWN_SEED);
        RowMatrix rows = instances.matrix();
        List<AdaptiveUncertainty> results = engine(model,
                () -> predictor.predictAdaptive(network, rows, plan, seed, includeScores, stop));

        List<String> classes = network.classes();
        List<Prediction> predictions = new ArrayList<>(results.size());
        DistributionSummary entropy = metrics.predictiveEntropy(model.name());
        DistributionSummary mutualInformation = metrics.mutualInformation(model.name());
        int most = 0;
        for (AdaptiveUncertainty a : results) {
            Uncertainty u = a.summary();
            predictions.add(new Prediction(classes.get(u.predictedClass()), u.mean(), u.std(), u.predictiveEntropy(),
                    u.mutualInformation(), u.variationRatio(), includeScores ? u.scoresMean() : null,
                    includeScores ? u.scoresStd() : null, a.samplesUsed(), a.standardError()));
            entropy.record(u.predictiveEntropy());
            mutualInformation.record(u.mutualInformation());
            most = Math.max(most, a.samplesUsed());
        }
        metrics.recordRequestShape(model.name(), rows.rows(), most);
        return new PredictResponse(new ModelRef(model.name(), model.version()), most, seed, classes, predictions,
                new Adaptive(plan.tolerance(), plan.minSamples(), plan.maxSamples()));
    }

    /** The engine's answer, or a problem: a value it cannot compute with, or a result that is not finite. */
    private List<Uncertainty> engine(LoadedModel model, RowMatrix rows, int mcSamples, long seed,
                                     boolean includeScores, BooleanSupplier stop) {
        return engine(model, () -> batcher.predict(model.network(), rows, mcSamples, seed, includeScores, stop));
    }

    private <T> T engine(LoadedModel model, Supplier<T> call) {
        try {
            return call.get();
        } catch (InputOutOfRangeException e) {
            String where = "instances[" + e.row() + "][" + e.feature() + "]";
            throw new ProblemException(HttpStatus.BAD_REQUEST, "invalid-number", "Invalid number",
                    where + ": " + e.getMessage(), List.of(where + ": " + e.getMessage()));
        } catch (NonFiniteResultException e) {
            // Never a 200 with NaN in it: the model itself overflows on this input.
            log.warn("model {} version {} produced a non-finite result: {}", model.name(), model.version(),
                    e.getMessage());
            throw new ProblemException(HttpStatus.INTERNAL_SERVER_ERROR, "non-finite-result",
                    "Non-finite result", "model " + model.name() + " version " + model.version()
                    + " computed a NaN or infinite value on this input (" + e.getMessage() + "); "
                    + "no answer is returned. The model's weights are too large for its data type: retrain "
                    + "or re-export it");
        }
    }

    private static void checkRows(ParsedInstances instances, int features, McDropoutProperties.Limits limits) {
        if (instances == null || instances.rows() == 0) {
            throw ProblemException.badRequest("invalid-instances", "No instances",
                    "send at least one row in \"instances\", e.g. {\"instances\": [[...]]} with " + features + " numbers per row");
        }
        if (instances.rows() > limits.maxRows()) {
            throw ProblemException.limit(HttpStatus.BAD_REQUEST, "max-rows",
                    "the request has " + instances.rows() + " rows, more than the " + limits.maxRows() + " allowed");
        }
        // The first ten problems, each with its kind: a row that does not fit the model (422) outranks a value
        // that is not a finite number (400).
        List<ParsedInstances.RowProblem> problems = instances.problems();
        if (!problems.isEmpty()) {
            boolean shape = problems.stream().anyMatch(e -> e.kind() == ParsedInstances.Kind.SHAPE);
            List<String> errors = problems.stream().map(ParsedInstances.RowProblem::message).toList();
            throw new ProblemException(shape ? HttpStatus.UNPROCESSABLE_CONTENT : HttpStatus.BAD_REQUEST,
                    shape ? "feature-count-mismatch" : "invalid-number",
                    shape ? "Rows do not fit the model" : "Invalid number",
                    errors.get(0) + (errors.size() > 1 ? " (and " + (errors.size() - 1) + " more, see errors)" : ""),
                    errors);
        }
    }

    /**
     * Runs {@code work} once admitted: at most {@code max-concurrent} at once, at most {@code max-queued}
     * waiting (one more is refused at once), none waiting past {@code queue-timeout}, and none running past the
     * request's deadline ({@code mcdropout.predict.deadline} from its arrival) or after its client has gone: the
     * stop signal handed to {@code work} turns true then, and the engine stops at its next check. Everything
     * that costs memory or CPU in proportion to a request (loading a pinned version, reading its rows, the
     * engine) happens inside.
     */
    public <T> T admitted(Function<BooleanSupplier, T> work) {
        McDropoutProperties.Predict settings = properties.predict();
        HttpServletRequest request = currentRequest();
        long deadline = arrival(request) + settings.deadline().toNanos();
        try (ClientDisconnects.Watch watch = disconnects.watch(request)) {
            acquire(settings, deadline);
            try {
                if (watch.clientGone()) {
                    throw stopped("disconnected");
                }
                BooleanSupplier stop = () -> watch.clientGone() || System.nanoTime() - deadline > 0;
                try {
                    return work.apply(stop);
                } catch (PredictionStoppedException e) {
                    throw stopped(watch.clientGone() ? "disconnected" : "deadline");
                }
            } finally {
                admission.release();
            }
        }
    }

    private void acquire(McDropoutProperties.Predict settings, long deadline) {
        if (waiting.incrementAndGet() > settings.maxQueued() && admission.availablePermits() == 0) {
            waiting.decrementAndGet();
            metrics.predictRejected("queue_full");
            throw busy("more than " + settings.maxConcurrent() + " predictions are running and "
                    + settings.maxQueued() + " are waiting (mcdropout.predict.max-concurrent, "
                    + "mcdropout.predict.max-queued); retry after the Retry-After seconds");
        }
        boolean admitted;
        try {
            long wait = Math.min(settings.queueTimeout().toNanos(), deadline - System.nanoTime());
            admitted = admission.tryAcquire(Math.max(0, wait), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            admitted = false;
        } finally {
            waiting.decrementAndGet();
        }
        if (!admitted) {
            if (System.nanoTime() - deadline >= 0) {
                throw stopped("deadline");
            }
            metrics.predictRejected("queue_timeout");
            throw busy("more than " + settings.maxConcurrent() + " predictions are running and this one waited "
                    + settings.queueTimeout().toMillis() + " ms for a slot (mcdropout.predict.max-concurrent, "
                    + "mcdropout.predict.queue-timeout); retry after the Retry-After seconds");
        }
    }

    private ProblemException busy(String detail) {
        return ProblemException.retryLater(HttpStatus.SERVICE_UNAVAILABLE, "busy", "Service busy", detail,
                properties.predict().retryAfter());
    }

    /** The work was stopped: its deadline passed, or its client went away (then nobody reads the answer). */
    private ProblemException stopped(String reason) {
        metrics.predictStopped(reason);
        Duration deadline = properties.predict().deadline();
        if ("disconnected".equals(reason)) {
            return ProblemException.retryLater(HttpStatus.SERVICE_UNAVAILABLE, "client-disconnected",
                    "Client disconnected", "the client closed the connection; the prediction was stopped",
                    properties.predict().retryAfter());
        }
        return ProblemException.retryLater(HttpStatus.SERVICE_UNAVAILABLE, "deadline-exceeded", "Deadline exceeded",
                "the prediction did not finish within " + deadline.toMillis() + " ms of its arrival "
                        + "(mcdropout.predict.deadline) and was stopped; send fewer rows or mcSamples, or retry "
                        + "when the service is less busy", properties.predict().retryAfter());
    }

    private static HttpServletRequest currentRequest() {
        return RequestContextHolder.getRequestAttributes() instanceof ServletRequestAttributes attributes
                ? attributes.getRequest() : null;
    }

    /** When the request reached the application, or now for calls from outside a request. */
    private static long arrival(HttpServletRequest request) {
        Object arrival = request == null ? null : request.getAttribute(RequestIdFilter.ARRIVAL);
        return arrival instanceof Long nanos ? nanos : System.nanoTime();
    }
}
