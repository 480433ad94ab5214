package dev.mcdropout.oip;

import dev.mcdropout.models.LoadedModel;
import dev.mcdropout.models.ModelNames;
import dev.mcdropout.models.ModelRegistry;
import dev.mcdropout.nn.Network;
import dev.mcdropout.nn.RowMatrix;
import dev.mcdropout.oip.OipDtos.InferenceRequest;
import dev.mcdropout.oip.OipDtos.InferenceResponse;
import dev.mcdropout.oip.OipDtos.ModelMetadata;
import dev.mcdropout.oip.OipDtos.ModelReady;
import dev.mcdropout.oip.OipDtos.ServerLive;
import dev.mcdropout.oip.OipDtos.ServerMetadata;
import dev.mcdropout.oip.OipDtos.ServerReady;
import dev.mcdropout.oip.OipDtos.TensorMetadata;
import dev.mcdropout.predict.PredictDtos.PredictResponse;
import dev.mcdropout.predict.PredictService;
import dev.mcdropout.system.McDropoutMetrics;
import dev.mcdropout.system.McDropoutProperties;
import dev.mcdropout.system.ProblemException;
import io.swagger.v3.oas.annotations.Hidden;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.PushbackInputStream;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.function.BooleanSupplier;
import java.util.Map;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.availability.ApplicationAvailability;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.boot.info.BuildProperties;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.http.server.ServletServerHttpRequest;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.json.JsonMapper;

/**
 * Open Inference Protocol V2 over REST (the protocol KServe, Triton and MLServer speak), as a thin adapter:
 * models come from the {@link ModelRegistry}, inference goes through {@link PredictService}, so limits,
 * admission and metrics are those of {@code POST /predict}. Errors are {@code {"error": "..."}} as the protocol
 * asks ({@link OipErrors}), not problems.
 */
@Tag(name = "oip", description = "Open Inference Protocol V2 (REST): the predict endpoint for KServe/Triton-style clients")
@RestController
public class OipController {

    static final String INPUT = "input";
    static final String MEAN = "probabilities_mean";
    static final String STD = "probabilities_std";
    static final String ENTROPY = "predictive_entropy";
    static final String MUTUAL_INFORMATION = "mutual_information";
    static final String VARIATION_RATIO = "variation_ratio";
    static final String PREDICTED_CLASS = "predicted_class";
    static final List<String> OUTPUTS = List.of(MEAN, STD, ENTROPY, MUTUAL_INFORMATION, VARIATION_RATIO, PREDICTED_CLASS);
    static final String PLATFORM = "mcdropout_nd4j";

    private final PredictService service;
    private final ModelRegistry registry;
    private final McDropoutMetrics metrics;
    private final McDropoutProperties properties;
    private final ApplicationAvailability availability;
    private final String version;
    private final JsonMapper json = JsonMapper.builder().build();
    private final JsonMapper mapper;

    public OipController(PredictService service, ModelRegistry registry, McDropoutMetrics metrics,
                         McDropoutProperties properties, ApplicationAvailability availability,
                         ObjectProvider<BuildProperties> build, JsonMapper mapper) {
        this.mapper = mapper;
        this.service = service;
        this.registry = registry;
        this.metrics = metrics;
        this.properties = properties;
        this.availability = availability;
        BuildProperties info = build.getIfAvailable();
        this.version = info == null || info.getVersion() == null ? "unknown" : info.getVersion();
    }

    @Operation(operationId = "oipServerMetadata", summary = "OIP server metadata",
            description = "Name, version and extensions (mc_dropout: the mc_samples and seed parameters and the uncertainty outputs).")
    @ApiResponse(responseCode = "200", description = "Server metadata")
    @GetMapping(path = "/v2", produces = MediaType.APPLICATION_JSON_VALUE)
    public ServerMetadata serverMetadata() {
        return new ServerMetadata("mc-dropout-service", version, List.of("mc_dropout"));
    }

    /** The specification writes the path as {@code /v2/}; trailing slashes are not matched by default. */
    @Hidden
    @GetMapping(path = "/v2/", produces = MediaType.APPLICATION_JSON_VALUE)
    public ServerMetadata serverMetadataSlash() {
        return serverMetadata();
    }

    @Operation(operationId = "oipServerLive", summary = "OIP server live", description = "200 while the process answers; same as /actuator/health/liveness.")
    @ApiResponse(responseCode = "200", description = "Live")
    @GetMapping(path = "/v2/health/live", produces = MediaType.APPLICATION_JSON_VALUE)
    public ServerLive live() {
        return new ServerLive(true);
    }

    @Operation(operationId = "oipServerReady", summary = "OIP server ready",
            description = "200 once a model is active and the application accepts traffic (as /actuator/health/readiness), else 503.")
    @ApiResponse(responseCode = "200", description = "Ready")
    @ApiResponse(responseCode = "503", description = "Not ready yet (the default model is still training, or no model is active)")
    @GetMapping(path = "/v2/health/ready", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<ServerReady> ready() {
        boolean ready = availability.getReadinessState() == ReadinessState.ACCEPTING_TRAFFIC && registry.anyActive();
        return ResponseEntity.status(ready ? HttpStatus.OK : HttpStatus.SERVICE_UNAVAILABLE).body(new ServerReady(ready, true));
    }

    @Operation(operationId = "oipModelMetadata", summary = "OIP model metadata (active version)",
            description = "Inputs [-1, features] FP32; outputs probabilities_mean and probabilities_std FP32 [-1, classes], "
                    + "predictive_entropy, mutual_information, variation_ratio FP32 [-1], predicted_class BYTES [-1].")
    @ApiResponse(responseCode = "200", description = "Model metadata")
    @ApiResponse(responseCode = "400", description = "Invalid model name")
    @ApiResponse(responseCode = "404", description = "Unknown model, or no active version")
    @GetMapping(path = "/v2/models/{name}", produces = MediaType.APPLICATION_JSON_VALUE)
    public ModelMetadata modelMetadata(@Parameter(example = "digits") @PathVariable String name) {
        return metadata(resolve(name, null));
    }

    @Operation(operationId = "oipModelVersionMetadata", summary = "OIP model metadata (one version)",
            description = "Open Inference Protocol model metadata of one version: inputs [-1, features] FP32 and the output tensors.")
    @ApiResponse(responseCode = "200", description = "Model metadata")
    @ApiResponse(responseCode = "400", description = "Invalid model name or version")
    @ApiResponse(responseCode = "404", description = "Unknown model or version")
    @GetMapping(path = "/v2/models/{name}/versions/{version}", produces = MediaType.APPLICATION_JSON_VALUE)
    public ModelMetadata modelVersionMetadata(@Parameter(example = "digits") @PathVariable String name,
                                              @Parameter(description = "Version number, e.g. 1") @PathVariable String version) {
        return metadata(resolve(name, version));
    }

    @Operation(operationId = "oipModelReady", summary = "OIP model ready (active version)",
            description = "200 {ready: true} when the model has an active version; 503 {ready: false} when it has versions but none is active.")
    @ApiResponse(responseCode = "200", description = "Ready")
    @ApiResponse(responseCode = "400", description = "Invalid model name")
    @ApiResponse(responseCode = "404", description = "Unknown model")
    @ApiResponse(responseCode = "503", description = "The model has no active version")
    @GetMapping(path = "/v2/models/{name}/ready", produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<ModelReady> modelReady(@Parameter(example = "digits") @PathVariable String name) {
        ModelNames.require(name);
        if (registry.active(name).isPresent()) {
            return ResponseEntity.ok(new ModelReady(name, true));
        }
        registry.versions(name); // 404 for an unknown model
        return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).body(new ModelReady(name, false));
    }

    @Operation(operationId = "oipModelVersionReady", summary = "OIP model ready (one version)",
            description = "200 {ready: true} for a stored version: any stored version can be served.")
    @ApiResponse(responseCode = "200", description = "Ready")
    @ApiResponse(responseCode = "400", description = "Invalid model name or version")
    @ApiResponse(responseCode = "404", description = "Unknown model or version")
    @GetMapping(path = "/v2/models/{name}/versions/{version}/ready", produces = MediaType.APPLICATION_JSON_VALUE)
    public ModelReady modelVersionReady(@Parameter(example = "digits") @PathVariable String name,
                                        @Parameter(description = "Version number, e.g. 1") @PathVariable String version) {
        resolve(name, version);
        return new ModelReady(name, true);
    }

    @Operation(operationId = "oipInfer", summary = "OIP inference (active version)",
            description = """
                    One FP32 input of shape [B, features], data flat or nested. Top-level parameters mc_samples (integer, \
                    absent or 0: one deterministic pass) and seed (any 64-bit integer; absent: drawn) as in POST /predict; the \
                    response's parameters hold the values used. Outputs: probabilities_mean and probabilities_std FP32 \
                    [B, classes], predictive_entropy, mutual_information, variation_ratio FP32 [B], predicted_class BYTES \
                    [B]; a requested outputs list limits what is returned. Same limits, admission and metrics as POST \
                    /predict.""",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(content = @Content(
                    mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(implementation = InferenceRequest.class))))
    @ApiResponse(responseCode = "200", description = "The outputs")
    @ApiResponse(responseCode = "400", description = "Malformed request, wrong shape, datatype or data, unknown output, invalid parameter, or a limit exceeded")
    @ApiResponse(responseCode = "404", description = "Unknown model, or no active version")
    @ApiResponse(responseCode = "413", description = "Body larger than mcdropout.limits.max-predict-body")
    @ApiResponse(responseCode = "415", description = "Content-Type is not application/json")
    @ApiResponse(responseCode = "503", description = "Busy (every prediction slot taken and the wait queue full, or no slot within mcdropout.predict.queue-timeout), or past mcdropout.predict.deadline (its work stopped); retry after Retry-After seconds",
            headers = @io.swagger.v3.oas.annotations.headers.Header(name = "Retry-After", description = "Seconds to wait",
                    schema = @io.swagger.v3.oas.annotations.media.Schema(type = "integer")))
    @PostMapping(path = "/v2/models/{name}/infer", consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    public InferenceResponse infer(@Parameter(example = "digits") @PathVariable String name,
                                   @Parameter(hidden = true) HttpServletRequest request) {
        return inferTimed(name, null, request);
    }

    @Operation(operationId = "oipInferVersion", summary = "OIP inference (one version)",
            description = "As oipInfer, with the version given in the path.",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(content = @Content(
                    mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(implementation = InferenceRequest.class))))
    @ApiResponse(responseCode = "200", description = "The outputs")
    @ApiResponse(responseCode = "400", description = "Malformed request, wrong shape, datatype or data, unknown output, invalid parameter, or a limit exceeded")
    @ApiResponse(responseCode = "404", description = "Unknown model or version")
    @ApiResponse(responseCode = "413", description = "Body larger than mcdropout.limits.max-predict-body")
    @ApiResponse(responseCode = "415", description = "Content-Type is not application/json")
    @ApiResponse(responseCode = "503", description = "Busy (every prediction slot taken and the wait queue full, or no slot within mcdropout.predict.queue-timeout), or past mcdropout.predict.deadline (its work stopped); retry after Retry-After seconds",
            headers = @io.swagger.v3.oas.annotations.headers.Header(name = "Retry-After", description = "Seconds to wait",
                    schema = @io.swagger.v3.oas.annotations.media.Schema(type = "integer")))
    @PostMapping(path = "/v2/models/{name}/versions/{version}/infer", consumes = MediaType.APPLICATION_JSON_VALUE,
            produces = MediaType.APPLICATION_JSON_VALUE)
    public InferenceResponse inferVersion(@Parameter(example = "digits") @PathVariable String name,
                                          @Parameter(description = "Version number, e.g. 1") @PathVariable String version,
                                          @Parameter(hidden = true) HttpServletRequest request) {
        return inferTimed(name, version, request);
    }

    /** Anything else under /v2 gets the protocol's error object rather than a problem. */
    @Hidden
    @RequestMapping(path = "/v2/**")
    public void unknown(HttpServletRequest request) {
        if ("POST".equals(request.getMethod()) && request.getRequestURI().endsWith("/infer")) {
            // an infer path whose mapping did not match only because of the body's media type
            throw new ProblemException(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "unsupported-media-type",
                    "Unsupported media type", "Content-Type "
                    + (request.getContentType() == null ? "(none)" : abbreviate(request.getContentType()))
                    + " is not accepted here; send application/json", List.of());
        }
        throw ProblemException.notFound("not-found", "Not found", "no Open Inference Protocol endpoint "
                + request.getMethod() + " " + abbreviate(request.getRequestURI())
                + "; see GET /v2 and /v2/models/{name}[/versions/{version}][/ready|/infer]");
    }

    private InferenceResponse inferTimed(String name, String version, HttpServletRequest http) {
        long start = System.nanoTime();
        String[] modelTag = {"unknown"};
        String outcome = "server_error";
        try {
            // Admitted first, as POST /predict: a pinned version's load and the tensor read from the body count
            // against mcdropout.predict.max-concurrent.
            InferenceResponse response = service.admitted(stop -> {
                LoadedModel model = resolve(name, version);
                modelTag[0] = model.name();
                return infer(model, read(http, model), stop);
            });
            outcome = "success";
            return response;
        } catch (ProblemException e) {
            outcome = e.status().is4xxClientError() ? "client_error" : "server_error";
            throw e;
        } catch (HttpMessageNotReadableException e) {
            outcome = "client_error";
            throw e;
        } finally {
            metrics.recordPredictLatency(modelTag[0], outcome, System.nanoTime() - start);
        }
    }

    /** The body, with the input's data bounded by the model's width and max-rows while it is parsed; null if empty. */
    private OipDtos.InferenceBody read(HttpServletRequest http, LoadedModel model) {
        ServletServerHttpRequest message = new ServletServerHttpRequest(http);
        try {
            PushbackInputStream in = new PushbackInputStream(http.getInputStream(), 1);
            int first = in.read();
            if (first < 0) {
                return null;
            }
            in.unread(first);
            return mapper.readerFor(OipDtos.InferenceBody.class)
                    .withAttribute(TensorDataDeserializer.Bounds.class, new TensorDataDeserializer.Bounds(
                            model.network().inputs(), properties.limits().maxRows()))
                    .readValue(in);
        } catch (JacksonException e) {
            throw new HttpMessageNotReadableException("JSON parse error: " + e.getOriginalMessage(), e, message);
        } catch (IOException e) {
            throw new HttpMessageNotReadableException("I/O error while reading the body: " + e.getMessage(), e, message);
        }
    }

    private InferenceResponse infer(LoadedModel model, OipDtos.InferenceBody request, BooleanSupplier stop) {
        if (request == null) {
            throw OipRequests.invalid("the request needs a JSON body: {\"inputs\": [{\"name\": \"" + INPUT
                    + "\", \"shape\": [1, " + model.network().inputs() + "], \"datatype\": \"FP32\", \"data\": [...]}]}");
        }
        Network network = model.network();
        List<String> outputs = OipRequests.outputs(request.outputs(), OUTPUTS);
        Integer mcSamples = OipRequests.mcSamples(request.parameters(), properties.limits().maxMcSamples());
        Long seed = OipRequests.seed(request.parameters());
        RowMatrix rows = OipRequests.rows(request.inputs(), network.inputs(), properties.limits().maxRows(),
                model.name() + "' version " + model.version());
        PredictResponse answer = service.predictRows(model, rows, mcSamples == null ? 0 : mcSamples, seed, false, stop);

        int b = answer.predictions().size();
        long classes = answer.classes().size();
        List<OipDtos.ResponseOutput> tensors = new ArrayList<>(outputs.size());
        for (String output : outputs) {
            tensors.add(switch (output) {
                case MEAN -> fp32(MEAN, List.of((long) b, classes), answer, p -> p.mean());
                case STD -> fp32(STD, List.of((long) b, classes), answer, p -> p.std());
                case ENTROPY -> fp32(ENTROPY, List.of((long) b), answer, p -> new double[] {p.predictiveEntropy()});
                case MUTUAL_INFORMATION -> fp32(MUTUAL_INFORMATION, List.of((long) b), answer,
                        p -> new double[] {p.mutualInformation()});
                case VARIATION_RATIO -> fp32(VARIATION_RATIO, List.of((long) b), answer,
                        p -> new double[] {p.variationRatio()});
                case PREDICTED_CLASS -> new OipDtos.ResponseOutput(PREDICTED_CLASS, List.of((long) b), "BYTES",
                        answer.predictions().stream().map(p -> p.predictedClass()).toList());
                default -> throw new IllegalStateException(output);
            });
        }
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("mc_samples", answer.mcSamples());
        parameters.put("seed", answer.seed());
        return new InferenceResponse(model.name(), Integer.toString(model.version()), request.id(), parameters, tensors);
    }

    /** Row-major FP32: doubles narrowed to float, as the datatype says. */
    private static OipDtos.ResponseOutput fp32(String name, List<Long> shape, PredictResponse answer,
                                               java.util.function.Function<dev.mcdropout.predict.PredictDtos.Prediction, double[]> field) {
        int per = field.apply(answer.predictions().get(0)).length;
        float[] data = new float[answer.predictions().size() * per];
        int i = 0;
        for (var p : answer.predictions()) {
            for (double v : field.apply(p)) {
                data[i++] = (float) v;
            }
        }
        return new OipDtos.ResponseOutput(name, shape, "FP32", data);
    }

    private ModelMetadata metadata(LoadedModel model) {
        Network network = model.network();
        long classes = network.classes().size();
        List<TensorMetadata> outputs = List.of(
                new TensorMetadata(MEAN, "FP32", List.of(-1L, classes)),
                new TensorMetadata(STD, "FP32", List.of(-1L, classes)),
                new TensorMetadata(ENTROPY, "FP32", List.of(-1L)),
                new TensorMetadata(MUTUAL_INFORMATION, "FP32", List.of(-1L)),
                new TensorMetadata(VARIATION_RATIO, "FP32", List.of(-1L)),
                new TensorMetadata(PREDICTED_CLASS, "BYTES", List.of(-1L)));
        Map<String, String> props = new LinkedHashMap<>();
        props.put("classes", json.writeValueAsString(network.classes()));
        props.put("version", Integer.toString(model.version()));
        registry.active(model.name()).ifPresent(a -> props.put("active_version", Integer.toString(a.version())));
        props.put("max_mc_samples", Integer.toString(properties.limits().maxMcSamples()));
        List<String> versions = registry.versions(model.name()).stream().map(String::valueOf).toList();
        return new ModelMetadata(model.name(), versions, PLATFORM,
                List.of(new TensorMetadata(INPUT, "FP32", List.of(-1L, (long) network.inputs()))), outputs, props);
    }

    private LoadedModel resolve(String name, String version) {
        Integer parsed = null;
        if (version != null) {
            if (!version.matches("[1-9][0-9]{0,8}")) {
                throw OipRequests.invalid("the model version in the path must be a positive integer, got '"
                        + abbreviate(version) + "'");
            }
            parsed = Integer.parseInt(version);
        }
        return service.resolve(new PredictService.ModelSelector(name, parsed));
    }

    static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 80) + "...";
    }
}
