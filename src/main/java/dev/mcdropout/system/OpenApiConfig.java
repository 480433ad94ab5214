package dev.mcdropout.system;

import io.swagger.v3.core.converter.ModelConverters;
import io.swagger.v3.core.util.Json;
import io.swagger.v3.oas.models.Components;
import io.swagger.v3.oas.models.OpenAPI;
import io.swagger.v3.oas.models.info.Contact;
import io.swagger.v3.oas.models.info.Info;
import io.swagger.v3.oas.models.media.Content;
import io.swagger.v3.oas.models.media.MediaType;
import io.swagger.v3.oas.models.media.Schema;
import io.swagger.v3.oas.models.security.SecurityRequirement;
import io.swagger.v3.oas.models.security.SecurityScheme;
import io.swagger.v3.oas.models.responses.ApiResponse;
import org.springdoc.core.customizers.OpenApiCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The OpenAPI document at {@code /v3/api-docs}. Operation ids are set by hand on each endpoint so that
 * generated clients get stable method names; every 4xx/5xx response is documented as
 * {@code application/problem+json} with the {@link ApiProblem} schema.
 */
@Configuration(proxyBeanMethods = false)
public class OpenApiConfig {

    public static final String API_KEY_SCHEME = "apiKey";
    static final String OIP_ERROR = "OipError";

    @Bean
    OpenAPI mcDropoutOpenApi() {
        return new OpenAPI()
                .info(new Info()
                        .title("MC Dropout Service")
                        .version("v1")
                        .contact(new Contact().name("mc-dropout-service maintainers").url("https://mcdropout.dev"))
                        .description("""
                                Serves neural-network predictions that say how sure they are. POST /predict runs \
                                mcSamples stochastic forward passes with dropout left on (Monte Carlo dropout, \
                                Gal & Ghahramani 2016) and returns, per row, the mean and standard deviation of \
                                each class probability, the predictive entropy, the mutual information (the \
                                model's own, epistemic, uncertainty) and the variation ratio. Models are \
                                versioned, imported as zip artifacts and activated by an atomic swap. Errors are \
                                RFC 9457 problems (application/problem+json)."""))
                .components(new Components().addSecuritySchemes(API_KEY_SCHEME, new SecurityScheme()
                        .type(SecurityScheme.Type.APIKEY).in(SecurityScheme.In.HEADER).name(ApiKeyInterceptor.HEADER)
                        .description("Required by mutating endpoints when mcdropout.security.api-key is set; "
                                + "without a configured key they accept loopback clients only")));
    }

    /** Gives every error response the problem schema and media type, whatever the annotations said. */
    @Bean
    OpenApiCustomizer problemResponses() {
        return openApi -> {
            var resolved = ModelConverters.getInstance().readAllAsResolvedSchema(ApiProblem.class);
            openApi.getComponents().addSchemas("Problem", resolved.schema);
            Schema<?> ref = new Schema<>().$ref("#/components/schemas/Problem");
            if (openApi.getPaths() == null) {
                return;
            }
            // The Open Inference Protocol's endpoints answer errors as its own {"error": "..."} object.
            openApi.getComponents().addSchemas(OIP_ERROR, new Schema<>().type("object")
                    .description("Open Inference Protocol error ($inference_error_response): what went wrong and what to fix")
                    .addProperty("error", new Schema<>().type("string"))
                    .addRequiredItem("error"));
            Schema<?> oipRef = new Schema<>().$ref("#/components/schemas/" + OIP_ERROR);
            // Tensor data items are numbers, labels or (nested) rows: any JSON value, not "type: object".
            for (String tensor : new String[] {"OipRequestInput", "OipResponseOutput"}) {
                Schema<?> schema = openApi.getComponents().getSchemas() == null ? null
                        : openApi.getComponents().getSchemas().get(tensor);
                if (schema != null && schema.getProperties() != null && schema.getProperties().get("data") != null
                        && schema.getProperties().get("data").getItems() != null) {
                    schema.getProperties().get("data").getItems().setType(null);
                }
            }
            openApi.getPaths().forEach((path, item) -> item.readOperations().forEach(op -> {
                if (op.getResponses() == null) {
                    return;
                }
                boolean oip = path.equals("/v2") || path.startsWith("/v2/");
                Content errorContent = oip
                        ? new Content().addMediaType("application/json", new MediaType().schema(oipRef))
                        : new Content().addMediaType("application/problem+json", new MediaType().schema(ref));
                op.getResponses().forEach((code, response) -> {
                    if (code.startsWith("4") || code.startsWith("5")) {
                        // 503 of OIP readiness carries the readiness object, not an error
                        if (!(oip && code.equals("503") && path.endsWith("/ready"))) {
                            response.setContent(errorContent);
                        }
                    }
                });
                if (!op.getResponses().containsKey("500")) {
                    op.getResponses().addApiResponse("500", new ApiResponse().description("Unexpected failure")
                            .content(errorContent));
                }
                if (op.getResponses().containsKey("401") && (op.getSecurity() == null || op.getSecurity().isEmpty())) {
                    op.addSecurityItem(new SecurityRequirement().addList(API_KEY_SCHEME));
                }
            }));
        };
    }

    /**
     * A schema that is "one of" several shapes (e.g. {@code dropout}: a number or a list) must not also say
     * {@code type: object}, which swagger-core adds for the Java holder class: no value could match both, and
     * client generators follow the type.
     */
    @Bean
    OpenApiCustomizer untypedOneOf() {
        return openApi -> {
            if (openApi.getComponents() == null || openApi.getComponents().getSchemas() == null) {
                return;
            }
            openApi.getComponents().getSchemas().values().forEach(OpenApiConfig::dropTypeBesideOneOf);
        };
    }

    /**
     * A form schema beside another request media type is written inline, not as a {@code $ref}. Client
     * generators build an operation's typed method from its first media type (JSON for POST /train), yet some
     * (typescript-fetch 7.x) still import a model for a referenced form schema, which they never write, so the
     * client does not compile. The form keeps its own operation with the referenced schema (POST /train/csv).
     */
    @Bean
    OpenApiCustomizer inlineFormBesideOtherMediaTypes() {
        return openApi -> {
            if (openApi.getPaths() == null || openApi.getComponents() == null || openApi.getComponents().getSchemas() == null) {
                return;
            }
            var schemas = openApi.getComponents().getSchemas();
            openApi.getPaths().values().forEach(item -> item.readOperations().forEach(op -> {
                if (op.getRequestBody() == null || op.getRequestBody().getContent() == null
                        || op.getRequestBody().getContent().size() < 2) {
                    return;
                }
                op.getRequestBody().getContent().forEach((type, media) -> {
                    boolean form = type.startsWith("multipart/") || type.equals("application/x-www-form-urlencoded");
                    if (!form || media.getSchema() == null || media.getSchema().get$ref() == null) {
                        return;
                    }
                    String ref = media.getSchema().get$ref();
                    Schema<?> target = schemas.get(ref.substring(ref.lastIndexOf('/') + 1));
                    if (target != null) {
                        media.setSchema(Json.mapper().convertValue(target, Schema.class));
                    }
                });
            }));
        };
    }

    private static void dropTypeBesideOneOf(Schema<?> schema) {
        if (schema.getOneOf() != null && !schema.getOneOf().isEmpty() && "object".equals(schema.getType())) {
            schema.setType(null);
        }
        if (schema.getProperties() != null) {
            schema.getProperties().values().forEach(OpenApiConfig::dropTypeBesideOneOf);
        }
    }
}
