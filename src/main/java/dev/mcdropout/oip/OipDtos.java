package dev.mcdropout.oip;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.swagger.v3.oas.annotations.media.ArraySchema;
import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.annotation.JsonDeserialize;

/**
 * JSON shapes of the Open Inference Protocol V2 REST API, named as the specification names them
 * (kserve/open-inference-protocol, specification/protocol/inference_rest.md).
 */
public final class OipDtos {

    private OipDtos() {
    }

    @Schema(name = "OipInferenceRequest", description = "$inference_request: one FP32 input tensor [B, features]; "
            + "parameters mc_samples and seed (integers) set the Monte Carlo passes")
    public record InferenceRequest(
            @Schema(description = "Echoed in the response", example = "42") String id,
            @Schema(description = "mc_samples: stochastic passes (absent or 0: one deterministic pass); seed: any 64-bit integer (absent: drawn and returned)") Map<String, Object> parameters,
            @Schema(requiredMode = Schema.RequiredMode.REQUIRED) List<RequestInput> inputs,
            @Schema(description = "Outputs to return; absent or empty: all") List<RequestOutput> outputs) {
    }

    @Schema(name = "OipRequestInput", description = "$request_input")
    public record RequestInput(
            @Schema(example = "input", requiredMode = Schema.RequiredMode.REQUIRED) String name,
            @Schema(description = "[B, features]", example = "[1, 64]", requiredMode = Schema.RequiredMode.REQUIRED) List<Long> shape,
            @Schema(description = "FP32 (FP64 is accepted too)", example = "FP32", requiredMode = Schema.RequiredMode.REQUIRED) String datatype,
            Map<String, Object> parameters,
            @ArraySchema(arraySchema = @Schema(description = "Row-major numbers, flat (B x features numbers) or nested (B arrays of features numbers)",
                    requiredMode = Schema.RequiredMode.REQUIRED, example = "[0, 0, 5, 13, 9, 1, 0, 0]"),
                    schema = @Schema(description = "A number, or for nested data one row: an array of numbers"))
            List<Object> data) {
    }

    @Schema(name = "OipRequestOutput", description = "$request_output")
    public record RequestOutput(@Schema(example = "probabilities_mean", requiredMode = Schema.RequiredMode.REQUIRED) String name,
                                // bounded while read, as the request's parameters
                                @JsonDeserialize(using = OipBodies.ParametersDeserializer.class)
                                Map<String, Object> parameters) {
    }

    @Schema(name = "OipInferenceResponse", description = "$inference_response")
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record InferenceResponse(
            @JsonProperty("model_name") @Schema(example = "digits") String modelName,
            @JsonProperty("model_version") @Schema(example = "1") String modelVersion,
            @Schema(description = "The request's id, if it had one", example = "42") String id,
            @Schema(description = "mc_samples and seed as used; send the seed back to reproduce the answer") Map<String, Object> parameters,
            List<ResponseOutput> outputs) {
    }

    @Schema(name = "OipResponseOutput", description = "$response_output: FP32 numbers or, for predicted_class, BYTES (class labels)")
    public record ResponseOutput(
            @Schema(example = "probabilities_mean") String name,
            @Schema(example = "[1, 10]") List<Long> shape,
            @Schema(example = "FP32") String datatype,
            @ArraySchema(arraySchema = @Schema(description = "Row-major, flat"),
                    schema = @Schema(description = "A number (FP32) or a class label (BYTES)")) Object data) {
    }

    @Schema(name = "OipServerMetadata", description = "$metadata_server_response")
    public record ServerMetadata(@Schema(example = "mc-dropout-service") String name,
                                 @Schema(example = "0.1.0-SNAPSHOT") String version,
                                 List<String> extensions) {
    }

    @Schema(name = "OipTensorMetadata", description = "$metadata_tensor; -1 is a variable dimension")
    public record TensorMetadata(String name, String datatype, List<Long> shape) {
    }

    @Schema(name = "OipModelMetadata", description = "$metadata_model_response")
    public record ModelMetadata(
            @Schema(example = "digits") String name,
            @Schema(description = "Stored versions, each servable at /v2/models/{name}/versions/{version}", example = "[\"1\", \"2\"]")
            List<String> versions,
            @Schema(example = "mcdropout_nd4j") String platform,
            List<TensorMetadata> inputs,
            List<TensorMetadata> outputs,
            @Schema(description = "Strings: classes (a JSON array, the column order of the probabilities), "
                    + "version (described here), active_version, max_mc_samples") Map<String, String> properties) {
    }

    @Schema(name = "OipServerLive", description = "$live_server_response")
    public record ServerLive(boolean live) {
    }

    /** The specification's text names the field "live" (a slip); KServe and Triton clients read "ready": both. */
    @Schema(name = "OipServerReady", description = "Server ready: ready (as implementations answer) and live (as the specification's text writes it)")
    public record ServerReady(boolean ready, boolean live) {
    }

    @Schema(name = "OipModelReady", description = "$ready_model_response")
    public record ModelReady(String name, boolean ready) {
    }

    @Schema(name = "OipError", description = "$inference_error_response: what went wrong and what to fix")
    public record OipError(@Schema(example = "input 'input' has 63 numbers per row; model 'digits' version 1 takes 64") String error) {
    }

    /**
     * An inference request as it is read ({@link InferenceRequest} is its documented shape): the input's
     * {@code data} straight into a bounded block ({@link TensorDataDeserializer}), its {@code shape} kept to its
     * first dimensions ({@link OipBodies.ShapeDeserializer}), its {@code outputs} to the entries that decide the answer
     * ({@link OipBodies.OutputsDeserializer}).
     */
    record InferenceBody(String id,
                         @JsonDeserialize(using = OipBodies.ParametersDeserializer.class) Map<String, Object> parameters,
                         List<InputBody> inputs,
                         @JsonDeserialize(using = OipBodies.OutputsDeserializer.class) OipBodies.Outputs outputs) {
    }

    record InputBody(String name,
                     @JsonDeserialize(using = OipBodies.ShapeDeserializer.class) OipBodies.Shape shape,
                     String datatype,
                     @JsonDeserialize(using = OipBodies.ParametersDeserializer.class) Map<String, Object> parameters,
                     @JsonDeserialize(using = TensorDataDeserializer.class) TensorData data) {
    }
}
