package dev.mcdropout.evaluation;

import dev.mcdropout.evaluation.EvaluationDtos.EvaluateRequest;
import dev.mcdropout.evaluation.EvaluationDtos.EvaluationView;
import dev.mcdropout.models.ModelNames;
import dev.mcdropout.models.ModelRegistry;
import dev.mcdropout.nn.metrics.EvaluationReport;
import dev.mcdropout.system.ProblemException;
import dev.mcdropout.system.RequiresApiKey;
import dev.mcdropout.training.CsvDatasetReader;
import dev.mcdropout.training.ParsedRows;
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
import java.util.Collections;
import java.util.List;
import java.util.Set;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.multipart.MultipartFile;
import org.springframework.web.multipart.MultipartHttpServletRequest;

@Tag(name = "evaluation", description = "Calibration and uncertainty quality of a model version on labelled data, with plots")
@RestController
public class EvaluationController {

    static final String PLOT_SIZE_DOC = "Image width/height in pixels, 200 to 3000 (default 800 x 500)";
    private static final String NAME_DOC = "Model name";
    private static final Set<String> FORM_FIELDS = Set.of("labelColumn", "targetAccuracy");
    private static final Set<String> FORM_FILES = Set.of("data", "outOfDistribution");

    private final EvaluationService service;
    private final CsvDatasetReader csv;
    private final ModelRegistry registry;

    public EvaluationController(EvaluationService service, CsvDatasetReader csv, ModelRegistry registry) {
        this.service = service;
        this.csv = csv;
        this.registry = registry;
    }

    @Operation(operationId = "evaluateModelVersion", summary = "Evaluate a model version: calibration and uncertainty quality",
            description = """
                    Predicts every row of a labelled data set once deterministically (dropout off) and with mcSamples \
                    Monte Carlo dropout passes (seeded), and reports side by side: accuracy, nll (mean -log p(y), \
                    probabilities clipped at 1e-12), brier (mean sum_k (p_k - [y = k])^2), ece over 15 equal-width \
                    confidence bins with the bin table, adaptiveEce over 15 equal-count bins, and for each uncertainty \
                    measure (predictiveEntropy, mutualInformation, variationRatio, predictedClassStd, \
                    oneMinusMaxProbability) the misclassificationAuroc (ties count 1/2), with an out-of-distribution \
                    set oodAuroc, oodAupr (OOD positive) and fpr95, the risk-coverage curve, aurc, eAurc, \
                    riskAt80Coverage and the threshold that reaches targetAccuracy. The figures equal those computed \
                    from POST /predict answers for the same rows, mcSamples and seed. Always synchronous: sets are \
                    bounded by mcdropout.evaluation.max-rows (10000 labelled and 10000 OOD rows) and \
                    (rows + OOD rows) x mcSamples <= mcdropout.evaluation.max-row-samples (2,000,000). The body is \
                    JSON, or multipart/form-data with a CSV part 'data' (header row, label column 'labelColumn', \
                    default the last), an optional CSV part 'outOfDistribution' (same columns; its label column, if \
                    present, is ignored) and an optional field 'targetAccuracy'. The answer links a reliability \
                    diagram and a risk-coverage plot (PNG, or SVG with ?format=svg).""",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = {
                    // The CSV form (handled below, described above) is left out of the document: beside JSON it
                    // makes openapi-generator import a form model it never writes, and the clients not compile.
                    @Content(mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(implementation = EvaluateRequest.class))}))
    @ApiResponse(responseCode = "200", description = "The evaluation")
    @ApiResponse(responseCode = "400", description = "Malformed body, an unknown field, mcSamples or targetAccuracy out of range, or too many row passes")
    @ApiResponse(responseCode = "401", description = "API key required")
    @ApiResponse(responseCode = "403", description = "API key rejected, or a remote client without a configured key")
    @ApiResponse(responseCode = "404", description = "No such model or version")
    @ApiResponse(responseCode = "413", description = "Body larger than mcdropout.limits.max-training-body or more rows than mcdropout.evaluation.max-rows")
    @ApiResponse(responseCode = "422", description = "An empty set, a label the model does not know, or a row with the wrong number of features")
    @ApiResponse(responseCode = "503", description = "Too many evaluations running (busy), or this one ran past mcdropout.evaluation.deadline and was stopped (deadline-exceeded); retry after Retry-After seconds",
            headers = @Header(name = "Retry-After", description = "Seconds to wait", schema = @Schema(type = "integer")))
    @RequiresApiKey
    @PostMapping(path = "/models/{name}/versions/{version}/evaluate", consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    public EvaluationView evaluateModelVersion(
            @Parameter(description = NAME_DOC, example = "digits", schema = @Schema(pattern = ModelNames.REGEX, maxLength = 64)) @PathVariable String name,
            @Parameter(description = "Version number", example = "1", schema = @Schema(type = "integer", format = "int32", minimum = "1")) @PathVariable int version,
            @RequestBody EvaluateRequest request,
            @Parameter(description = "Monte Carlo passes, 1 to mcdropout.evaluation.max-mc-samples (1000); default mcdropout.evaluation.default-mc-samples (100)", example = "100")
            @RequestParam(required = false) Integer mcSamples,
            @Parameter(description = "Seed of the dropout masks; absent: one is drawn and returned", example = "7")
            @RequestParam(required = false) Long seed,
            @Parameter(description = "Accuracy the selective-prediction thresholds should reach, in (0, 1]; or in the body", example = "0.99")
            @RequestParam(required = false) Double targetAccuracy) {
        if (request == null) {
            throw TrainingRequests.invalidRequest("the request body must be a JSON object with 'dataset'", "body");
        }
        TrainingRequests.requireKnown(request.unknown(), "the request");
        if (request.dataset() == null) {
            throw TrainingRequests.invalidRequest("the request needs a 'dataset' with 'features' and 'labels'", "dataset");
        }
        TrainingRequests.requireKnown(request.dataset().unknown(), "dataset");
        ParsedRows ood = null;
        if (request.outOfDistribution() != null) {
            TrainingRequests.requireKnown(request.outOfDistribution().unknown(), "outOfDistribution");
            ood = request.outOfDistribution().features();
            if (ood == null) {
                ood = ParsedRows.of(new double[0][]);
            }
        }
        Double target = target(targetAccuracy, request.targetAccuracy());
        return service.evaluate(name, version, new EvaluationService.Input(request.dataset().features(),
                request.dataset().labels(), ood, "dataset.features", "dataset.labels", "outOfDistribution.features"),
                mcSamples, seed, target);
    }

    /** The multipart variant of {@link #evaluateModelVersion}; documented there. */
    @io.swagger.v3.oas.annotations.Hidden
    @RequiresApiKey
    @PostMapping(path = "/models/{name}/versions/{version}/evaluate", consumes = MediaType.MULTIPART_FORM_DATA_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    public EvaluationView evaluateFromCsv(@PathVariable String name, @PathVariable int version,
                                          MultipartHttpServletRequest form,
                                          @RequestParam(required = false) Integer mcSamples,
                                          @RequestParam(required = false) Long seed) {
        for (String field : Collections.list(form.getParameterNames())) {
            if (!FORM_FIELDS.contains(field) && !field.equals("mcSamples") && !field.equals("seed")) {
                throw TrainingRequests.invalidRequest("unknown form field '" + CsvDatasetReader.abbreviate(field)
                        + "'; the form takes parts data and outOfDistribution and fields labelColumn and targetAccuracy",
                        CsvDatasetReader.abbreviate(field));
            }
        }
        for (String part : form.getFileMap().keySet()) {
            if (!FORM_FILES.contains(part)) {
                throw TrainingRequests.invalidRequest("unknown form part '" + CsvDatasetReader.abbreviate(part)
                        + "'; the form takes parts data and outOfDistribution", CsvDatasetReader.abbreviate(part));
            }
        }
        String labelColumn = form.getParameter("labelColumn");
        Double target = null;
        String targetText = form.getParameter("targetAccuracy");
        if (targetText != null && !targetText.isBlank()) {
            try {
                target = Double.parseDouble(targetText.trim());
            } catch (NumberFormatException e) {
                throw Charts.invalid("targetAccuracy", "targetAccuracy must be a number in (0, 1], got '"
                        + CsvDatasetReader.abbreviate(targetText) + "'");
            }
        }
        MultipartFile data = form.getFile("data");
        if (data == null) {
            throw TrainingRequests.invalidRequest("the form needs a CSV file part 'data' (curl -F data=@file.csv)", "data");
        }
        CsvDatasetReader.Parsed parsed;
        try (InputStream in = data.getInputStream()) {
            parsed = csv.read(in, labelColumn);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        double[][] ood = null;
        MultipartFile oodPart = form.getFile("outOfDistribution");
        if (oodPart != null) {
            try (InputStream in = oodPart.getInputStream()) {
                ood = csv.readFeatures(in, parsed.labelColumn()).features();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return service.evaluate(name, version, new EvaluationService.Input(ParsedRows.of(parsed.features()),
                parsed.labels(), ood == null ? null : ParsedRows.of(ood), "data", "data.labels", "outOfDistribution"),
                mcSamples, seed, target);
    }

    @Operation(operationId = "getEvaluation", summary = "A recent evaluation",
            description = "The answer of a recent evaluateModelVersion (the newest mcdropout.evaluation.retained are kept in memory).")
    @ApiResponse(responseCode = "200", description = "The evaluation")
    @ApiResponse(responseCode = "404", description = "No such evaluation, or it is no longer kept")
    @GetMapping(path = "/evaluations/{id}", produces = MediaType.APPLICATION_JSON_VALUE)
    public EvaluationView getEvaluation(@Parameter(description = "Evaluation id") @PathVariable String id) {
        return stored(id).view();
    }

    @Operation(operationId = "plotEvaluation", summary = "Plot of a recent evaluation",
            description = """
                    kind=reliability: reliability diagram (accuracy against mean confidence per non-empty bin of the \
                    15 equal-width bins, deterministic and Monte Carlo, with the diagonal of perfect calibration). \
                    kind=risk-coverage: error rate of the kept rows against the share kept, most certain first, per \
                    Monte Carlo uncertainty measure and for the deterministic 1 - max probability. PNG by default \
                    (800 x 500), SVG with format=svg.""")
    @ApiResponse(responseCode = "200", description = "The image", content = {
            @Content(mediaType = "image/png", schema = @Schema(type = "string", format = "binary")),
            @Content(mediaType = Charts.SVG, schema = @Schema(type = "string", format = "binary"))})
    @ApiResponse(responseCode = "400", description = "Unknown kind or format, or a size out of range")
    @ApiResponse(responseCode = "404", description = "No such evaluation")
    @GetMapping(path = "/evaluations/{id}/plots/{kind}", produces = {"image/png", Charts.SVG})
    public ResponseEntity<byte[]> plotEvaluation(
            @Parameter(description = "Evaluation id") @PathVariable String id,
            @Parameter(description = "reliability or risk-coverage", schema = @Schema(allowableValues = {"reliability", "risk-coverage"}))
            @PathVariable String kind,
            @Parameter(description = "png (default) or svg", schema = @Schema(allowableValues = {"png", "svg"})) @RequestParam(required = false) String format,
            @Parameter(description = PLOT_SIZE_DOC) @RequestParam(required = false) Integer width,
            @Parameter(description = PLOT_SIZE_DOC) @RequestParam(required = false) Integer height) {
        Charts.Format f = Charts.Format.of(format, width, height);
        EvaluationService.Stored stored = stored(id);
        String subject = stored.view().model().name() + " v" + stored.view().model().version();
        return plot(stored.report(), kind, f, subject, "evaluation-" + id);
    }

    @Operation(operationId = "plotModelVersionEvaluation", summary = "Plot of a version's stored validation report",
            description = "As plotEvaluation, for the evaluation report a training job stored with the version.")
    @ApiResponse(responseCode = "200", description = "The image", content = {
            @Content(mediaType = "image/png", schema = @Schema(type = "string", format = "binary")),
            @Content(mediaType = Charts.SVG, schema = @Schema(type = "string", format = "binary"))})
    @ApiResponse(responseCode = "400", description = "Unknown kind or format, or a size out of range")
    @ApiResponse(responseCode = "404", description = "No such model or version, or the version has no stored report")
    @GetMapping(path = "/models/{name}/versions/{version}/evaluation/plots/{kind}", produces = {"image/png", Charts.SVG})
    public ResponseEntity<byte[]> plotModelVersionEvaluation(
            @Parameter(description = NAME_DOC, example = "digits", schema = @Schema(pattern = ModelNames.REGEX, maxLength = 64)) @PathVariable String name,
            @Parameter(description = "Version number", example = "1", schema = @Schema(type = "integer", format = "int32", minimum = "1")) @PathVariable int version,
            @Parameter(description = "reliability or risk-coverage", schema = @Schema(allowableValues = {"reliability", "risk-coverage"}))
            @PathVariable String kind,
            @Parameter(description = "png (default) or svg", schema = @Schema(allowableValues = {"png", "svg"})) @RequestParam(required = false) String format,
            @Parameter(description = PLOT_SIZE_DOC) @RequestParam(required = false) Integer width,
            @Parameter(description = PLOT_SIZE_DOC) @RequestParam(required = false) Integer height) {
        Charts.Format f = Charts.Format.of(format, width, height);
        EvaluationReport report = registry.evaluation(name, version).orElseThrow(() -> ProblemException.notFound(
                "no-evaluation", "Version has no evaluation report", "model '" + name + "' version " + version
                        + " has no stored evaluation report (imported, or trained without a validation split); "
                        + "evaluate it with POST /models/" + name + "/versions/" + version + "/evaluate"));
        return plot(report, kind, f, name + " v" + version + " validation", name + "-" + version + "-" + kind);
    }

    private static ResponseEntity<byte[]> plot(EvaluationReport report, String kind, Charts.Format f, String subject,
                                               String filename) {
        return switch (kind) {
            case "reliability" -> Charts.respond(ReportCharts.reliability(report, f, subject), f, filename + "-reliability");
            case "risk-coverage" -> Charts.respond(ReportCharts.riskCoverage(report, f, subject), f, filename + "-risk-coverage");
            default -> throw Charts.invalid("kind", "plot kind must be reliability or risk-coverage, got '"
                    + Charts.abbreviate(kind) + "'");
        };
    }

    private EvaluationService.Stored stored(String id) {
        return service.find(id).orElseThrow(() -> ProblemException.notFound("unknown-evaluation", "Unknown evaluation",
                "there is no recent evaluation '" + Charts.abbreviate(id) + "' (only the newest "
                        + "mcdropout.evaluation.retained are kept); evaluate again"));
    }

    private static Double target(Double query, Double body) {
        if (query != null && body != null && !query.equals(body)) {
            throw Charts.invalid("targetAccuracy", "targetAccuracy is given as a query parameter (" + query
                    + ") and in the body (" + body + "); give it once");
        }
        return query != null ? query : body;
    }
}
