package dev.mcdropout.training;

import dev.mcdropout.nn.Dataset;
import dev.mcdropout.nn.TrainingConfig;
import dev.mcdropout.system.JsonErrors;
import dev.mcdropout.system.ProblemException;
import dev.mcdropout.system.RequiresApiKey;
import dev.mcdropout.training.TrainingDtos.Hyperparameters;
import dev.mcdropout.training.TrainingDtos.TrainRequest;
import dev.mcdropout.training.TrainingDtos.TrainingJobView;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.headers.Header;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Encoding;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import dev.mcdropout.training.TrainingDtos.JobStatus;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.time.Duration;
import java.util.Collections;
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
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;
import org.springframework.web.multipart.MultipartHttpServletRequest;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.ObjectMapper;

@Tag(name = "training", description = "Train models through the API: asynchronous jobs with progress and cancellation")
@RestController
public class TrainingController {

    /** How long DELETE waits for a running job to notice its cancellation before answering 202. */
    static final Duration CANCEL_WAIT = Duration.ofSeconds(10);

    static final String IDEMPOTENCY_KEY = "Idempotency-Key";
    static final String IDEMPOTENT_REPLAYED = "Idempotent-Replayed";
    private static final String IDEMPOTENCY_DOC = "Makes a retry safe: a later request with the same key and the same "
            + "content (name, data, hyperparameters, activate) gets the job the first one made (header "
            + "Idempotent-Replayed: true) instead of training again; the same key with other content is a 422 "
            + "(idempotency-key-reused). Remembered as long as the job's record (mcdropout.training.retained-jobs), "
            + "across restarts and replicas sharing the store. 1 to 255 visible ASCII characters, e.g. a UUID.";
    private static final Set<String> FORM_FIELDS = Set.of("name", "labelColumn", "hyperparameters", "activate", "wait");
    private static final Set<String> FORM_FILES = Set.of("data", "hyperparameters");
    private static final String JOB_EXAMPLE = """
            {"id": "3f0c2a9e-6a47-4f5e-9a53-1c2b0d4e5f60", "name": "wine", "status": "RUNNING", "epoch": 2, "epochs": 200,
             "history": {"loss": [0.93, 0.41], "trainAccuracy": [0.62, 0.89], "validationAccuracy": [0.86, 0.94],
                         "validationLoss": [0.52, 0.27]},
             "activate": true, "rows": 178, "features": 13, "classes": ["1", "2", "3"],
             "createdAt": "2026-11-30T04:41:07.120Z", "startedAt": "2026-11-30T04:41:07.131Z"}""";

    private final TrainingJobService jobs;
    private final TrainingRequests requests;
    private final CsvDatasetReader csv;
    private final TrainingProperties properties;
    private final ObjectMapper json;

    public TrainingController(TrainingJobService jobs, TrainingRequests requests, CsvDatasetReader csv,
                              TrainingProperties properties, ObjectMapper json) {
        this.jobs = jobs;
        this.requests = requests;
        this.csv = csv;
        this.properties = properties;
        this.json = json;
    }

    @Operation(operationId = "train", summary = "Train a model",
            description = """
                    Queues a training job and answers 202 with the job and its Location (/train/jobs/{id}); poll it \
                    for progress. With wait=true the request is held until the job finishes (200 with the finished \
                    job) or until mcdropout.training.wait-timeout passes (then 202 with the job still running). A \
                    job that succeeds saves the next version of the model and, unless activate is false, makes it \
                    active by an atomic swap; a failed or cancelled job leaves the store unchanged. \
                    The body is JSON (dataset.features and dataset.labels) or multipart/form-data: a CSV file part \
                    'data' with a header row (the label column named by field 'labelColumn', default the last \
                    column), a 'name' field, an optional 'hyperparameters' JSON field or part and an optional \
                    'activate' field (true/false). Generated clients send JSON here; for a CSV upload they call \
                    trainFromCsv (POST /train/csv), which takes the same form and answers the same way. Limits: body <= mcdropout.limits.max-training-body (256 MiB), \
                    rows <= max-training-rows (1,000,000), features <= max-training-features (100,000), at most 16 \
                    hidden layers of 16384 units, epochs <= 10000.""",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = {
                    @Content(mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(implementation = TrainRequest.class)),
                    @Content(mediaType = MediaType.MULTIPART_FORM_DATA_VALUE, schema = @Schema(implementation = TrainForm.class),
                            encoding = @Encoding(name = "hyperparameters", contentType = MediaType.APPLICATION_JSON_VALUE))}))
    @ApiResponse(responseCode = "200", description = "wait=true and the job finished in time: the finished job",
            content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(implementation = TrainingJobView.class)))
    @ApiResponse(responseCode = "202", description = "The job was queued (or, with wait=true, is still running)",
            headers = @Header(name = "Location", description = "/train/jobs/{id}", schema = @Schema(type = "string")),
            content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(implementation = TrainingJobView.class,
                    example = JOB_EXAMPLE)))
    @ApiResponse(responseCode = "400", description = "Malformed JSON or CSV, a parameter of the wrong type, an unknown field, an invalid name, or a hyperparameter out of range")
    @ApiResponse(responseCode = "401", description = "API key required")
    @ApiResponse(responseCode = "403", description = "API key rejected, or a remote client without a configured key")
    @ApiResponse(responseCode = "413", description = "Body larger than mcdropout.limits.max-training-body or more rows than max-training-rows")
    @ApiResponse(responseCode = "415", description = "Content-Type is neither application/json nor multipart/form-data")
    @ApiResponse(responseCode = "409", description = "Another request with this Idempotency-Key is being taken in right now; retry")
    @ApiResponse(responseCode = "422", description = "The data set cannot be trained on: rows of unequal length, non-finite numbers, fewer than 2 classes; or the Idempotency-Key was used for another request")
    @ApiResponse(responseCode = "429", description = "The training queue is full; retry after Retry-After seconds",
            headers = @Header(name = "Retry-After", description = "Seconds to wait", schema = @Schema(type = "integer")))
    @ApiResponse(responseCode = "503", description = "Training is switched off on this instance (mcdropout.training.enabled=false), or the instance is shutting down (with Retry-After)")
    @RequiresApiKey
    @PostMapping(path = "/train", consumes = MediaType.APPLICATION_JSON_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<TrainingJobView> train(
            @RequestBody TrainRequest request,
            @Parameter(description = "Hold the request until the job finishes (bounded by mcdropout.training.wait-timeout)")
            @RequestParam(defaultValue = "false") boolean wait,
            @Parameter(description = IDEMPOTENCY_DOC, example = "3c7d2f4e-train-wine-2026-11-30")
            @RequestHeader(name = IDEMPOTENCY_KEY, required = false) String idempotencyKey) {
        requireTrainingEnabled();
        String key = idempotencyKey(idempotencyKey);
        if (request == null) {
            throw TrainingRequests.invalidRequest("the request body must be a JSON object with 'name' and 'dataset'", "body");
        }
        TrainingRequests.requireKnown(request.unknown(), "the request");
        String name = requests.name(request.name());
        if (request.dataset() == null) {
            throw TrainingRequests.invalidRequest("the request needs a 'dataset' with 'features' and 'labels'", "dataset");
        }
        TrainingRequests.requireKnown(request.dataset().unknown(), "dataset");
        TrainingConfig config = requests.config(request.hyperparameters());
        Dataset dataset = requests.dataset(request.dataset().features(), request.dataset().labels());
        boolean activate = request.activate() == null || request.activate();
        return submit(name, dataset, config, activate, wait, key);
    }

    /**
     * The multipart variant of {@link #train} at its original address, documented there as the second request
     * media type. Client generators build one typed method per operation from its first media type, so the
     * form has its own operation too, {@link #trainFromCsv}; both answer alike.
     */
    @io.swagger.v3.oas.annotations.Hidden
    @RequiresApiKey
    @PostMapping(path = "/train", consumes = MediaType.MULTIPART_FORM_DATA_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<TrainingJobView> trainFromForm(MultipartHttpServletRequest form,
                                                         @RequestParam(defaultValue = "false") boolean wait,
                                                         @RequestHeader(name = IDEMPOTENCY_KEY, required = false)
                                                         String idempotencyKey) {
        return trainFromCsv(form, wait, idempotencyKey);
    }

    @Operation(operationId = "trainFromCsv", summary = "Train a model from a CSV upload",
            description = """
                    The multipart/form-data form of POST /train as an operation of its own, so that generated \
                    clients get a typed method for it: a CSV file part 'data' with a header row (the label column \
                    named by field 'labelColumn', default the last column), a 'name' field, an optional \
                    'hyperparameters' field holding Hyperparameters as JSON and an optional 'activate' field. \
                    Answers exactly as POST /train does: 202 with the queued job and its Location, or with \
                    wait=true 200 with the finished job. Same limits as POST /train.""",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content =
                    @Content(mediaType = MediaType.MULTIPART_FORM_DATA_VALUE, schema = @Schema(implementation = TrainForm.class))))
    @ApiResponse(responseCode = "200", description = "wait=true and the job finished in time: the finished job",
            content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(implementation = TrainingJobView.class)))
    @ApiResponse(responseCode = "202", description = "The job was queued (or, with wait=true, is still running)",
            headers = @Header(name = "Location", description = "/train/jobs/{id}", schema = @Schema(type = "string")),
            content = @Content(mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(implementation = TrainingJobView.class)))
    @ApiResponse(responseCode = "400", description = "Malformed CSV or form, an unknown field, an invalid name, or a hyperparameter out of range")
    @ApiResponse(responseCode = "401", description = "API key required")
    @ApiResponse(responseCode = "403", description = "API key rejected, or a remote client without a configured key")
    @ApiResponse(responseCode = "413", description = "Body larger than mcdropout.limits.max-training-body or more rows than max-training-rows")
    @ApiResponse(responseCode = "415", description = "Content-Type is not multipart/form-data")
    @ApiResponse(responseCode = "409", description = "Another request with this Idempotency-Key is being taken in right now; retry")
    @ApiResponse(responseCode = "422", description = "The data set cannot be trained on: rows of unequal length, non-finite numbers, fewer than 2 classes; or the Idempotency-Key was used for another request")
    @ApiResponse(responseCode = "429", description = "The training queue is full; retry after Retry-After seconds",
            headers = @Header(name = "Retry-After", description = "Seconds to wait", schema = @Schema(type = "integer")))
    @RequiresApiKey
    @PostMapping(path = "/train/csv", consumes = MediaType.MULTIPART_FORM_DATA_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<TrainingJobView> trainFromCsv(
            @Parameter(hidden = true) MultipartHttpServletRequest form,
            @Parameter(description = "Hold the request until the job finishes (bounded by mcdropout.training.wait-timeout)")
            @RequestParam(defaultValue = "false") boolean wait,
            @Parameter(description = IDEMPOTENCY_DOC, example = "3c7d2f4e-train-wine-2026-11-30")
            @RequestHeader(name = IDEMPOTENCY_KEY, required = false) String idempotencyKey) {
        requireTrainingEnabled();
        String key = idempotencyKey(idempotencyKey);
        for (String field : Collections.list(form.getParameterNames())) {
            if (!FORM_FIELDS.contains(field)) {
                throw unknownFormField(field);
            }
        }
        for (String part : form.getFileMap().keySet()) {
            if (!FORM_FILES.contains(part)) {
                throw unknownFormField(part);
            }
        }
        String name = requests.name(single(form, "name"));
        String labelColumn = single(form, "labelColumn");
        String activateText = single(form, "activate");
        boolean activate = true;
        if (activateText != null) {
            // any case: Python's generated client sends str(True), "True", as a form field
            if (!activateText.equalsIgnoreCase("true") && !activateText.equalsIgnoreCase("false")) {
                throw TrainingRequests.invalidRequest("field 'activate' must be true or false, got '"
                        + CsvDatasetReader.abbreviate(activateText) + "'", "activate");
            }
            activate = Boolean.parseBoolean(activateText);
        }
        TrainingConfig config = requests.config(hyperparameters(form));
        MultipartFile data = form.getFile("data");
        if (data == null) {
            throw TrainingRequests.invalidRequest("the form needs a CSV file part 'data' (curl -F data=@file.csv)", "data");
        }
        Dataset dataset;
        try (InputStream in = data.getInputStream()) {
            dataset = requests.dataset(csv.read(in, labelColumn));
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        return submit(name, dataset, config, activate, wait, key);
    }

    /** The header's value, checked: 1 to 255 visible ASCII characters (RFC 9110 token-like, no spaces). */
    private static String idempotencyKey(String header) {
        if (header == null) {
            return null;
        }
        if (!header.matches("[\\x21-\\x7E]{1,255}")) {
            throw new ProblemException(HttpStatus.BAD_REQUEST, "invalid-idempotency-key", "Invalid idempotency key",
                    "header Idempotency-Key must be 1 to 255 visible ASCII characters (no spaces), e.g. a UUID",
                    List.of(IDEMPOTENCY_KEY));
        }
        return header;
    }

    /**
     * SHA-256 over what the job is made of (name, activate, the parsed hyperparameters with their defaults, the
     * data set's rows, labels and classes): two requests with one key are the same request when these match,
     * whatever their JSON formatting or whether the data came as JSON or CSV.
     */
    static String fingerprint(String name, Dataset dataset, TrainingConfig config, boolean activate) {
        try {
            MessageDigest digest = MessageDigest.getInstance("SHA-256");
            ByteBuffer buffer = ByteBuffer.allocate(8);
            digest.update((name + "\u0000" + activate + "\u0000" + config + "\u0000" + dataset.classes())
                    .getBytes(StandardCharsets.UTF_8));
            for (int i = 0; i < dataset.size(); i++) {
                buffer.clear();
                digest.update(buffer.putLong(dataset.label(i)).flip());
                for (double v : dataset.row(i)) {
                    buffer.clear();
                    digest.update(buffer.putLong(Double.doubleToLongBits(v)).flip());
                }
            }
            return HexFormat.of().formatHex(digest.digest());
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * 503, not 4xx: the request is fine, this instance just does not train (mcdropout.training.enabled=false);
     * another replica sharing the store may. No Retry-After: retrying here will not help.
     */
    private void requireTrainingEnabled() {
        if (!properties.enabled()) {
            throw new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, "training-disabled", "Training is off here",
                    "training is switched off on this instance (mcdropout.training.enabled=false); send POST /train "
                            + "to an instance with training enabled that shares this model store", List.of());
        }
    }

    private Hyperparameters hyperparameters(MultipartHttpServletRequest form) {
        String text = single(form, "hyperparameters");
        MultipartFile file = form.getFile("hyperparameters");
        if (text != null && file != null) {
            throw TrainingRequests.invalidRequest("send 'hyperparameters' once, as a field or as a part", "hyperparameters");
        }
        if (file != null) {
            if (file.getSize() > 1024 * 1024) {
                throw TrainingRequests.invalidRequest("the 'hyperparameters' part is larger than 1 MiB", "hyperparameters");
            }
            try {
                text = new String(file.getBytes(), java.nio.charset.StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            Hyperparameters h = json.readValue(text, Hyperparameters.class);
            if (h == null) {
                throw TrainingRequests.invalidRequest("'hyperparameters' must be a JSON object", "hyperparameters");
            }
            return h;
        } catch (JacksonException e) {
            String path = JsonErrors.path(e);
            throw new ProblemException(HttpStatus.BAD_REQUEST, "invalid-hyperparameters", "Invalid hyperparameters",
                    "the 'hyperparameters' field is not valid" + (path.isEmpty() ? "" : " at " + path) + ": "
                            + CsvDatasetReader.abbreviate(JsonErrors.message(e)),
                    List.of(path.isEmpty() ? "hyperparameters" : "hyperparameters." + path));
        }
    }

    private static String single(MultipartHttpServletRequest form, String field) {
        String[] values = form.getParameterValues(field);
        if (values == null || values.length == 0) {
            return null;
        }
        if (values.length > 1) {
            throw TrainingRequests.invalidRequest("field '" + field + "' was sent " + values.length
                    + " times; send it once", field);
        }
        return values[0];
    }

    private static ProblemException unknownFormField(String field) {
        String shown = CsvDatasetReader.abbreviate(field);
        return new ProblemException(HttpStatus.BAD_REQUEST, "unknown-field", "Unknown field",
                "the form has an unknown field '" + shown + "'; use data, name, labelColumn, hyperparameters, activate",
                List.of(shown));
    }

    private ResponseEntity<TrainingJobView> submit(String name, Dataset dataset, TrainingConfig config,
                                                   boolean activate, boolean wait, String idempotencyKey) {
        String fingerprint = idempotencyKey == null ? null : fingerprint(name, dataset, config, activate);
        TrainingJobService.Submitted submitted = jobs.submit(name, dataset, config, activate, idempotencyKey,
                fingerprint);
        URI location = URI.create("/train/jobs/" + submitted.id());
        TrainingJobView view = submitted.view();
        boolean finished = view.status().finished();
        if (wait && submitted.local() != null && jobs.awaitFinished(submitted.local(), properties.waitTimeout())) {
            view = submitted.local().view();
            finished = true;
        }
        ResponseEntity.BodyBuilder answer = (wait && finished ? ResponseEntity.ok() : ResponseEntity.accepted())
                .location(location);
        if (submitted.replayed()) {
            answer.header(IDEMPOTENT_REPLAYED, "true");
        }
        return answer.body(view);
    }

    @Operation(operationId = "getTrainingJob", summary = "A training job and its progress",
            description = "Status (QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED), epochs finished, per-epoch history, "
                    + "the saved model version when it succeeded, the problem when it failed.")
    @ApiResponse(responseCode = "200", description = "The job")
    @ApiResponse(responseCode = "404", description = "No such job (finished jobs are kept for mcdropout.training.retained-jobs jobs)")
    @GetMapping(path = "/train/jobs/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
    public TrainingJobView getTrainingJob(@Parameter(description = "Job id from POST /train") @PathVariable String id) {
        return jobs.view(id).orElseThrow(() -> unknownJob(id));
    }

    @Operation(operationId = "listTrainingJobs", summary = "Recent training jobs, newest first",
            description = "Queued and running jobs and the most recent finished ones (mcdropout.training.retained-jobs).")
    @ApiResponse(responseCode = "200", description = "The jobs")
    @GetMapping(path = "/train/jobs", produces = MediaType.APPLICATION_JSON_VALUE)
    public List<TrainingJobView> listTrainingJobs() {
        return jobs.views();
    }

    @Operation(operationId = "cancelTrainingJob", summary = "Cancel a training job",
            description = "A queued job is cancelled at once; a running one stops before its next mini-batch. Answers "
                    + "200 with the cancelled job, or 202 if it has not stopped within 10 s. Nothing is saved.")
    @ApiResponse(responseCode = "200", description = "The job, now CANCELLED")
    @ApiResponse(responseCode = "202", description = "Cancellation requested; the job is still stopping")
    @ApiResponse(responseCode = "401", description = "API key required")
    @ApiResponse(responseCode = "403", description = "API key rejected, or a remote client without a configured key")
    @ApiResponse(responseCode = "404", description = "No such job")
    @ApiResponse(responseCode = "409", description = "The job has already finished, or runs on another instance sharing the store")
    @RequiresApiKey
    @DeleteMapping(path = "/train/jobs/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<TrainingJobView> cancelTrainingJob(@PathVariable String id) {
        TrainingJobView recorded = jobs.view(id).orElseThrow(() -> unknownJob(id));
        if (jobs.runningElsewhere(recorded)) {
            throw ProblemException.conflict("job-on-another-instance", "Job runs on another instance",
                    "training job " + id + " is " + recorded.status() + " on another instance sharing this model "
                            + "store; send the cancellation there");
        }
        TrainingJob job = jobs.find(id).orElse(null);
        if (job == null || job.status().finished()) {
            JobStatus status = job == null ? recorded.status() : job.status();
            throw ProblemException.conflict("job-finished", "Job already finished",
                    "training job " + id + " is " + status + "; only QUEUED or RUNNING jobs can be cancelled");
        }
        boolean stopped = jobs.cancel(job, CANCEL_WAIT);
        TrainingJobView view = job.view();
        return stopped ? ResponseEntity.ok(view) : ResponseEntity.accepted().body(view);
    }

    private static ProblemException unknownJob(String id) {
        return ProblemException.notFound("unknown-job", "Unknown training job",
                "there is no training job '" + CsvDatasetReader.abbreviate(id) + "'; GET /train/jobs lists the recent ones");
    }

    /** The multipart form of POST /train and POST /train/csv, for the OpenAPI document. */
    @Schema(name = "TrainForm", description = "multipart/form-data body of POST /train/csv (and of POST /train)")
    record TrainForm(
            @Schema(description = "CSV file: a header row, then one row per example", type = "string", format = "binary",
                    requiredMode = Schema.RequiredMode.REQUIRED) String data,
            @Schema(description = "Model name", pattern = "[a-z0-9][a-z0-9_-]{0,63}", example = "wine",
                    requiredMode = Schema.RequiredMode.REQUIRED) String name,
            @Schema(description = "Header name of the label column (default: the last column)", example = "class") String labelColumn,
            @Schema(description = "Hyperparameters as JSON (see Hyperparameters)", example = "{\"epochs\": 50, \"dropout\": 0.3}") String hyperparameters,
            @Schema(description = "Make the new version active when training succeeds (default true)", example = "true")
            Boolean activate) {
    }
}
