package dev.mcdropout.nn.artifact;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.io.ByteArrayOutputStream;
import dev.mcdropout.nn.artifact.ArtifactFixtures.RawZip;
import dev.mcdropout.nn.artifact.ArtifactFixtures.Unpacked;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.node.ObjectNode;
import static dev.mcdropout.nn.artifact.ArtifactFixtures.artifact;
import static dev.mcdropout.nn.artifact.ArtifactFixtures.littleEndianDoubles;
import static dev.mcdropout.nn.artifact.ArtifactFixtures.littleEndianFloats;
import static dev.mcdropout.nn.artifact.ArtifactFixtures.npy;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Archives changed on purpose, each refused with a message that names the problem. */
class ModelArtifactsTamperingTest {

    private static final long MIB = 1024 * 1024;
    private final byte[] archive = ModelArtifacts.toBytes(artifact());

    private Unpacked unpacked() {
        return new Unpacked(archive);
    }

    @Test
    void theUntouchedRepackedArchiveIsAccepted() {
        // Guards the tests below: the repacking itself (another zip writer) does not cause the refusals.
        ModelArtifact read = ModelArtifacts.read(unpacked().zip(), ArtifactLimits.DEFAULTS);
        ArtifactFixtures.assertSameNetwork(artifact().network(), read.network());
    }

    @Test
    void changedArrayBytesWithoutANewHashAreRefused() {
        Unpacked u = unpacked();
        byte[] weights = u.entries.get("layer1.weights.npy");
        weights[weights.length - 1] ^= 1;

        assertRefused(u.zip(), "layer 1 weights: sha256 mismatch for 'layer1.weights.npy'");
    }

    @Test
    void aWeightMatrixOfTheWrongShapeIsRefusedEvenWithItsHash() {
        byte[] wrong = Npy.write(new float[8 * 4], 8, 4);

        assertRefused(unpacked().putAndRehash("layer1.weights.npy", wrong).zip(),
                "layer 1 weights: shape (8, 4) takes 8 inputs but layer 0 gives 7 outputs");
    }

    @Test
    void aBiasOfTheWrongLengthIsRefused() {
        assertRefused(unpacked().putAndRehash("layer0.bias.npy", Npy.write(new float[6], 6)).zip(),
                "layer 0 bias: shape (6,) does not match the 7 outputs of its weights");
    }

    @Test
    void aVectorWhereAMatrixBelongsIsRefused() {
        assertRefused(unpacked().putAndRehash("layer0.weights.npy", Npy.write(new float[35], 35)).zip(),
                "layer 0 weights: shape (35,) is not a matrix");
    }

    @Test
    void nanAndInfiniteValuesAreRefused() {
        float[] weights = new float[5 * 7];
        weights[9] = Float.NaN;
        float[] bias = new float[3];
        bias[2] = Float.NEGATIVE_INFINITY;

        assertRefused(unpacked().putAndRehash("layer0.weights.npy", Npy.write(weights, 5, 7)).zip(),
                "layer 0 weights: value at [1, 2] is NaN");
        assertRefused(unpacked().putAndRehash("layer2.bias.npy", Npy.write(bias, 3)).zip(),
                "layer 2 bias: value at [2] is -Infinity");
    }

    @Test
    void float64ValuesBeyondFloat32RangeAreRefused() {
        double[] bias = {0, 0, 1e300};
        byte[] file = npy("{'descr': '<f8', 'fortran_order': False, 'shape': (3,), }", littleEndianDoubles(bias));

        assertRefused(unpacked().putAndRehash("layer2.bias.npy", file).zip(), "layer 2 bias: value at [2] is Infinity");
    }

    @Test
    void unsupportedDtypesAreRefused() {
        byte[] ints = npy("{'descr': '<i4', 'fortran_order': False, 'shape': (3,), }", new byte[12]);
        byte[] bigEndian = npy("{'descr': '>f4', 'fortran_order': False, 'shape': (3,), }", new byte[12]);
        byte[] half = npy("{'descr': '<f2', 'fortran_order': False, 'shape': (3,), }", new byte[6]);

        assertRefused(unpacked().putAndRehash("layer2.bias.npy", ints).zip(),
                "layer 2 bias ('layer2.bias.npy'): dtype '<i4' is not supported");
        assertRefused(unpacked().putAndRehash("layer2.bias.npy", bigEndian).zip(), "dtype '>f4' is not supported");
        assertRefused(unpacked().putAndRehash("layer2.bias.npy", half).zip(), "dtype '<f2' is not supported");
    }

    @Test
    void npyFilesWithTooFewOrTooManyDataBytesAreRefused() {
        byte[] good = Npy.write(new float[3], 3);

        assertRefused(unpacked().putAndRehash("layer2.bias.npy", Arrays.copyOf(good, good.length - 1)).zip(),
                "shape (3,) needs 3 values of 4 bytes but the file has 11 data bytes");
        assertRefused(unpacked().putAndRehash("layer2.bias.npy", Arrays.copyOf(good, good.length + 4)).zip(),
                "shape (3,) needs 3 values of 4 bytes but the file has 16 data bytes");
    }

    @Test
    void malformedNpyHeadersAreRefused() {
        String[] headers = {
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3, 1, 1), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (-3,), }",
            "{'descr': '<f4', 'fortran_order': False, }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), 'extra': 1, }",
            "{'descr': '<f4', 'fortran_order': 0, 'shape': (3,), }",
            "{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (3,), }",
            "{'descr': '<f4', 'fortran_order': False, 'shape': (3,), } junk",
            "__import__('os').system('true')",
        };
        for (String header : headers) {
            byte[] file = npy(header, new byte[12]);
            String message = assertThrows(InvalidArtifactException.class, () -> ModelArtifacts.read(
                    unpacked().putAndRehash("layer2.bias.npy", file).zip(), ArtifactLimits.DEFAULTS)).getMessage();
            assertTrue(message.startsWith("layer 2 bias ('layer2.bias.npy'): "), header + " -> " + message);
        }
        assertRefused(unpacked().putAndRehash("layer2.bias.npy", "not numpy at all".getBytes()).zip(),
                "not a .npy file");
    }

    @Test
    void pathTraversalAndAbsoluteNamesAreRefused() {
        for (String name : new String[] {"../evil.npy", "/evil.npy", "dir/evil.npy", "..\\evil.npy",
                "C:\\evil.npy", ".hidden.npy", "evil.npy/", "evil.sh", "a..b.npy", "evil\u0000.npy"}) {
            Map<String, byte[]> entries = new LinkedHashMap<>(unpacked().entries);
            entries.put(name, new byte[] {1});
            String expected = "entry " + StrictZip.quote(name) + " is not allowed";
            assertRefused(RawZip.of(entries), expected);
        }
    }

    @Test
    void aPathTraversalNameInModelJsonIsRefused() {
        Unpacked u = unpacked();
        u.layer(0).put("weights", "../layer0.weights.npy");

        assertRefused(u.zip(), "layers[0].weights: '../layer0.weights.npy' is not an allowed file name");
    }

    @Test
    void anEntryModelJsonDoesNotNameIsRefused() {
        Map<String, byte[]> entries = new LinkedHashMap<>(unpacked().entries);
        entries.put("extra.npy", Npy.write(new float[1], 1));

        assertRefused(RawZip.of(entries), "entry 'extra.npy' is not named in model.json");
    }

    @Test
    void duplicateEntriesAreRefused() {
        RawZip zip = new RawZip();
        unpacked().entries.forEach(zip::stored);
        zip.stored("layer0.bias.npy", new byte[] {1, 2, 3});
        RawZip caseOnly = new RawZip();
        unpacked().entries.forEach(caseOnly::stored);
        caseOnly.stored("LAYER0.bias.npy", new byte[] {1, 2, 3});

        assertRefused(zip.finish(), "entry 'layer0.bias.npy' appears more than once");
        assertRefused(caseOnly.finish(), "entry 'LAYER0.bias.npy' appears more than once");
    }

    @Test
    void aMissingModelJsonIsRefused() {
        Map<String, byte[]> entries = new LinkedHashMap<>(unpacked().entries);
        entries.remove("model.json");

        assertRefused(RawZip.of(entries), "the archive has no model.json");
    }

    @Test
    void aMissingArrayIsRefused() {
        Map<String, byte[]> entries = new LinkedHashMap<>(unpacked().entries);
        entries.remove("layer2.bias.npy");

        assertRefused(RawZip.of(entries), "layer 2 bias: file 'layer2.bias.npy' is missing from the archive");
    }

    @Test
    void anUnsupportedFormatVersionIsRefused() {
        Unpacked u = unpacked();
        u.model.put("formatVersion", 3);
        Unpacked text = unpacked();
        text.model.put("formatVersion", "1");

        assertRefused(u.zip(), "formatVersion 3 is not supported; this service reads formatVersion 1 and 2");
        assertRefused(text.zip(), "formatVersion must be an integer");
    }

    @Test
    void anOutputLayerWithDropoutOrReluIsRefused() {
        Unpacked dropout = unpacked();
        dropout.layer(2).put("dropout", 0.5);
        Unpacked relu = unpacked();
        relu.layer(2).put("activation", "relu");

        assertRefused(dropout.zip(), "layers[2] is the output layer: it must have activation \"linear\" and dropout 0");
        assertRefused(relu.zip(), "layers[2] is the output layer");
    }

    @Test
    void dropoutOutsideZeroToOneIsRefused() {
        for (double p : new double[] {1.0, -0.1, 7}) {
            Unpacked u = unpacked();
            u.layer(0).put("dropout", p);
            assertRefused(u.zip(), "layers[0].dropout must be a probability in [0, 1)");
        }
        Unpacked input = unpacked();
        input.model.put("inputDropout", 1.0);
        assertRefused(input.zip(), "inputDropout must be a probability in [0, 1)");
    }

    @Test
    void anUnknownActivationIsRefused() {
        Unpacked u = unpacked();
        u.layer(0).put("activation", "tanh");

        assertRefused(u.zip(), "layers[0].activation must be \"relu\" or \"linear\", got \"tanh\"");
    }

    @Test
    void classesThatDoNotMatchTheOutputLayerAreRefused() {
        Unpacked more = unpacked();
        more.model.putArray("classes").add("a").add("b").add("c").add("d");
        Unpacked twice = unpacked();
        twice.model.putArray("classes").add("a").add("b").add("a");
        Unpacked numbers = unpacked();
        numbers.model.putArray("classes").add(0).add(1).add(2);

        assertRefused(more.zip(), "model.json lists 4 classes but the output layer has 3 units");
        assertRefused(twice.zip(), "class 'a' is listed twice");
        assertRefused(numbers.zip(), "classes[0] must be a string");
    }

    @Test
    void aStandardizationThatDoesNotFitIsRefused() {
        Unpacked shorter = unpacked();
        ((ObjectNode) shorter.model.get("standardization")).putArray("mean").add(0.0).add(1.0);
        Unpacked zeroStd = unpacked();
        ((tools.jackson.databind.node.ArrayNode) zeroStd.model.get("standardization").get("std")).set(1, 0.0);

        assertRefused(shorter.zip(), "standardization.mean must be an array of 5 numbers (one per input of the "
                + "first layer), got 2 entries");
        assertRefused(zeroStd.zip(), "standardization.std[1] is 0.0; it must be > 0");
    }

    @Test
    void hashesThatAreMissingOrNameOtherFilesAreRefused() {
        Unpacked missing = unpacked();
        ((ObjectNode) missing.model.get("sha256")).remove("layer1.bias.npy");
        Unpacked extra = unpacked();
        ((ObjectNode) extra.model.get("sha256")).put("other.npy", "00".repeat(32));

        assertRefused(missing.zip(), "layer 1 bias: sha256 needs a 64-digit hex digest for 'layer1.bias.npy'");
        assertRefused(extra.zip(), "sha256 lists 'other.npy', which no layer uses");
    }

    @Test
    void oneFileUsedForTwoArraysIsRefused() {
        Unpacked u = unpacked();
        u.layer(1).put("bias", "layer0.bias.npy");

        assertRefused(u.zip(), "'layer0.bias.npy' is named twice in model.json");
    }

    @Test
    void modelJsonThatIsNotStrictJsonIsRefused() {
        Map<String, byte[]> garbage = new LinkedHashMap<>(unpacked().entries);
        garbage.put("model.json", "{\"formatVersion\": 1,".getBytes(StandardCharsets.UTF_8));
        String json = new String(unpacked().entries.get("model.json"), StandardCharsets.UTF_8);
        Map<String, byte[]> duplicateKey = new LinkedHashMap<>(unpacked().entries);
        duplicateKey.put("model.json", json.replaceFirst("\\{", "{\"formatVersion\": 2,").getBytes(StandardCharsets.UTF_8));
        Map<String, byte[]> array = new LinkedHashMap<>(unpacked().entries);
        array.put("model.json", "[]".getBytes(StandardCharsets.UTF_8));
        Map<String, byte[]> trailing = new LinkedHashMap<>(unpacked().entries);
        trailing.put("model.json", (json + " {}").getBytes(StandardCharsets.UTF_8));
        Unpacked unknown = unpacked();
        unknown.model.put("weights", "layer0.weights.npy");

        assertRefused(RawZip.of(garbage), "model.json is not valid JSON");
        assertTrue(message(RawZip.of(duplicateKey)).contains("Duplicate"), message(RawZip.of(duplicateKey)));
        assertRefused(RawZip.of(array), "model.json must hold a JSON object");
        assertRefused(RawZip.of(trailing), "model.json is not valid JSON");
        assertRefused(unknown.zip(), "model.json has an unknown field 'weights'");
    }

    @Test
    void missingRequiredFieldsAreNamed() {
        for (String field : new String[] {"formatVersion", "createdAt", "classes", "layers", "sha256"}) {
            Unpacked u = unpacked();
            u.model.remove(field);
            assertRefused(u.zip(), "model.json needs the field \"" + field + "\"");
        }
        Unpacked badTime = unpacked();
        badTime.model.put("createdAt", "yesterday");
        assertRefused(badTime.zip(), "createdAt must be an ISO-8601 instant");
        Unpacked nanMetric = unpacked();
        ((ObjectNode) nanMetric.model.get("metrics")).put("accuracy", "high");
        assertRefused(nanMetric.zip(), "metrics.accuracy must be a finite number");
    }

    @Test
    void moreLayersThanTheLimitAreRefused() {
        ArtifactLimits twoLayers = new ArtifactLimits(MIB, MIB, MIB, MIB, 2, 1024);

        assertEquals("model.json has 3 layers; at most 2 are allowed", limitMessage(archive, twoLayers));
        // Entries are counted before model.json is read: a layer has at most 6 arrays (with batch norm).
        Unpacked extra = unpacked();
        extra.entries.put("extra.npy", Npy.write(new float[1], 1));
        ArtifactLimits oneLayer = new ArtifactLimits(MIB, MIB, MIB, MIB, 1, 1024);
        assertEquals("the archive has 8 entries; a model of at most 1 layers has at most 7",
                limitMessage(extra.zip(), oneLayer));
    }

    @Test
    void layersWiderThanTheLimitAreRefused() {
        ArtifactLimits narrow = new ArtifactLimits(MIB, MIB, MIB, MIB, 8, 6);

        assertTrue(limitMessage(archive, narrow).contains("layer 0 weights: shape (5, 7) must have between 1 and 6"));
    }

    @Test
    void anArchiveAboveTheSizeLimitIsRefusedBeforeItIsParsed() {
        ArtifactLimits small = new ArtifactLimits(archive.length - 1, MIB, MIB, MIB, 8, 1024);

        assertEquals("the archive is larger than " + (archive.length - 1) + " bytes", limitMessage(archive, small));
        assertThrows(ArtifactLimitExceededException.class,
                () -> ModelArtifacts.read(new java.io.ByteArrayInputStream(archive), small));
    }

    /** 129 MiB of zeros deflate to about 130 KB; the default limit stops the reader at 128 MiB. */
    @Test
    void aZipBombThatLiesAboutItsSizeIsStoppedAtTheEntryLimit() {
        long inflated = 129 * MIB;
        byte[] bomb = deflatedZeros(inflated);
        RawZip zip = new RawZip();
        zip.stored("model.json", unpacked().entries.get("model.json"));
        // The headers claim 1000 bytes; only counting what actually comes out of the inflater catches it.
        zip.entry("layer0.weights.npy", 8, bomb, zerosCrc(inflated), 1000);

        assertEquals("entry 'layer0.weights.npy' inflates to more than 134217728 bytes",
                limitMessage(zip.finish(), ArtifactLimits.DEFAULTS));
    }

    @Test
    void aZipBombThatDeclaresItsSizeIsRefusedBeforeInflating() {
        long inflated = 129 * MIB;
        RawZip zip = new RawZip();
        zip.stored("model.json", unpacked().entries.get("model.json"));
        // Refused on the declared size alone, so the data need not really be that large.
        zip.entry("layer0.weights.npy", 8, deflatedZeros(MIB), zerosCrc(MIB), inflated);

        assertEquals("entry 'layer0.weights.npy' is 135266304 bytes, more than 134217728",
                limitMessage(zip.finish(), ArtifactLimits.DEFAULTS));
    }

    @Test
    void entriesThatAddUpBeyondTheTotalLimitAreRefused() {
        ArtifactLimits limits = new ArtifactLimits(MIB, 4 * MIB, 2 * MIB, MIB, 8, 1024);
        long each = 3 * MIB / 2;
        RawZip declared = new RawZip();
        declared.stored("model.json", unpacked().entries.get("model.json"));
        RawZip lying = new RawZip();
        lying.stored("model.json", unpacked().entries.get("model.json"));
        for (int i = 0; i < 2; i++) {
            declared.entry("layer" + i + ".weights.npy", 8, deflatedZeros(each), zerosCrc(each), each);
            lying.entry("layer" + i + ".weights.npy", 8, deflatedZeros(each), zerosCrc(each), each);
        }
        declared.entry("layer2.weights.npy", 8, deflatedZeros(each), zerosCrc(each), each);
        // Declares 10 bytes, so the headers add up to less than the limit; inflating shows otherwise.
        lying.entry("layer2.weights.npy", 8, deflatedZeros(each), zerosCrc(each), 10);

        assertEquals("the archive's entries add up to more than 4194304 bytes", limitMessage(declared.finish(), limits));
        assertEquals("the archive inflates to more than 4194304 bytes in total", limitMessage(lying.finish(), limits));
    }

    @Test
    void aLocalHeaderThatDisagreesWithTheCentralDirectoryIsRefused() {
        byte[] renamed = archive.clone();
        // The first local header's name starts at byte 30: "model.json" becomes "Model.json" there only.
        renamed[30] = 'M';

        assertRefused(renamed, "entry 'model.json' has a different name in its local header");
    }

    @Test
    void deflatedEntriesAsPythonWritesThemAreAccepted() {
        RawZip zip = new RawZip();
        unpacked().entries.forEach(zip::deflated);

        ArtifactFixtures.assertSameNetwork(artifact().network(),
                ModelArtifacts.read(zip.finish(), ArtifactLimits.DEFAULTS).network());
    }

    private static byte[] deflatedZeros(long count) {
        Deflater deflater = new Deflater(Deflater.BEST_COMPRESSION, true);
        byte[] zeros = new byte[(int) MIB];
        byte[] buffer = new byte[64 * 1024];
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (long left = count; left > 0; ) {
            int n = (int) Math.min(left, zeros.length);
            deflater.setInput(zeros, 0, n);
            left -= n;
            if (left == 0) {
                deflater.finish();
            }
            while (!deflater.needsInput() || (left == 0 && !deflater.finished())) {
                out.write(buffer, 0, deflater.deflate(buffer));
            }
        }
        deflater.end();
        return out.toByteArray();
    }

    private static long zerosCrc(long count) {
        CRC32 crc = new CRC32();
        byte[] zeros = new byte[(int) MIB];
        for (long left = count; left > 0; left -= zeros.length) {
            crc.update(zeros, 0, (int) Math.min(left, zeros.length));
        }
        return crc.getValue();
    }

    private static void assertRefused(byte[] zip, String expectedMessagePart) {
        String message = message(zip);
        assertTrue(message.contains(expectedMessagePart), "expected '" + expectedMessagePart + "' in: " + message);
    }

    private static String message(byte[] zip) {
        return message(zip, ArtifactLimits.DEFAULTS);
    }

    private static String limitMessage(byte[] zip, ArtifactLimits limits) {
        return assertThrows(ArtifactLimitExceededException.class, () -> ModelArtifacts.read(zip, limits)).getMessage();
    }

    private static String message(byte[] zip, ArtifactLimits limits) {
        return assertThrows(InvalidArtifactException.class, () -> ModelArtifacts.read(zip, limits)).getMessage();
    }
}
