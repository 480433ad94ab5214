package dev.mcdropout.nn.artifact;

import java.io.ByteArrayOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import dev.mcdropout.nn.Activation;
import dev.mcdropout.nn.BatchNorm;
import dev.mcdropout.nn.Layer;
import dev.mcdropout.nn.Network;
import dev.mcdropout.nn.Standardization;
import dev.mcdropout.nn.TrainingHistory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.core.util.DefaultIndenter;
import tools.jackson.core.util.DefaultPrettyPrinter;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectWriter;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Saves and loads {@link ModelArtifact}s as model archives: a zip holding {@code model.json} and one NumPy
 * {@code .npy} file per array, so that a network trained in numpy or PyTorch can be written by hand and served.
 *
 * <pre>
 * model.json
 * {
 *   "formatVersion": 2,                                       1 is read too (no dropConnect, no batchNorm)
 *   "createdAt": "2026-11-30T03:50:02Z",                     ISO-8601
 *   "classes": ["0", "1", ...],                               one per output unit
 *   "inputDropout": 0.0,                                      optional, default 0
 *   "standardization": {"mean": [...], "std": [...]},         optional; applied as (x - mean) / std
 *   "layers": [                                               in order, the last one linear with dropout 0
 *     {"weights": "layer0.weights.npy", "bias": "layer0.bias.npy", "activation": "relu", "dropout": 0.5,
 *      "dropConnect": false,                                  optional, default false: dropout drops weights
 *      "batchNorm": {"gamma": "layer0.gamma.npy", "beta": "layer0.beta.npy",   optional, hidden layers only
 *                    "runningMean": "layer0.runningMean.npy", "runningVar": "layer0.runningVar.npy",
 *                    "epsilon": 1e-5}},
 *     {"weights": "layer1.weights.npy", "bias": "layer1.bias.npy", "activation": "linear", "dropout": 0.0,
 *      "dropConnect": false}
 *   ],
 *   "sha256": {"layer0.weights.npy": "hex...", ...},          of each whole .npy file
 *   "hyperparameters": {...},                                 optional, any JSON object
 *   "metrics": {"testAccuracy": 0.97, ...},                   optional, numbers
 *   "history": {"loss": [...], "trainAccuracy": [...],        optional, or null
 *               "validationLoss": [...], "validationAccuracy": [...]}
 * }
 * layerN.weights.npy   float32 little-endian, C order, shape (inputs, outputs): numpy computes x @ W + b
 * layerN.bias.npy      float32 little-endian, shape (outputs,)
 * layerN.gamma.npy, .beta.npy, .runningMean.npy, .runningVar.npy   float32, shape (outputs,)
 * </pre>
 *
 * <p>A batch-normalised layer computes {@code act((x @ W + b - runningMean) / sqrt(runningVar + epsilon) * gamma
 * + beta)} in prediction; a DropConnect layer's {@code dropout} is the probability of dropping each weight in a
 * Monte Carlo pass rather than each output unit.
 *
 * <p>Writing: arrays are always float32; a DOUBLE network is rounded to float32 on the way out (loading gives
 * a FLOAT network), a FLOAT network round-trips bit for bit. Standardisation and all other numbers stay
 * doubles in JSON. The bytes are deterministic: fixed entry order, entries stored uncompressed (so no zlib
 * version can change them) with the DOS timestamp taken from {@code createdAt}, sorted map keys.
 *
 * <p>Reading checks everything before a network is built: the zip's structure and size limits
 * ({@link ArtifactLimits}, counted on real bytes), allow-listed entry names, the JSON schema, each file's
 * sha256, the .npy headers, that shapes chain from layer to layer and match classes and standardisation, and
 * that every value is finite. Reading accepts float32 and float64 arrays ({@code '<f4'}, {@code '<f8'}, C or
 * Fortran order) and deflated entries, as Python's {@code zipfile} writes them. Java serialization is never
 * used. Every problem with the content is an {@link InvalidArtifactException} with a message that says what
 * to fix (an {@link ArtifactLimitExceededException} when a limit is broken); an {@link IOException} only ever
 * means the stream itself failed.
 */
public final class ModelArtifacts {

    public static final int FORMAT_VERSION = 2;

    /** Every version the reader accepts: 1 (plain dropout) and 2 (adds dropConnect and batchNorm). */
    public static final Set<Integer> READABLE_VERSIONS = Set.of(1, 2);

    private static final Set<String> TOP_LEVEL = Set.of("formatVersion", "createdAt", "classes", "inputDropout",
            "standardization", "layers", "sha256", "hyperparameters", "metrics", "history");
    private static final Set<String> LAYER_FIELDS_V1 = Set.of("weights", "bias", "activation", "dropout");
    private static final Set<String> LAYER_FIELDS = Set.of("weights", "bias", "activation", "dropout", "dropConnect",
            "batchNorm");
    private static final Set<String> BATCH_NORM_FIELDS = Set.of("gamma", "beta", "runningMean", "runningVar",
            "epsilon");
    private static final List<String> BATCH_NORM_ARRAYS = List.of("gamma", "beta", "runningMean", "runningVar");
    private static final Set<String> HISTORY_FIELDS = Set.of("loss", "trainAccuracy", "validationLoss",
            "validationAccuracy");
    private static final Pattern SHA256_HEX = Pattern.compile("[0-9a-fA-F]{64}");
    private static final int MAX_CLASS_LABEL = 256;
    private static final LocalDateTime DOS_EPOCH = LocalDateTime.of(1980, 1, 1, 0, 0);
    private static final LocalDateTime DOS_END = LocalDateTime.of(2099, 12, 31, 23, 59, 58);

    private static final JsonMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    // Duplicate keys are ambiguous (parsers differ on which wins), so they are an error.
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(64).build())
                    .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .build();
    /** Pretty, with '\n' whatever the platform, so that the bytes do not depend on where they were written. */
    private static final ObjectWriter JSON_WRITER = MAPPER.writer().with(
            new DefaultPrettyPrinter().withObjectIndenter(new DefaultIndenter("  ", "\n")));

    private ModelArtifacts() {
    }

    // ------------------------------------------------------------------ writing

    /** The archive as bytes; see {@link #write(ModelArtifact, OutputStream)}. */
    public static byte[] toBytes(ModelArtifact artifact) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            write(artifact, out);
        } catch (IOException e) {
            throw new UncheckedIOException(e); // a ByteArrayOutputStream does not fail
        }
        return out.toByteArray();
    }

    /**
     * Writes {@code artifact} as a model archive to {@code out}, which is flushed but not closed. The same
     * artifact always gives the same bytes.
     *
     * @throws IllegalArgumentException if a metric or history value is not finite (JSON has no NaN), or the
     *                                  archive could not be read back with {@link ArtifactLimits#DEFAULTS}
     *                                  (more layers, or a longer class label, than they allow)
     */
    public static void write(ModelArtifact artifact, OutputStream out) throws IOException {
        Network network = artifact.network();
        if (network.layerCount() > ArtifactLimits.DEFAULTS.maxLayers()) {
            throw new IllegalArgumentException(network.layerCount() + " layers; an archive holds at most "
                    + ArtifactLimits.DEFAULTS.maxLayers());
        }
        for (String label : network.classes()) {
            if (label.isEmpty() || label.length() > MAX_CLASS_LABEL) {
                throw new IllegalArgumentException("class labels must have 1 to " + MAX_CLASS_LABEL
                        + " characters, got '" + label + "'");
            }
        }
        Map<String, byte[]> arrays = new LinkedHashMap<>();
        List<Layer> layers = network.layers();
        for (int i = 0; i < layers.size(); i++) {
            Layer layer = layers.get(i);
            arrays.put(weightsName(i), Npy.write(floats(layer.weights()), layer.inputs(), layer.outputs()));
            arrays.put(biasName(i), Npy.write(floats(layer.bias()), layer.outputs()));
            BatchNorm bn = layer.batchNorm();
            if (bn != null) {
                List<INDArray> values = List.of(bn.gamma(), bn.beta(), bn.runningMean(), bn.runningVar());
                for (int k = 0; k < BATCH_NORM_ARRAYS.size(); k++) {
                    arrays.put(batchNormName(i, BATCH_NORM_ARRAYS.get(k)), Npy.write(floats(values.get(k)),
                            layer.outputs()));
                }
            }
        }

        ObjectNode root = MAPPER.createObjectNode();
        root.put("formatVersion", FORMAT_VERSION);
        root.put("createdAt", artifact.createdAt().toString());
        ArrayNode classes = root.putArray("classes");
        network.classes().forEach(classes::add);
        root.put("inputDropout", network.inputDropout());
        ObjectNode standardization = root.putObject("standardization");
        addAll(standardization.putArray("mean"), network.standardization().mean());
        addAll(standardization.putArray("std"), network.standardization().std());
        ArrayNode layerNodes = root.putArray("layers");
        for (int i = 0; i < layers.size(); i++) {
            ObjectNode node = layerNodes.addObject();
            node.put("weights", weightsName(i));
            node.put("bias", biasName(i));
            node.put("activation", layers.get(i).activation().jsonName());
            node.put("dropout", layers.get(i).dropout());
            node.put("dropConnect", layers.get(i).dropConnect());
            BatchNorm bn = layers.get(i).batchNorm();
            if (bn != null) {
                ObjectNode bnNode = node.putObject("batchNorm");
                for (String array : BATCH_NORM_ARRAYS) {
                    bnNode.put(array, batchNormName(i, array));
                }
                bnNode.put("epsilon", bn.epsilon());
            }
        }
        ObjectNode hashes = root.putObject("sha256");
        arrays.forEach((name, bytes) -> hashes.put(name, sha256(bytes)));
        root.set("hyperparameters", MAPPER.valueToTree(new TreeMap<>(artifact.hyperparameters())));
        ObjectNode metrics = root.putObject("metrics");
        new TreeMap<>(artifact.metrics()).forEach((name, value) -> metrics.put(name, finite("metric " + name, value)));
        TrainingHistory history = artifact.history();
        if (history == null) {
            root.putNull("history");
        } else {
            ObjectNode node = root.putObject("history");
            addAll(node.putArray("loss"), "loss", history.loss());
            addAll(node.putArray("trainAccuracy"), "trainAccuracy", history.trainAccuracy());
            addAll(node.putArray("validationLoss"), "validationLoss", history.validationLoss());
            addAll(node.putArray("validationAccuracy"), "validationAccuracy", history.validationAccuracy());
        }
        byte[] json = JSON_WRITER.writeValueAsBytes(root);

        LocalDateTime time = LocalDateTime.ofInstant(artifact.createdAt(), ZoneOffset.UTC);
        time = time.isBefore(DOS_EPOCH) ? DOS_EPOCH : time.isAfter(DOS_END) ? DOS_END : time;
        // The caller owns out: closing the zip stream must not close it.
        try (ZipOutputStream zip = new ZipOutputStream(new FilterOutputStream(out) {
            @Override
            public void write(byte[] b, int off, int len) throws IOException {
                out.write(b, off, len);
            }

            @Override
            public void close() throws IOException {
                flush();
            }
        })) {
            putStored(zip, StrictZip.MODEL_JSON, json, time);
            for (Map.Entry<String, byte[]> array : arrays.entrySet()) {
                putStored(zip, array.getKey(), array.getValue(), time);
            }
        }
    }

    private static void putStored(ZipOutputStream zip, String name, byte[] bytes, LocalDateTime time)
            throws IOException {
        ZipEntry entry = new ZipEntry(name);
        entry.setMethod(ZipEntry.STORED);
        entry.setSize(bytes.length);
        entry.setCompressedSize(bytes.length);
        CRC32 crc = new CRC32();
        crc.update(bytes);
        entry.setCrc(crc.getValue());
        // Local time fields straight from UTC: ZipEntry.setTime would apply the JVM's time zone.
        entry.setTimeLocal(time);
        zip.putNextEntry(entry);
        zip.write(bytes);
        zip.closeEntry();
    }

    /** The values in C order as a fresh float[]: dup('c') gives a contiguous buffer starting at offset 0. */
    private static float[] floats(INDArray array) {
        INDArray contiguous = array.castTo(DataType.FLOAT).dup('c');
        float[] values = contiguous.data().asFloat();
        return values.length == contiguous.length() ? values : Arrays.copyOf(values, (int) contiguous.length());
    }

    private static void addAll(ArrayNode node, double[] values) {
        for (double v : values) {
            node.add(v);
        }
    }

    private static void addAll(ArrayNode node, String what, List<Double> values) {
        for (int i = 0; i < values.size(); i++) {
            node.add(finite("history " + what + "[" + i + "]", values.get(i)));
        }
    }

    private static double finite(String what, Double value) {
        if (value == null || !Double.isFinite(value)) {
            throw new IllegalArgumentException(what + " is " + value + "; only finite numbers can be stored");
        }
        return value;
    }

    static String weightsName(int layer) {
        return "layer" + layer + ".weights.npy";
    }

    static String biasName(int layer) {
        return "layer" + layer + ".bias.npy";
    }

    static String batchNormName(int layer, String array) {
        return "layer" + layer + "." + array + ".npy";
    }

    static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java platform has SHA-256", e);
        }
    }

    // ------------------------------------------------------------------ reading

    /** Reads an archive with {@link ArtifactLimits#DEFAULTS}. */
    public static ModelArtifact read(InputStream in) throws IOException {
        return read(in, ArtifactLimits.DEFAULTS);
    }

    /**
     * Reads and fully checks a model archive. Reads at most {@code limits.maxArchiveBytes()} from {@code in}
     * and does not close it.
     *
     * @throws InvalidArtifactException       if the archive is not a valid model archive
     * @throws ArtifactLimitExceededException if it breaks one of {@code limits} (a subclass of the above)
     * @throws IOException              if reading {@code in} fails
     */
    public static ModelArtifact read(InputStream in, ArtifactLimits limits) throws IOException {
        return read(StrictZip.readBounded(in, limits.maxArchiveBytes()), limits);
    }

    /** Reads and fully checks a model archive held in memory; see {@link #read(InputStream, ArtifactLimits)}. */
    public static ModelArtifact read(byte[] archive, ArtifactLimits limits) {
        Map<String, byte[]> entries = StrictZip.read(archive, limits);
        byte[] json = entries.get(StrictZip.MODEL_JSON);
        if (json == null) {
            throw new InvalidArtifactException("the archive has no model.json");
        }
        JsonNode root;
        try {
            root = MAPPER.readTree(json);
        } catch (JacksonException e) {
            throw new InvalidArtifactException("model.json is not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new InvalidArtifactException("model.json must hold a JSON object");
        }
        onlyFields(root, TOP_LEVEL, "model.json");

        JsonNode version = required(root, "formatVersion");
        if (!version.isIntegralNumber() || !version.canConvertToInt()) {
            throw new InvalidArtifactException("formatVersion must be an integer, got " + version);
        }
        if (!READABLE_VERSIONS.contains(version.intValue())) {
            throw new InvalidArtifactException("formatVersion " + version.intValue() + " is not supported; this "
                    + "service reads formatVersion 1 and 2");
        }
        Instant createdAt = createdAt(required(root, "createdAt"));
        List<String> classes = classes(required(root, "classes"), limits);
        double inputDropout = probability(root.get("inputDropout"), "inputDropout");
        List<LayerEntry> layerEntries = layers(required(root, "layers"), limits, version.intValue());
        checkFiles(root, layerEntries, entries);

        List<Layer> layers = new ArrayList<>(layerEntries.size());
        int previousOutputs = -1;
        for (int i = 0; i < layerEntries.size(); i++) {
            LayerEntry entry = layerEntries.get(i);
            String weightsWhat = "layer " + i + " weights";
            String biasWhat = "layer " + i + " bias";
            Npy.NpyArray w = Npy.read(entries.get(entry.weights), weightsWhat + " ('" + entry.weights + "')");
            if (w.rank() != 2) {
                throw new InvalidArtifactException(weightsWhat + ": shape " + w.shapeString() + " is not a matrix "
                        + "of shape (inputs, outputs)");
            }
            int inputs = w.shape()[0];
            int outputs = w.shape()[1];
            if (inputs < 1 || outputs < 1 || inputs > limits.maxUnits() || outputs > limits.maxUnits()) {
                throw new ArtifactLimitExceededException(weightsWhat + ": shape " + w.shapeString() + " must have between "
                        + "1 and " + limits.maxUnits() + " inputs and outputs");
            }
            if (i > 0 && inputs != previousOutputs) {
                throw new InvalidArtifactException(weightsWhat + ": shape " + w.shapeString() + " takes " + inputs
                        + " inputs but layer " + (i - 1) + " gives " + previousOutputs + " outputs");
            }
            Npy.NpyArray b = Npy.read(entries.get(entry.bias), biasWhat + " ('" + entry.bias + "')");
            boolean biasShapeOk = b.rank() == 1 ? b.shape()[0] == outputs
                    : b.shape()[0] == 1 && b.shape()[1] == outputs;
            if (!biasShapeOk) {
                throw new InvalidArtifactException(biasWhat + ": shape " + b.shapeString() + " does not match the "
                        + outputs + " outputs of its weights; it must be (" + outputs + ",)");
            }
            finite(weightsWhat, w, outputs);
            finite(biasWhat, b, outputs);
            BatchNorm bn = null;
            if (entry.batchNorm != null) {
                INDArray[] values = new INDArray[BATCH_NORM_ARRAYS.size()];
                for (int k = 0; k < values.length; k++) {
                    String array = BATCH_NORM_ARRAYS.get(k);
                    String file = entry.batchNorm.files.get(k);
                    String what = "layer " + i + " batchNorm." + array;
                    Npy.NpyArray a = Npy.read(entries.get(file), what + " ('" + file + "')");
                    boolean shapeOk = a.rank() == 1 ? a.shape()[0] == outputs : a.shape()[0] == 1 && a.shape()[1] == outputs;
                    if (!shapeOk) {
                        throw new InvalidArtifactException(what + ": shape " + a.shapeString() + " does not match the "
                                + outputs + " outputs of the layer's weights; it must be (" + outputs + ",)");
                    }
                    finite(what, a, outputs);
                    if (array.equals("runningVar")) {
                        for (int j = 0; j < a.data().length; j++) {
                            if (a.data()[j] < 0) {
                                throw new InvalidArtifactException(what + ": value at [" + j + "] is " + a.data()[j]
                                        + "; a variance cannot be negative");
                            }
                        }
                    }
                    values[k] = Nd4j.create(a.data(), new long[] {1, outputs}, 'c');
                }
                bn = new BatchNorm(values[0], values[1], values[2], values[3], entry.batchNorm.epsilon);
            }
            layers.add(new Layer(Nd4j.create(w.data(), new long[] {inputs, outputs}, 'c'),
                    Nd4j.create(b.data(), new long[] {1, outputs}, 'c'), entry.activation, entry.dropout,
                    entry.dropConnect, bn));
            previousOutputs = outputs;
        }
        if (classes.size() != previousOutputs) {
            throw new InvalidArtifactException("model.json lists " + classes.size() + " classes but the output layer "
                    + "has " + previousOutputs + " units");
        }
        Standardization standardization = standardization(root.get("standardization"), layers.get(0).inputs());
        Map<String, Object> hyperparameters = hyperparameters(root.get("hyperparameters"));
        TrainingHistory history = history(root.get("history"));
        Map<String, Double> metrics = metrics(root.get("metrics"));
        Network network;
        try {
            network = new Network(layers, inputDropout, standardization, classes);
        } catch (IllegalArgumentException e) {
            // Everything the constructor checks was checked above; this is a safety net.
            throw new InvalidArtifactException("the network is inconsistent: " + e.getMessage(), e);
        }
        return new ModelArtifact(network, hyperparameters, history, metrics, createdAt);
    }

    private record LayerEntry(String weights, String bias, Activation activation, double dropout, boolean dropConnect,
                              BatchNormEntry batchNorm) {

        List<String> files() {
            List<String> files = new ArrayList<>(List.of(weights, bias));
            if (batchNorm != null) {
                files.addAll(batchNorm.files);
            }
            return files;
        }
    }

    /** File names in the order of {@link #BATCH_NORM_ARRAYS}, and epsilon. */
    private record BatchNormEntry(List<String> files, double epsilon) {
    }

    private static List<LayerEntry> layers(JsonNode node, ArtifactLimits limits, int version) {
        if (!node.isArray() || node.isEmpty()) {
            throw new InvalidArtifactException("layers must be a non-empty array");
        }
        if (node.size() > limits.maxLayers()) {
            throw new ArtifactLimitExceededException("model.json has " + node.size() + " layers; at most "
                    + limits.maxLayers() + " are allowed");
        }
        List<LayerEntry> layers = new ArrayList<>();
        Set<String> files = new HashSet<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode layer = node.get(i);
            String what = "layers[" + i + "]";
            if (!layer.isObject()) {
                throw new InvalidArtifactException(what + " must be an object");
            }
            onlyFields(layer, version == 1 ? LAYER_FIELDS_V1 : LAYER_FIELDS, what);
            String weights = fileName(required(layer, "weights", what), what + ".weights");
            String bias = fileName(required(layer, "bias", what), what + ".bias");
            boolean dropConnect = flag(layer.get("dropConnect"), what + ".dropConnect");
            BatchNormEntry batchNorm = batchNorm(layer.get("batchNorm"), what + ".batchNorm");
            List<String> named = new ArrayList<>(List.of(weights, bias));
            if (batchNorm != null) {
                named.addAll(batchNorm.files);
            }
            for (String file : named) {
                if (!files.add(file)) {
                    throw new InvalidArtifactException("'" + file + "' is named twice in model.json; every array "
                            + "needs its own file");
                }
            }
            JsonNode activationNode = required(layer, "activation", what);
            Activation activation;
            try {
                activation = Activation.fromJsonName(activationNode.isString() ? activationNode.stringValue() : "");
            } catch (IllegalArgumentException e) {
                throw new InvalidArtifactException(what + ".activation must be \"relu\" or \"linear\", got "
                        + abbreviate(activationNode));
            }
            double dropout = probability(layer.get("dropout"), what + ".dropout");
            if (i == node.size() - 1 && (activation != Activation.LINEAR || dropout != 0.0)) {
                throw new InvalidArtifactException(what + " is the output layer: it must have activation \"linear\" "
                        + "and dropout 0 (softmax is applied on top), got \"" + activation.jsonName()
                        + "\" and " + dropout);
            }
            if (i == node.size() - 1 && (dropConnect || batchNorm != null)) {
                throw new InvalidArtifactException(what + " is the output layer: it takes neither dropConnect nor "
                        + "batchNorm (both belong to hidden layers)");
            }
            layers.add(new LayerEntry(weights, bias, activation, dropout, dropConnect, batchNorm));
        }
        return layers;
    }

    /** The array files model.json names, its sha256 list and the archive's entries must be the same set. */
    private static void checkFiles(JsonNode root, List<LayerEntry> layers, Map<String, byte[]> entries) {
        JsonNode hashes = required(root, "sha256");
        if (!hashes.isObject()) {
            throw new InvalidArtifactException("sha256 must be an object mapping each .npy file to its hex digest");
        }
        Set<String> named = new HashSet<>();
        for (LayerEntry layer : layers) {
            named.addAll(layer.files());
        }
        for (String key : hashes.propertyNames()) {
            if (!named.contains(key)) {
                throw new InvalidArtifactException("sha256 lists " + StrictZip.quote(key) + ", which no layer uses");
            }
        }
        for (String entry : entries.keySet()) {
            if (!entry.equals(StrictZip.MODEL_JSON) && !named.contains(entry)) {
                throw new InvalidArtifactException("entry " + StrictZip.quote(entry) + " is not named in model.json; "
                        + "the archive may hold only model.json and the files its layers use");
            }
        }
        for (int i = 0; i < layers.size(); i++) {
            checkFile("layer " + i + " weights", layers.get(i).weights, hashes, entries);
            checkFile("layer " + i + " bias", layers.get(i).bias, hashes, entries);
            BatchNormEntry bn = layers.get(i).batchNorm;
            if (bn != null) {
                for (int k = 0; k < BATCH_NORM_ARRAYS.size(); k++) {
                    checkFile("layer " + i + " batchNorm." + BATCH_NORM_ARRAYS.get(k), bn.files.get(k), hashes, entries);
                }
            }
        }
    }

    private static void checkFile(String what, String file, JsonNode hashes, Map<String, byte[]> entries) {
        byte[] bytes = entries.get(file);
        if (bytes == null) {
            throw new InvalidArtifactException(what + ": file '" + file + "' is missing from the archive");
        }
        JsonNode expected = hashes.get(file);
        if (expected == null || !expected.isString() || !SHA256_HEX.matcher(expected.stringValue()).matches()) {
            throw new InvalidArtifactException(what + ": sha256 needs a 64-digit hex digest for '" + file + "'");
        }
        String actual = sha256(bytes);
        if (!actual.equalsIgnoreCase(expected.stringValue())) {
            throw new InvalidArtifactException(what + ": sha256 mismatch for '" + file + "' (the file hashes to "
                    + actual + ", model.json says " + expected.stringValue() + ")");
        }
    }

    private static void finite(String what, Npy.NpyArray array, int columns) {
        int bad = array.firstNonFinite();
        if (bad >= 0) {
            String at = array.rank() == 2 ? "[" + bad / columns + ", " + bad % columns + "]" : "[" + bad + "]";
            throw new InvalidArtifactException(what + ": value at " + at + " is " + array.data()[bad]
                    + "; weights and biases must be finite (and within float32 range)");
        }
    }

    private static String fileName(JsonNode node, String what) {
        if (!node.isString()) {
            throw new InvalidArtifactException(what + " must be a file name string, got " + abbreviate(node));
        }
        String name = node.stringValue();
        if (!StrictZip.ARRAY_NAME.matcher(name).matches() || name.contains("..")) {
            throw new InvalidArtifactException(what + ": " + StrictZip.quote(name) + " is not an allowed file name "
                    + "(letters, digits, '_', '-', '.', ending in .npy, no folders)");
        }
        return name;
    }

    private static List<String> classes(JsonNode node, ArtifactLimits limits) {
        if (!node.isArray() || node.isEmpty()) {
            throw new InvalidArtifactException("classes must be a non-empty array of strings");
        }
        if (node.size() > limits.maxUnits()) {
            throw new ArtifactLimitExceededException("model.json lists " + node.size() + " classes; at most "
                    + limits.maxUnits() + " are allowed");
        }
        List<String> classes = new ArrayList<>(node.size());
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode label = node.get(i);
            if (!label.isString() || label.stringValue().isEmpty() || label.stringValue().length() > MAX_CLASS_LABEL) {
                throw new InvalidArtifactException("classes[" + i + "] must be a string of 1 to " + MAX_CLASS_LABEL
                        + " characters, got " + abbreviate(label));
            }
            if (!seen.add(label.stringValue())) {
                throw new InvalidArtifactException("class '" + label.stringValue() + "' is listed twice");
            }
            classes.add(label.stringValue());
        }
        return classes;
    }

    private static Instant createdAt(JsonNode node) {
        try {
            if (node.isString()) {
                return Instant.parse(node.stringValue());
            }
        } catch (DateTimeParseException e) {
            // reported below
        }
        throw new InvalidArtifactException("createdAt must be an ISO-8601 instant like \"2026-01-31T12:00:00Z\", got "
                + abbreviate(node));
    }

    private static boolean flag(JsonNode node, String what) {
        if (node == null || node.isNull()) {
            return false;
        }
        if (!node.isBoolean()) {
            throw new InvalidArtifactException(what + " must be true or false, got " + abbreviate(node));
        }
        return node.booleanValue();
    }

    private static BatchNormEntry batchNorm(JsonNode node, String what) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw new InvalidArtifactException(what + " must be an object {\"gamma\", \"beta\", \"runningMean\", "
                    + "\"runningVar\", \"epsilon\"} or null, got " + abbreviate(node));
        }
        onlyFields(node, BATCH_NORM_FIELDS, what);
        List<String> files = new ArrayList<>();
        for (String array : BATCH_NORM_ARRAYS) {
            files.add(fileName(required(node, array, what), what + "." + array));
        }
        JsonNode epsilonNode = required(node, "epsilon", what);
        if (!epsilonNode.isNumber() || !(epsilonNode.doubleValue() > 0.0 && epsilonNode.doubleValue() <= 1.0)) {
            throw new InvalidArtifactException(what + ".epsilon must be a number in (0, 1], got "
                    + abbreviate(epsilonNode));
        }
        return new BatchNormEntry(List.copyOf(files), epsilonNode.doubleValue());
    }

    private static double probability(JsonNode node, String what) {
        if (node == null || node.isNull()) {
            return 0.0;
        }
        if (!node.isNumber() || !(node.doubleValue() >= 0.0 && node.doubleValue() < 1.0)) {
            throw new InvalidArtifactException(what + " must be a probability in [0, 1), got " + abbreviate(node));
        }
        return node.doubleValue();
    }

    private static Standardization standardization(JsonNode node, int inputs) {
        if (node == null || node.isNull()) {
            return Standardization.identity(inputs);
        }
        if (!node.isObject()) {
            throw new InvalidArtifactException("standardization must be an object {\"mean\": [...], \"std\": [...]}");
        }
        onlyFields(node, Set.of("mean", "std"), "standardization");
        double[] mean = numbers(required(node, "mean", "standardization"), "standardization.mean", inputs);
        double[] std = numbers(required(node, "std", "standardization"), "standardization.std", inputs);
        for (int j = 0; j < std.length; j++) {
            if (!(std[j] > 0)) {
                throw new InvalidArtifactException("standardization.std[" + j + "] is " + std[j]
                        + "; it must be > 0 (use 1 for a constant feature)");
            }
        }
        return new Standardization(mean, std);
    }

    private static double[] numbers(JsonNode node, String what, int length) {
        if (!node.isArray() || node.size() != length) {
            throw new InvalidArtifactException(what + " must be an array of " + length + " numbers (one per input "
                    + "of the first layer), got " + (node.isArray() ? node.size() + " entries" : abbreviate(node)));
        }
        double[] values = new double[length];
        for (int i = 0; i < length; i++) {
            values[i] = finiteNumber(node.get(i), what + "[" + i + "]");
        }
        return values;
    }

    private static double finiteNumber(JsonNode node, String what) {
        if (!node.isNumber() || !Double.isFinite(node.doubleValue())) {
            throw new InvalidArtifactException(what + " must be a finite number, got " + abbreviate(node));
        }
        return node.doubleValue();
    }

    private static Map<String, Object> hyperparameters(JsonNode node) {
        if (node == null || node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw new InvalidArtifactException("hyperparameters must be a JSON object");
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> map = MAPPER.convertValue(node, LinkedHashMap.class);
        return map;
    }

    private static Map<String, Double> metrics(JsonNode node) {
        if (node == null || node.isNull()) {
            return Map.of();
        }
        if (!node.isObject()) {
            throw new InvalidArtifactException("metrics must be an object of numbers");
        }
        Map<String, Double> metrics = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : node.properties()) {
            metrics.put(e.getKey(), finiteNumber(e.getValue(), "metrics." + e.getKey()));
        }
        return metrics;
    }

    private static TrainingHistory history(JsonNode node) {
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw new InvalidArtifactException("history must be null or an object");
        }
        onlyFields(node, HISTORY_FIELDS, "history");
        return new TrainingHistory(series(node, "loss"), series(node, "trainAccuracy"),
                series(node, "validationLoss"), series(node, "validationAccuracy"));
    }

    private static List<Double> series(JsonNode history, String field) {
        JsonNode node = required(history, field, "history");
        if (!node.isArray()) {
            throw new InvalidArtifactException("history." + field + " must be an array of numbers");
        }
        List<Double> values = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            values.add(finiteNumber(node.get(i), "history." + field + "[" + i + "]"));
        }
        return List.copyOf(values);
    }

    private static JsonNode required(JsonNode node, String field) {
        return required(node, field, "model.json");
    }

    private static JsonNode required(JsonNode node, String field, String where) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            throw new InvalidArtifactException(where + " needs the field \"" + field + "\"");
        }
        return value;
    }

    private static void onlyFields(JsonNode node, Set<String> allowed, String where) {
        for (String name : node.propertyNames()) {
            if (!allowed.contains(name)) {
                throw new InvalidArtifactException(where + " has an unknown field " + StrictZip.quote(name)
                        + "; allowed are " + new java.util.TreeSet<>(allowed));
            }
        }
    }

    private static String abbreviate(JsonNode node) {
        String text = String.valueOf(node);
        return text.length() > 80 ? text.substring(0, 80) + "..." : text;
    }
}
