package dev.mcdropout.evaluation;

import dev.mcdropout.evaluation.SweepDtos.SaveBest;
import dev.mcdropout.evaluation.SweepDtos.SweepRequest;
import dev.mcdropout.evaluation.SweepDtos.SweepView;
import dev.mcdropout.models.ModelNames;
import dev.mcdropout.nn.Dataset;
import dev.mcdropout.nn.Trainer;
import dev.mcdropout.nn.TrainingConfig;
import dev.mcdropout.system.EvaluationProperties;
import dev.mcdropout.system.JsonErrors;
import dev.mcdropout.system.ProblemException;
import dev.mcdropout.system.RequiresApiKey;
import dev.mcdropout.training.CsvDatasetReader;
import dev.mcdropout.training.TrainingDtos.Hyperparameters;
import dev.mcdropout.training.TrainingDtos.HistoryView;
import dev.mcdropout.training.TrainingDtos.JobStatus;
import dev.mcdropout.training.TrainingDtos.TrainingJobView;
import dev.mcdropout.training.TrainingJobService;
import dev.mcdropout.training.TrainingRequests;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;
import org.springframework.web.multipart.MultipartHttpServletRequest;
import tools.jackson.core.JacksonException;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.ObjectMapper;

@Tag(name = "experiments", description = "Dropout-rate sweeps as jobs, and per-epoch plots of sweeps and training jobs")
@RestController
public class ExperimentController {

    static final List<Double> DEFAULT_RATES = List.of(0.0, 0.3, 0.5, 0.7, 0.9);
    private static final Duration CANCEL_WAIT = Duration.ofSeconds(10);
    private static final Set<String> FORM_FIELDS = Set.of("labelColumn", "rates", "hyperparameters", "mcSamples", "saveBest");

    private final ExperimentService experiments;
    private final TrainingJobService trainingJobs;
    private final TrainingRequests requests;
    private final CsvDatasetReader csv;
    private final ExperimentProperties properties;
    private final EvaluationProperties evaluation;
    private final ObjectMapper json;

    public ExperimentController(ExperimentService experiments, TrainingJobService trainingJobs,
                                TrainingRequests requests, CsvDatasetReader csv, ExperimentProperties properties,
                                EvaluationProperties evaluation, ObjectMapper json) {
        this.experiments = experiments;
        this.trainingJobs = trainingJobs;
        this.requests = requests;
        this.csv = csv;
        this.properties = properties;
        this.evaluation = evaluation;
        this.json = json;
    }

    @Operation(operationId = "startDropoutSweep", summary = "Compare dropout rates: one training run per rate, as one job",
            description = """
                    Trains one network per rate (dropout probability on every hidden layer) on the same data, \
                    stratified validation split and seed, one after another as one job, and evaluates each run's \
                    validation split with Monte Carlo dropout (mcSamples passes, the training seed). The job (GET \
                    /experiments/{id}) shows progress, per-rate validation accuracy and loss per epoch, each run's \
                    final report (accuracy, NLL, Brier, ECE, misclassification AUROC of mutual information, and the \
                    deterministic accuracy, NLL, ECE) and, at the end, bestRate: the rate with the lowest Monte Carlo \
                    validation NLL. With saveBest the best run is stored as the next version of saveBest.name (with \
                    its validation report) and, unless saveBest.activate is false, activated. Answers 202 with the \
                    job. Limits: at most mcdropout.experiments.max-rates (20) distinct rates in [0, 1); rows x \
                    epochs x rates <= mcdropout.experiments.max-row-epochs (10^8); the training limits of POST /train. \
                    The body is JSON, or multipart/form-data with a CSV part 'data' and fields labelColumn, rates \
                    (JSON array), hyperparameters (JSON), mcSamples and saveBest (JSON).""",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = {
                    // The CSV form (handled below, described above) is left out of the document, as for evaluate.
                    @Content(mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(implementation = SweepRequest.class))}))
    @ApiResponse(responseCode = "202", description = "The sweep was queued",
            headers = @Header(name = "Location", description = "/experiments/{id}", schema = @Schema(type = "string")))
    @ApiResponse(responseCode = "400", description = "Malformed body, an unknown field, a rate outside [0, 1), too many or repeated rates, a sweep too large for the limits, or a hyperparameter out of range")
    @ApiResponse(responseCode = "401", description = "API key required")
    @ApiResponse(responseCode = "403", description = "API key rejected, or a remote client without a configured key")
    @ApiResponse(responseCode = "413", description = "Body larger than mcdropout.limits.max-training-body or more rows than max-training-rows")
    @ApiResponse(responseCode = "422", description = "The data set cannot be trained on")
    @ApiResponse(responseCode = "429", description = "The experiment queue is full; retry after Retry-After seconds",
            headers = @Header(name = "Retry-After", description = "Seconds to wait", schema = @Schema(type = "integer")))
    @RequiresApiKey
    @PostMapping(path = "/experiments/dropout-sweep", consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<SweepView> startDropoutSweep(@RequestBody SweepRequest request) {
        if (request == null) {
            throw TrainingRequests.invalidRequest("the request body must be a JSON object with 'dataset'", "body");
        }
        TrainingRequests.requireKnown(request.unknown(), "the request");
        if (request.dataset() == null) {
            throw TrainingRequests.invalidRequest("the request needs a 'dataset' with 'features' and 'labels'", "dataset");
        }
        TrainingRequests.requireKnown(request.dataset().unknown(), "dataset");
        List<Double> rates = rates(request.rates());
        TrainingConfig config = config(request.hyperparameters());
        SaveBest saveBest = saveBest(request.saveBest());
        Dataset dataset = requests.dataset(request.dataset().features(), request.dataset().labels());
        return submit(dataset, rates, config, saveBest, request.mcSamples());
    }

    /** The multipart variant of {@link #startDropoutSweep}; documented there. */
    @io.swagger.v3.oas.annotations.Hidden
    @RequiresApiKey
    @PostMapping(path = "/experiments/dropout-sweep", consumes = MediaType.MULTIPART_FORM_DATA_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<SweepView> startDropoutSweepFromCsv(MultipartHttpServletRequest form) {
        for (String field : Collections.list(form.getParameterNames())) {
            if (!FORM_FIELDS.contains(field)) {
                throw TrainingRequests.invalidRequest("unknown form field '" + CsvDatasetReader.abbreviate(field)
                        + "'; the form takes a part data and fields " + FORM_FIELDS, CsvDatasetReader.abbreviate(field));
            }
        }
        for (String part : form.getFileMap().keySet()) {
            if (!part.equals("data")) {
                throw TrainingRequests.invalidRequest("unknown form part '" + CsvDatasetReader.abbreviate(part)
                        + "'; the form takes one file part, data", CsvDatasetReader.abbreviate(part));
            }
        }
        List<Double> rates = rates(parse(form.getParameter("rates"), "rates", new TypeReference<List<Double>>() { }));
        TrainingConfig config = config(parse(form.getParameter("hyperparameters"), "hyperparameters",
                new TypeReference<Hyperparameters>() { }));
        SaveBest saveBest = saveBest(parse(form.getParameter("saveBest"), "saveBest", new TypeReference<SaveBest>() { }));
        Integer mcSamples = null;
        String samples = form.getParameter("mcSamples");
        if (samples != null && !samples.isBlank()) {
            try {
                mcSamples = Integer.parseInt(samples.trim());
            } catch (NumberFormatException e) {
                throw Charts.invalid("mcSamples", "mcSamples must be an integer, got '" + Charts.abbreviate(samples) + "'");
            }
        }
        MultipartFile data = form.getFile("data");
        if (data == null) {
            throw TrainingRequests.invalidRequest("the form needs a CSV file part 'data' (curl -F data=@file.csv)", "data");
        }
        Dataset dataset;
        try (InputStream in = data.getInputStream()) {
            dataset = requests.dataset(csv.read(in, form.getParameter("labelColumn")));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return submit(dataset, rates, config, saveBest, mcSamples);
    }

    private <T> T parse(String text, String field, TypeReference<T> type) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return json.readValue(text, type);
        } catch (JacksonException e) {
            String path = JsonErrors.path(e);
            throw new ProblemException(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request",
                    "field '" + field + "' is not valid JSON of the documented shape" + (path.isEmpty() ? "" : " at " + path)
                            + ": " + CsvDatasetReader.abbreviate(JsonErrors.message(e)),
                    List.of(path.isEmpty() ? field : field + "." + path));
        }
    }

    private ResponseEntity<SweepView> submit(Dataset dataset, List<Double> rates, TrainingConfig config,
                                             SaveBest saveBest, Integer mcSamplesParam) {
        int mcSamples = mcSamplesParam == null ? evaluation.defaultMcSamples() : mcSamplesParam;
        if (mcSamples < 1 || mcSamples > evaluation.maxMcSamples()) {
            throw new ProblemException(HttpStatus.BAD_REQUEST, "invalid-request", "Invalid request",
                    "mcSamples must be between 1 and " + evaluation.maxMcSamples()
                            + " (mcdropout.evaluation.max-mc-samples), got " + mcSamples,
                    List.of("mcSamples", "mcdropout.evaluation.max-mc-samples"));
        }
        long work = (long) dataset.size() * config.epochs() * rates.size();
        if (work > properties.maxRowEpochs()) {
            throw new ProblemException(HttpStatus.BAD_REQUEST, "limit-exceeded", "Sweep too large",
                    dataset.size() + " rows x " + config.epochs() + " epochs x " + rates.size() + " rates = " + work
                            + " row-epochs, more than the " + properties.maxRowEpochs() + " allowed (limit "
                            + "mcdropout.experiments.max-row-epochs); use fewer rates, fewer epochs or fewer rows",
                    List.of("rates", "hyperparameters.epochs", "mcdropout.experiments.max-row-epochs"));
        }
        long validationPasses = (long) Math.ceil(dataset.size() * config.validationFraction()) * mcSamples;
        if (validationPasses > evaluation.maxRowSamples()) {
            throw new ProblemException(HttpStatus.BAD_REQUEST, "limit-exceeded", "Request exceeds a limit",
                    "about " + validationPasses + " Monte Carlo row passes per validation report, more than the "
                            + evaluation.maxRowSamples() + " allowed (limit mcdropout.evaluation.max-row-samples); "
                            + "use fewer mcSamples", List.of("mcSamples", "mcdropout.evaluation.max-row-samples"));
        }
        if (Trainer.split(dataset, config).heldOut().size() == 0) {
            throw TrainingRequests.invalidDataset("the data set is too small to hold out a validation split of "
                    + config.validationFraction() + " (every class keeps at least one training row); a sweep compares "
                    + "rates on that split, so send more rows per class", "dataset.features");
        }
        SweepJob job = experiments.submit(dataset, rates, config, saveBest, mcSamples);
        return ResponseEntity.accepted().location(URI.create("/experiments/" + job.id())).body(job.view());
    }

    private List<Double> rates(List<Double> rates) {
        if (rates == null) {
            return DEFAULT_RATES;
        }
        if (rates.isEmpty()) {
            throw invalidRates("rates", "rates is empty; give at least one dropout probability in [0, 1)");
        }
        if (rates.size() > properties.maxRates()) {
            throw new ProblemException(HttpStatus.BAD_REQUEST, "limit-exceeded", "Request exceeds a limit",
                    "rates has " + rates.size() + " entries, more than the " + properties.maxRates()
                            + " allowed (limit mcdropout.experiments.max-rates)",
                    List.of("rates", "mcdropout.experiments.max-rates"));
        }
        Set<Double> seen = new HashSet<>();
        List<Double> checked = new ArrayList<>(rates.size());
        for (int i = 0; i < rates.size(); i++) {
            Double r = rates.get(i);
            if (r == null || !(r >= 0.0 && r < 1.0)) {
                throw invalidRates("rates[" + i + "]", "rates[" + i + "] is " + r
                        + "; every rate is a probability of dropping a unit, in [0, 1)");
            }
            if (!seen.add(r)) {
                throw invalidRates("rates[" + i + "]", "rates[" + i + "] repeats " + r + "; give each rate once");
            }
            checked.add(r);
        }
        return List.copyOf(checked);
    }

    private TrainingConfig config(Hyperparameters h) {
        if (h != null && h.dropout() != null) {
            throw TrainingRequests.invalidHyperparameter("dropout",
                    "a sweep sets dropout from 'rates'; leave hyperparameters.dropout out");
        }
        TrainingConfig config = requests.config(h);
        if (config.hiddenLayers().isEmpty()) {
            throw TrainingRequests.invalidHyperparameter("hiddenLayers",
                    "a dropout sweep needs at least one hidden layer to drop units from");
        }
        if (config.validationFraction() == 0) {
            throw TrainingRequests.invalidHyperparameter("validationFraction",
                    "a dropout sweep compares rates on a validation split; validationFraction must be above 0");
        }
        return config;
    }

    private SaveBest saveBest(SaveBest save) {
        if (save == null) {
            return null;
        }
        TrainingRequests.requireKnown(save.unknown(), "saveBest");
        if (!ModelNames.isValid(save.name())) {
            throw TrainingRequests.invalidRequest("saveBest.name must be a model name: 1 to 64 characters of a-z, 0-9, "
                    + "'_' and '-', starting with a letter or digit", "saveBest.name");
        }
        return save;
    }

    private static ProblemException invalidRates(String field, String detail) {
        return new ProblemException(HttpStatus.BAD_REQUEST, "invalid-rates", "Invalid dropout rates", detail,
                List.of(field));
    }

    @Operation(operationId = "getExperiment", summary = "A dropout sweep and its progress",
            description = "The sweep's status and progress (0 to 1), per rate the validation accuracy and loss per epoch and the final report, and at the end the best rate by Monte Carlo validation NLL.")
    @ApiResponse(responseCode = "200", description = "The sweep")
    @ApiResponse(responseCode = "404", description = "No such sweep (finished ones are kept for mcdropout.experiments.retained-jobs)")
    @GetMapping(path = "/experiments/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
    public SweepView getExperiment(@Parameter(description = "Sweep id") @PathVariable String id) {
        return job(id).view();
    }

    @Operation(operationId = "listExperiments", summary = "Recent dropout sweeps, newest first",
            description = "Running, queued and recently finished sweeps (mcdropout.experiments.retained-jobs), newest first.")
    @ApiResponse(responseCode = "200", description = "The sweeps")
    @GetMapping(path = "/experiments", produces = MediaType.APPLICATION_JSON_VALUE)
    public List<SweepView> listExperiments() {
        return experiments.list().stream().map(SweepJob::view).toList();
    }

    @Operation(operationId = "cancelExperiment", summary = "Cancel a dropout sweep",
            description = "A queued sweep is cancelled at once; a running one stops before its next mini-batch. Answers "
                    + "200 with the cancelled sweep, or 202 if it has not stopped within 10 s. Nothing is saved.")
    @ApiResponse(responseCode = "200", description = "The sweep, now CANCELLED")
    @ApiResponse(responseCode = "202", description = "Cancellation requested; the sweep is still stopping")
    @ApiResponse(responseCode = "401", description = "API key required")
    @ApiResponse(responseCode = "403", description = "API key rejected, or a remote client without a configured key")
    @ApiResponse(responseCode = "404", description = "No such sweep")
    @ApiResponse(responseCode = "409", description = "The sweep has already finished")
    @RequiresApiKey
    @DeleteMapping(path = "/experiments/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<SweepView> cancelExperiment(@Parameter(description = "Sweep id") @PathVariable String id) {
        SweepJob job = job(id);
        if (job.status().finished()) {
            throw ProblemException.conflict("job-finished", "Sweep already finished",
                    "sweep " + Charts.abbreviate(id) + " is " + job.status() + "; only QUEUED or RUNNING sweeps can be cancelled");
        }
        boolean stopped = experiments.cancel(job, CANCEL_WAIT);
        return stopped ? ResponseEntity.ok(job.view()) : ResponseEntity.accepted().body(job.view());
    }

    @Operation(operationId = "plotExperiment", summary = "Validation accuracy or loss per epoch, one line per rate",
            description = "The dropout tutorial's figure: metric=accuracy (default) plots validation accuracy per epoch, "
                    + "metric=loss validation cross-entropy (nats), one line per rate. Works while the sweep runs. PNG "
                    + "by default (800 x 500 pixels unless width/height say otherwise), SVG with format=svg.")
    @ApiResponse(responseCode = "200", description = "The image", content = {
            @Content(mediaType = "image/png", schema = @Schema(type = "string", format = "binary")),
            @Content(mediaType = Charts.SVG, schema = @Schema(type = "string", format = "binary"))})
    @ApiResponse(responseCode = "400", description = "Unknown metric or format, or a size out of range")
    @ApiResponse(responseCode = "404", description = "No such sweep")
    @ApiResponse(responseCode = "409", description = "No epoch has finished yet")
    @GetMapping(path = "/experiments/{id}/plot", produces = {"image/png", Charts.SVG})
    public ResponseEntity<byte[]> plotExperiment(
            @Parameter(description = "Sweep id") @PathVariable String id,
            @Parameter(description = "accuracy (default) or loss", schema = @Schema(allowableValues = {"accuracy", "loss"}))
            @RequestParam(required = false) String metric,
            @Parameter(description = "png (default) or svg", schema = @Schema(allowableValues = {"png", "svg"})) @RequestParam(required = false) String format,
            @Parameter(description = EvaluationController.PLOT_SIZE_DOC) @RequestParam(required = false) Integer width,
            @Parameter(description = EvaluationController.PLOT_SIZE_DOC) @RequestParam(required = false) Integer height) {
        boolean loss = loss(metric);
        Charts.Format f = Charts.Format.of(format, width, height);
        SweepView view = job(id).view();
        List<Charts.Line> lines = new ArrayList<>();
        for (SweepDtos.RunView run : view.runs()) {
            List<Double> values = loss ? run.history().validationLoss() : run.history().validationAccuracy();
            if (!values.isEmpty()) {
                lines.add(Charts.Line.of("dropout p = " + run.rate(), values));
            }
        }
        if (lines.isEmpty()) {
            throw Charts.nothingToPlot("sweep " + Charts.abbreviate(id) + " has not finished an epoch yet; try again shortly");
        }
        String title = "Dropout-rate sweep: validation " + (loss ? "loss" : "accuracy") + " per epoch ("
                + view.rows() + " rows" + (view.bestRate() == null ? "" : ", best rate " + view.bestRate()) + ")";
        return Charts.respond(Charts.chart(f, title, "Epoch", loss ? "Validation loss (cross-entropy, nats)"
                : "Validation accuracy (share of rows right, 0-1)", lines), f, "sweep-" + (loss ? "loss" : "accuracy"));
    }

    @Operation(operationId = "plotTrainingJob", summary = "Loss or accuracy per epoch of a training job, training and validation",
            description = "metric=loss (default) plots training and validation cross-entropy per epoch (nats), "
                    + "metric=accuracy training and validation accuracy. Training figures are measured with dropout on, "
                    + "validation figures in test mode. Works while the job runs. PNG by default (800 x 500 pixels), "
                    + "SVG with format=svg.")
    @ApiResponse(responseCode = "200", description = "The image", content = {
            @Content(mediaType = "image/png", schema = @Schema(type = "string", format = "binary")),
            @Content(mediaType = Charts.SVG, schema = @Schema(type = "string", format = "binary"))})
    @ApiResponse(responseCode = "400", description = "Unknown metric or format, or a size out of range")
    @ApiResponse(responseCode = "404", description = "No such job")
    @ApiResponse(responseCode = "409", description = "No epoch has finished yet")
    @GetMapping(path = "/train/jobs/{id}/plot", produces = {"image/png", Charts.SVG})
    public ResponseEntity<byte[]> plotTrainingJob(
            @Parameter(description = "Job id from POST /train") @PathVariable String id,
            @Parameter(description = "loss (default) or accuracy", schema = @Schema(allowableValues = {"loss", "accuracy"}))
            @RequestParam(required = false) String metric,
            @Parameter(description = "png (default) or svg", schema = @Schema(allowableValues = {"png", "svg"})) @RequestParam(required = false) String format,
            @Parameter(description = EvaluationController.PLOT_SIZE_DOC) @RequestParam(required = false) Integer width,
            @Parameter(description = EvaluationController.PLOT_SIZE_DOC) @RequestParam(required = false) Integer height) {
        boolean loss = metric == null || loss(metric);
        Charts.Format f = Charts.Format.of(format, width, height);
        TrainingJobView job = trainingJobs.view(id).orElseThrow(() -> ProblemException.notFound("unknown-job",
                "Unknown training job", "there is no training job '" + Charts.abbreviate(id)
                        + "'; GET /train/jobs lists the recent ones"));
        HistoryView h = job.history();
        List<Charts.Line> lines = new ArrayList<>();
        List<Double> train = loss ? h.loss() : h.trainAccuracy();
        List<Double> validation = loss ? h.validationLoss() : h.validationAccuracy();
        if (!train.isEmpty()) {
            lines.add(Charts.Line.of("training (dropout on)", train));
        }
        if (!validation.isEmpty()) {
            lines.add(Charts.Line.of("validation (test mode)", validation));
        }
        if (lines.isEmpty()) {
            throw Charts.nothingToPlot("training job " + Charts.abbreviate(id) + " has not finished an epoch yet");
        }
        String title = "Training job for '" + job.name() + "': " + (loss ? "loss" : "accuracy") + " per epoch"
                + (job.status() == JobStatus.RUNNING ? " (running)" : "");
        return Charts.respond(Charts.chart(f, title, "Epoch", loss ? "Loss (cross-entropy, nats)"
                : "Accuracy (share of rows right, 0-1)", lines), f, "training-" + (loss ? "loss" : "accuracy"));
    }

    private static boolean loss(String metric) {
        if (metric == null || metric.equals("accuracy")) {
            return false;
        }
        if (metric.equals("loss")) {
            return true;
        }
        throw Charts.invalid("metric", "metric must be accuracy or loss, got '" + Charts.abbreviate(metric) + "'");
    }

    private SweepJob job(String id) {
        return experiments.find(id).orElseThrow(() -> ProblemException.notFound("unknown-experiment", "Unknown experiment",
                "there is no sweep '" + Charts.abbreviate(id) + "'; GET /experiments lists the recent ones"));
    }
}
