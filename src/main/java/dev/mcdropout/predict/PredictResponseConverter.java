package dev.mcdropout.predict;

import dev.mcdropout.predict.PredictDtos.Prediction;
import dev.mcdropout.predict.PredictDtos.PredictResponse;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import org.springframework.http.HttpInputMessage;
import org.springframework.http.HttpOutputMessage;
import org.springframework.http.MediaType;
import org.springframework.http.converter.AbstractHttpMessageConverter;
import org.springframework.http.converter.HttpMessageNotReadableException;
import tools.jackson.core.JsonGenerator;
import tools.jackson.databind.json.JsonMapper;

/**
 * Writes {@link PredictResponse} field by field through the application's own {@link JsonGenerator}: the same
 * bytes as Jackson's bean serialization of the records (same order, {@code NON_NULL} for the score arrays, the
 * same number formatting and string escaping, since the generator is the mapper's), without its per-request
 * serializer lookups and property writers, which cost as much as the rest of a one-row answer's writing
 * (docs/performance.md, "Where a request's time goes"). {@code PredictResponseConverterTest} holds the two
 * equal. The answer is written to memory first, so that it goes out with a Content-Length, as the buffered
 * default did.
 */
final class PredictResponseConverter extends AbstractHttpMessageConverter<PredictResponse> {

    private final JsonMapper json;

    PredictResponseConverter(JsonMapper json) {
        super(MediaType.APPLICATION_JSON);
        this.json = json;
    }

    @Override
    protected boolean supports(Class<?> type) {
        return PredictResponse.class == type;
    }

    @Override
    public boolean canRead(Class<?> type, MediaType mediaType) {
        return false;
    }

    @Override
    protected PredictResponse readInternal(Class<? extends PredictResponse> type, HttpInputMessage input) {
        throw new HttpMessageNotReadableException("PredictResponse is never read", input);
    }

    @Override
    protected void writeInternal(PredictResponse response, HttpOutputMessage output) throws IOException {
        byte[] body = toBytes(response);
        output.getHeaders().setContentLength(body.length);
        output.getBody().write(body);
    }

    /** The answer as Jackson's bean serialization writes it, in UTF-8. */
    byte[] toBytes(PredictResponse response) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(256 + 512 * response.predictions().size());
        try (JsonGenerator g = json.createGenerator(bytes)) {
            write(g, response);
        }
        return bytes.toByteArray();
    }

    private static void write(JsonGenerator g, PredictResponse r) {
        g.writeStartObject();
        g.writeName("model");
        g.writeStartObject();
        g.writeStringProperty("name", r.model().name());
        g.writeNumberProperty("version", r.model().version());
        g.writeEndObject();
        g.writeNumberProperty("mcSamples", r.mcSamples());
        g.writeNumberProperty("seed", r.seed());
        g.writeName("classes");
        g.writeStartArray();
        for (String label : r.classes()) {
            g.writeString(label);
        }
        g.writeEndArray();
        g.writeName("predictions");
        g.writeStartArray();
        for (Prediction p : r.predictions()) {
            g.writeStartObject();
            g.writeStringProperty("predictedClass", p.predictedClass());
            array(g, "mean", p.mean());
            array(g, "std", p.std());
            g.writeNumberProperty("predictiveEntropy", p.predictiveEntropy());
            g.writeNumberProperty("mutualInformation", p.mutualInformation());
            g.writeNumberProperty("variationRatio", p.variationRatio());
            array(g, "scoresMean", p.scoresMean());
            array(g, "scoresStd", p.scoresStd());
            g.writeEndObject();
        }
        g.writeEndArray();
        g.writeEndObject();
    }

    /** A {@code double[]} property; absent when null, as {@code @JsonInclude(NON_NULL)} leaves it. */
    private static void array(JsonGenerator g, String name, double[] values) {
        if (values != null) {
            g.writeName(name);
            g.writeArray(values, 0, values.length);
        }
    }
}
