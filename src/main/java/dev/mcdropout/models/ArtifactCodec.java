package dev.mcdropout.models;

import dev.mcdropout.nn.Activation;
import dev.mcdropout.nn.Layer;
import dev.mcdropout.nn.Network;
import dev.mcdropout.nn.Standardization;
import dev.mcdropout.nn.TrainingHistory;
import dev.mcdropout.nn.artifact.ModelArtifact;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads and writes model zips. TEMPORARY format (one model.json entry) until the engine's
 * {@code ModelArtifacts} reader and writer land; then this delegates to them.
 */
public class ArtifactCodec {

    /** The zip is not a valid model artifact; the message says why, for the client. */
    public static final class InvalidArtifact extends RuntimeException {
        public InvalidArtifact(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    public void write(ModelArtifact artifact, OutputStream out) throws IOException {
        Network n = artifact.network();
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("classes", n.classes());
        doc.put("inputDropout", n.inputDropout());
        doc.put("mean", n.standardization().mean());
        doc.put("std", n.standardization().std());
        List<Map<String, Object>> layers = new ArrayList<>();
        for (Layer l : n.layers()) {
            layers.add(Map.of("weights", l.weights().toDoubleMatrix(), "bias", l.bias().toDoubleVector(),
                    "activation", l.activation().jsonName(), "dropout", l.dropout()));
        }
        doc.put("layers", layers);
        doc.put("hyperparameters", artifact.hyperparameters());
        if (artifact.history() != null) {
            doc.put("history", artifact.history());
        }
        doc.put("metrics", artifact.metrics());
        doc.put("createdAt", artifact.createdAt().toString());
        ZipOutputStream zip = new ZipOutputStream(out);
        zip.putNextEntry(new ZipEntry("model.json"));
        zip.write(JSON.writeValueAsBytes(doc));
        zip.closeEntry();
        zip.finish();
        zip.flush();
    }

    @SuppressWarnings("unchecked")
    public ModelArtifact read(InputStream in) {
        try {
            ZipInputStream zip = new ZipInputStream(in);
            ZipEntry entry = zip.getNextEntry();
            if (entry == null || !entry.getName().equals("model.json")) {
                throw new InvalidArtifact("the zip has no model.json entry", null);
            }
            Map<String, Object> doc = JSON.readValue(zip.readNBytes(64 << 20), Map.class);
            List<Layer> layers = new ArrayList<>();
            for (Map<String, Object> l : (List<Map<String, Object>>) doc.get("layers")) {
                double[][] w = JSON.convertValue(l.get("weights"), double[][].class);
                double[] b = JSON.convertValue(l.get("bias"), double[].class);
                layers.add(new Layer(Nd4j.create(w).castTo(DataType.FLOAT),
                        Nd4j.create(b, new long[] {1, b.length}, DataType.FLOAT),
                        Activation.fromJsonName((String) l.get("activation")), ((Number) l.get("dropout")).doubleValue()));
            }
            Network network = new Network(layers, ((Number) doc.get("inputDropout")).doubleValue(),
                    new Standardization(JSON.convertValue(doc.get("mean"), double[].class),
                            JSON.convertValue(doc.get("std"), double[].class)),
                    (List<String>) doc.get("classes"));
            TrainingHistory history = doc.get("history") == null ? null
                    : JSON.convertValue(doc.get("history"), TrainingHistory.class);
            Map<String, Double> metrics = new LinkedHashMap<>();
            ((Map<String, Object>) doc.getOrDefault("metrics", Map.of())).forEach((k, v) ->
                    metrics.put(k, ((Number) v).doubleValue()));
            return new ModelArtifact(network, (Map<String, Object>) doc.getOrDefault("hyperparameters", Map.of()),
                    history, metrics, Instant.parse((String) doc.get("createdAt")));
        } catch (InvalidArtifact e) {
            throw e;
        } catch (Exception e) {
            throw new InvalidArtifact(String.valueOf(e.getMessage()), e);
        }
    }
}
