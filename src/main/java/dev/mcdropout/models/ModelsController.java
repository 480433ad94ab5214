package dev.mcdropout.models;

import dev.mcdropout.models.ModelDtos.ModelSummary;
import dev.mcdropout.models.ModelDtos.ModelVersion;
import dev.mcdropout.system.OpenApiConfig;
import dev.mcdropout.system.RequiresApiKey;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Content;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.security.SecurityRequirement;
import io.swagger.v3.oas.annotations.tags.Tag;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import org.springframework.core.io.InputStreamResource;
import org.springframework.core.io.Resource;
import org.springframework.http.ContentDisposition;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.DeleteMapping;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.servlet.support.ServletUriComponentsBuilder;

@Tag(name = "models", description = "Stored model versions: list, inspect, import, activate, delete")
@RestController
public class ModelsController {

    private static final String NAME_DOC = "Model name: 1 to 64 characters of a-z, 0-9, '_' and '-', starting with a letter or digit";

    private final ModelRegistry registry;

    public ModelsController(ModelRegistry registry) {
        this.registry = registry;
    }

    @Operation(operationId = "listModels", summary = "List models",
            description = "Every stored model with its active version and stored versions.")
    @ApiResponse(responseCode = "200", description = "The models")
    @GetMapping(path = "/models", produces = MediaType.APPLICATION_JSON_VALUE)
    public List<ModelSummary> listModels() {
        ModelStore store = registry.store();
        List<ModelSummary> result = new ArrayList<>();
        for (String name : store.modelNames()) {
            OptionalInt active = registry.active(name).map(m -> OptionalInt.of(m.version())).orElse(OptionalInt.empty());
            result.add(new ModelSummary(name, active.isPresent() ? active.getAsInt() : null, store.versions(name)));
        }
        return result;
    }

    @Operation(operationId = "getModelVersion", summary = "Describe a model version",
            description = "Architecture, classes, hyperparameters, training history, validation metrics, "
                    + "creation time, the SHA-256 of the stored zip and, for versions trained by this service, the "
                    + "evaluation report of the validation split (deterministic and Monte Carlo: accuracy, NLL, "
                    + "Brier, ECE, misclassification AUROC and risk-coverage per uncertainty measure).")
    @ApiResponse(responseCode = "200", description = "The version's metadata")
    @ApiResponse(responseCode = "400", description = "Invalid name or version")
    @ApiResponse(responseCode = "404", description = "No such model or version")
    @GetMapping(path = "/models/{name}/versions/{version}", produces = MediaType.APPLICATION_JSON_VALUE)
    public ModelVersion getModelVersion(
            @Parameter(description = NAME_DOC, example = "digits", schema = @Schema(pattern = ModelNames.REGEX, maxLength = 64)) @PathVariable String name,
            @Parameter(description = "Version number", example = "1", schema = @Schema(type = "integer", format = "int32", minimum = "1")) @PathVariable int version) {
        LoadedModel model = registry.resolve(name, version);
        return describe(model, isActive(model));
    }

    @Operation(operationId = "activateModelVersion", summary = "Activate a model version",
            description = "Makes this version answer predictions that name no version. The switch is atomic: "
                    + "every prediction is answered entirely by the old or the new version.",
            security = @SecurityRequirement(name = OpenApiConfig.API_KEY_SCHEME))
    @ApiResponse(responseCode = "200", description = "The version, now active")
    @ApiResponse(responseCode = "400", description = "Invalid name or version")
    @ApiResponse(responseCode = "401", description = "API key missing")
    @ApiResponse(responseCode = "403", description = "API key wrong, or a remote client without a configured key")
    @ApiResponse(responseCode = "404", description = "No such model or version")
    @RequiresApiKey
    @PostMapping(path = "/models/{name}/versions/{version}/activate", produces = MediaType.APPLICATION_JSON_VALUE)
    public ModelVersion activateModelVersion(
            @Parameter(description = NAME_DOC, example = "digits", schema = @Schema(pattern = ModelNames.REGEX, maxLength = 64)) @PathVariable String name,
            @Parameter(description = "Version number", example = "1", schema = @Schema(type = "integer", format = "int32", minimum = "1")) @PathVariable int version) {
        return describe(registry.activate(name, version), true);
    }

    @Operation(operationId = "deleteModelVersion", summary = "Delete a model version",
            description = "Removes a stored version that is not active. Its number is never reused.",
            security = @SecurityRequirement(name = OpenApiConfig.API_KEY_SCHEME))
    @ApiResponse(responseCode = "204", description = "Deleted")
    @ApiResponse(responseCode = "400", description = "Invalid name or version")
    @ApiResponse(responseCode = "401", description = "API key missing")
    @ApiResponse(responseCode = "403", description = "API key wrong, or a remote client without a configured key")
    @ApiResponse(responseCode = "404", description = "No such model or version")
    @ApiResponse(responseCode = "409", description = "The version is active")
    @RequiresApiKey
    @DeleteMapping(path = "/models/{name}/versions/{version}")
    public ResponseEntity<Void> deleteModelVersion(
            @Parameter(description = NAME_DOC, example = "digits", schema = @Schema(pattern = ModelNames.REGEX, maxLength = 64)) @PathVariable String name,
            @Parameter(description = "Version number", example = "2", schema = @Schema(type = "integer", format = "int32", minimum = "1")) @PathVariable int version) {
        registry.delete(name, version);
        return ResponseEntity.noContent().build();
    }

    @Operation(operationId = "downloadArtifact", summary = "Download a model version's artifact",
            description = "The stored zip, exactly as the engine's artifact writer made it; it can be imported "
                    + "into another instance with importModel. It holds the model's weights, so it needs the API key "
                    + "like the mutating endpoints unless mcdropout.security.artifact-download-requires-key is false.",
            security = @SecurityRequirement(name = OpenApiConfig.API_KEY_SCHEME))
    @ApiResponse(responseCode = "200", description = "The zip",
            content = @Content(mediaType = "application/zip", schema = @Schema(type = "string", format = "binary")))
    @ApiResponse(responseCode = "400", description = "Invalid name or version")
    @ApiResponse(responseCode = "401", description = "API key missing")
    @ApiResponse(responseCode = "403", description = "API key wrong, or a remote client without a configured key")
    @ApiResponse(responseCode = "404", description = "No such model or version")
    @RequiresApiKey(RequiresApiKey.When.ARTIFACT_DOWNLOAD)
    @GetMapping(path = "/models/{name}/versions/{version}/artifact", produces = "application/zip")
    public ResponseEntity<Resource> downloadArtifact(
            @Parameter(description = NAME_DOC, example = "digits", schema = @Schema(pattern = ModelNames.REGEX, maxLength = 64)) @PathVariable String name,
            @Parameter(description = "Version number", example = "1", schema = @Schema(type = "integer", format = "int32", minimum = "1")) @PathVariable int version) throws IOException {
        long size = registry.store().exists(ModelNames.require(name), ModelNames.requireVersion(version))
                ? registry.store().size(name, version) : -1;
        InputStream in = registry.openArtifact(name, version);
        return ResponseEntity.ok()
                .contentType(MediaType.parseMediaType("application/zip"))
                .contentLength(size)
                .header(HttpHeaders.CONTENT_DISPOSITION,
                        ContentDisposition.attachment().filename(name + "-" + version + ".zip").build().toString())
                .body(new InputStreamResource(in));
    }

    @Operation(operationId = "importModel", summary = "Import a model artifact as the next version",
            description = "The body is a model zip as written by the engine (or downloaded with downloadArtifact). "
                    + "It is validated strictly before it is stored; the new version gets the next unused number. "
                    + "The first version of a new model is activated at once; later ones are activated with "
                    + "activateModelVersion.",
            security = @SecurityRequirement(name = OpenApiConfig.API_KEY_SCHEME),
            requestBody = @io.swagger.v3.oas.annotations.parameters.RequestBody(required = true,
                    content = @Content(mediaType = "application/zip", schema = @Schema(type = "string", format = "binary"))))
    @ApiResponse(responseCode = "201", description = "Imported; Location names the new version")
    @ApiResponse(responseCode = "400", description = "Invalid name or empty body")
    @ApiResponse(responseCode = "401", description = "API key missing")
    @ApiResponse(responseCode = "403", description = "API key wrong, or a remote client without a configured key")
    @ApiResponse(responseCode = "413", description = "Body larger than mcdropout.limits.max-artifact-body")
    @ApiResponse(responseCode = "415", description = "Content-Type is not application/zip")
    @ApiResponse(responseCode = "422", description = "The zip is not a valid model artifact")
    @RequiresApiKey
    @PostMapping(path = "/models/{name}/versions", consumes = {"application/zip", "application/octet-stream"},
            produces = MediaType.APPLICATION_JSON_VALUE)
    public ResponseEntity<ModelVersion> importModel(
            @Parameter(description = NAME_DOC, example = "digits", schema = @Schema(pattern = ModelNames.REGEX, maxLength = 64)) @PathVariable String name,
            @Parameter(hidden = true) HttpServletRequest request) throws IOException {
        ModelNames.require(name);
        LoadedModel model = registry.importArtifact(name, request.getInputStream());
        URI location = ServletUriComponentsBuilder.fromCurrentContextPath()
                .path("/models/{name}/versions/{version}").buildAndExpand(name, model.version()).toUri();
        return ResponseEntity.created(location).body(describe(model, isActive(model)));
    }

    private ModelVersion describe(LoadedModel model, boolean active) {
        return ModelVersion.of(model, active, registry.evaluation(model.name(), model.version()).orElse(null));
    }

    private boolean isActive(LoadedModel model) {
        return registry.active(model.name()).map(m -> m.version() == model.version()).orElse(false);
    }
}
