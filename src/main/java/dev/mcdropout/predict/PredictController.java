package dev.mcdropout.predict;

import dev.mcdropout.models.LoadedModel;
import dev.mcdropout.predict.PredictDtos.PredictRequest;
import dev.mcdropout.predict.PredictDtos.PredictResponse;
import dev.mcdropout.system.McDropoutMetrics;
import dev.mcdropout.system.McDropoutProperties;
import dev.mcdropout.system.ProblemException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.http.converter.HttpMessageNotReadableException;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

@Tag(name = "predict", description = "Predictions with Monte Carlo dropout uncertainty")
@RestController
public class PredictController {

    private final PredictService service;
    private final McDropoutMetrics metrics;
    private final String defaultModel;

    public PredictController(PredictService service, McDropoutMetrics metrics, McDropoutProperties properties) {
        this.service = service;
        this.metrics = metrics;
        this.defaultModel = properties.defaultModel();
    }

    @Operation(operationId = "predict", summary = "Predict with uncertainty",
            description = """
                    Runs mcSamples forward passes with dropout left on (Monte Carlo dropout, Gal & Ghahramani 2016) \
                    and returns per row the mean and population standard deviation of each class probability, the \
                    predictive entropy, the mutual information and the variation ratio (natural logarithms). \
                    mcSamples absent or 0 runs one deterministic pass (std 0, mutual information 0). mcSamples=auto \
                    samples each row in rounds (minSamples passes, then doubling up to maxSamples) until the standard \
                    error of each of its mean class probabilities is below tolerance, and says per row how many \
                    passes it took (samplesUsed). A row's dropout \
                    masks depend only on the seed and the row's own values: the same request computed on its own gets the \
                    same answer bit for bit, and a row sent with other rows, batched with other requests that arrive \
                    at the same moment, or to another machine, the same answer to floating-point rounding (within 1e-5). Limits: mcSamples <= mcdropout.limits.max-mc-samples (10000), rows <= \
                    mcdropout.limits.max-rows (10000), rows x mcSamples <= mcdropout.limits.max-row-samples (10^7), \
                    body <= mcdropout.limits.max-predict-body (16 MiB).""",
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true, content = @Content(
                    mediaType = MediaType.APPLICATION_JSON_VALUE, schema = @Schema(implementation = PredictRequest.class))))
    @ApiResponse(responseCode = "200", description = "One prediction per row, in request order")
    @ApiResponse(responseCode = "400", description = "Malformed JSON, a non-finite or non-numeric value, a value too large for the model to compute with, an invalid parameter, or a limit exceeded")
    @ApiResponse(responseCode = "404", description = "Unknown model or version, or the model has no active version")
    @ApiResponse(responseCode = "413", description = "Body larger than mcdropout.limits.max-predict-body")
    @ApiResponse(responseCode = "415", description = "Content-Type is not application/json")
    @ApiResponse(responseCode = "422", description = "A row's feature count differs from the model's")
    @ApiResponse(responseCode = "500", description = "The model computed a NaN or infinite value on this input (non-finite-result); no answer is served")
    @ApiResponse(responseCode = "503", description = "Busy (every prediction slot taken and the wait queue full, or no slot within mcdropout.predict.queue-timeout), or past mcdropout.predict.deadline (its work stopped); retry after Retry-After seconds",
            headers = @io.swagger.v3.oas.annotations.headers.Header(name = "Retry-After", description = "Seconds to wait",
                    schema = @io.swagger.v3.oas.annotations.media.Schema(type = "integer")))
    @PostMapping(path = "/predict", consumes = MediaType.APPLICATION_JSON_VALUE, produces = MediaType.APPLICATION_JSON_VALUE)
    public PredictResponse predict(
            @Parameter(hidden = true) HttpServletRequest request,
            @Parameter(description = "Stochastic forward passes; 0 or absent: one deterministic pass. Also accepts the "
                    + "string auto (not in this integer schema, so that generated clients keep an integer here): "
                    + "adaptive sampling, see tolerance; absent with tolerance, minSamples or maxSamples given also "
                    + "means auto", example = "100", schema = @Schema(type = "integer", format = "int32"))
            @RequestParam(required = false) String mcSamples,
            @Parameter(description = "Seed of the dropout masks (any 64-bit integer); absent: one is drawn and returned", example = "7")
            @RequestParam(required = false) Long seed,
            @Parameter(description = "NAME or NAME:VERSION; absent: the active version of the default model", example = "digits")
            @RequestParam(required = false) String model,
            @Parameter(description = "Extra fields: 'scores' adds scoresMean and scoresStd (raw class scores); e.g. include=scores")
            @RequestParam(required = false) List<String> include,
            @Parameter(description = "mcSamples=auto: a row stops once the standard error of each of its mean "
                    + "class probabilities, std / sqrt(passes - 1), is below this; 0.0001 to 0.5, default 0.01",
                    example = "0.01")
            @RequestParam(required = false) Double tolerance,
            @Parameter(description = "mcSamples=auto: passes every row takes before the first check; 2 to "
                    + "mcdropout.limits.max-mc-samples, default 50 (or maxSamples if smaller)", example = "50")
            @RequestParam(required = false) Integer minSamples,
            @Parameter(description = "mcSamples=auto: passes after which a row stops whatever its standard error; "
                    + "minSamples to mcdropout.limits.max-mc-samples, default 800 (or minSamples if larger); rows x "
                    + "maxSamples counts against mcdropout.limits.max-row-samples", example = "800")
            @RequestParam(required = false) Integer maxSamples) {
        long start = System.nanoTime();
        String[] modelTag = {"unknown"};
        String outcome = "server_error";
        try {
            boolean scores = parseInclude(include);
            PredictService.ModelSelector selector = PredictService.ModelSelector.parse(model, defaultModel);
            PredictService.Sampling sampling = service.sampling(mcSamples, tolerance, minSamples, maxSamples);
            int samples = sampling.mcSamples();
            // Admitted first: a pinned version's load, the rows read from the body and the engine's work all
            // happen within mcdropout.predict.max-concurrent.
            PredictResponse response = service.admitted(stop -> {
                LoadedModel resolved = service.resolve(selector);
                modelTag[0] = resolved.name();
                ParsedInstances rows = service.readInstances(request, resolved, sampling.budget());
                return sampling.adaptive() == null ? service.predict(resolved, rows, samples, seed, scores, stop)
                        : service.predictAdaptive(resolved, rows, sampling.adaptive(), seed, scores, stop);
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

    private static boolean parseInclude(List<String> include) {
        boolean scores = false;
        if (include != null) {
            for (String item : include) {
                if ("scores".equals(item)) {
                    scores = true;
                } else if (!item.isEmpty()) {
                    throw ProblemException.badRequest("invalid-parameter", "Invalid parameter",
                            "parameter 'include' accepts only 'scores', got '"
                                    + (item.length() > 40 ? item.substring(0, 40) + "..." : item) + "'");
                }
            }
        }
        return scores;
    }
}
