package dev.mcdropout.predict;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.ChildService;
import dev.mcdropout.models.TestArtifacts;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Sixteen clients at once send 16 MiB bodies of one-number rows ({@code [[0],[0],...]}, four million rows) to
 * a service whose whole heap is 256 MiB, on POST /predict and on the Open Inference Protocol's infer (one
 * flat tensor of eight million numbers), then as the features of a training and of an evaluation data set, and
 * as a training data set's labels (eight million strings), and as OIP parameters (an array of eight million numbers
 * as a parameter the service ignores, and as {@code mc_samples}). Bound to {@code double[][]}, a list of boxed numbers
 * or of strings, each such body took over 100 MiB of heap before any limit was checked; parsed straight into
 * bounded blocks, which keep no more rows than the largest row limit (here 100,000 training rows), each gets its
 * 4xx and the heap stays where it was.
 */
class HostileBodiesHeapTest {

    private static final String KEY = "heap-test-key";
    private static final int CLIENTS = 16;
    private static final int BODY = 16 * 1024 * 1024;
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Test
    void sixteenConcurrentHostileBodiesEachGetAClientErrorAndTheHeapStaysBounded(@TempDir Path store,
                                                                                  @TempDir Path logs) throws Exception {
        try (ChildService child = ChildService.start(logs.resolve("heap.log"),
                List.of("-Xmx256m", "-XX:+ExitOnOutOfMemoryError"), Map.of("OMP_NUM_THREADS", "1"),
                "--mcdropout.store.dir=" + store, "--mcdropout.startup.train-default-model=false",
                "--mcdropout.security.api-key=" + KEY, "--mcdropout.predict.threads=2",
                "--mcdropout.limits.max-training-rows=100000")) {
            child.awaitStatus("/actuator/health/liveness", 200, Duration.ofMinutes(3));
            HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
            byte[] zip = TestArtifacts.zip(TestArtifacts.network(64, 16,
                    List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), 5));
            HttpResponse<String> imported = http.send(HttpRequest.newBuilder(child.uri("/models/digits/versions"))
                    .header("Content-Type", "application/zip").header("X-API-Key", KEY)
                    .POST(HttpRequest.BodyPublishers.ofByteArray(zip)).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(imported.statusCode()).as(imported.body()).isEqualTo(201);
            child.awaitStatus("/actuator/health/readiness", 200, Duration.ofSeconds(30));
            long heapBefore = heapUsed(http, child);

            String rowsHead = "{\"instances\":[";
            String tensorHead = "{\"inputs\":[{\"name\":\"input\",\"shape\":[1,64],\"datatype\":\"FP32\",\"data\":[";
            byte[] rows = body(rowsHead, "[0]", "]}");
            byte[] tensor = body(tensorHead, "0", "]}]}");
            // Data sets of training and evaluation bodies: the features, then the labels.
            String trainHead = "{\"name\":\"hostile\",\"dataset\":{\"labels\":[\"a\"],\"features\":[";
            String evaluateHead = "{\"dataset\":{\"labels\":[\"0\"],\"features\":[";
            String labelsHead = "{\"name\":\"hostile\",\"dataset\":{\"features\":[[0]],\"labels\":[";
            byte[] trainRows = body(trainHead, "[0]", "]}}");
            byte[] evaluateRows = body(evaluateHead, "[0]", "]}}");
            byte[] trainLabels = body(labelsHead, "\"a\"", "]}}");
            // OIP parameters the service does not read, and one it reads, as long arrays.
            String parametersHead = "{\"parameters\":{\"ignored\":[";
            String parametersTail = "]},\"inputs\":[{\"name\":\"input\",\"shape\":[1,64],\"datatype\":\"FP32\",\"data\":"
                    + zeros(64) + "}]}";
            byte[] ignoredParameter = body(parametersHead, "0", parametersTail);
            byte[] mcSamplesArray = body("{\"parameters\":{\"mc_samples\":[", "0", parametersTail);
            // OIP outputs: one name asked for a million times.
            byte[] repeatedOutputs = body("{\"outputs\":[", "{\"name\":\"predicted_class\"}",
                    "],\"inputs\":[{\"name\":\"input\",\"shape\":[1,64],\"datatype\":\"FP32\",\"data\":"
                            + zeros(64) + "}]}");
            AtomicLong heapPeak = new AtomicLong();
            AtomicLong livePeak = new AtomicLong();
            AtomicBoolean done = new AtomicBoolean();
            Thread sampler = new Thread(() -> {
                while (!done.get()) {
                    try {
                        heapPeak.accumulateAndGet(heapUsed(http, child), Math::max);
                        livePeak.accumulateAndGet(gauge(http, child, "jvm.gc.live.data.size"), Math::max);
                        Thread.sleep(20);
                    } catch (Exception e) {
                        return;
                    }
                }
            });
            sampler.start();
            List<String> answers = new ArrayList<>();
            long start = System.nanoTime();
            try {
                answers.addAll(barrage(http, child, "/predict", rows));
                answers.addAll(barrage(http, child, "/v2/models/digits/infer", tensor));
                answers.addAll(barrage(http, child, "/train", trainRows));
                answers.addAll(barrage(http, child, "/models/digits/versions/1/evaluate", evaluateRows));
                answers.addAll(barrage(http, child, "/train", trainLabels));
                answers.addAll(barrage(http, child, "/v2/models/digits/infer", ignoredParameter));
                answers.addAll(barrage(http, child, "/v2/models/digits/infer", mcSamplesArray));
                answers.addAll(barrage(http, child, "/v2/models/digits/infer", repeatedOutputs));
            } finally {
                done.set(true);
                sampler.join();
            }
            long millis = (System.nanoTime() - start) / 1_000_000;

            assertThat(answers).hasSize(8 * CLIENTS);
            assertThat(answers.subList(0, 2 * CLIENTS)).allSatisfy(a -> assertThat(a).startsWith("400 "));
            assertThat(answers.subList(0, CLIENTS)).allSatisfy(a -> assertThat(a)
                    .contains("the request has " + items(rowsHead, "[0]", "]}") + " rows, more than the 10000 allowed"));
            assertThat(answers.subList(CLIENTS, 2 * CLIENTS)).allSatisfy(a -> assertThat(a)
                    .contains("(64 numbers) but its data has " + items(tensorHead, "0", "]}]}")));
            assertThat(answers.subList(2 * CLIENTS, 3 * CLIENTS)).allSatisfy(a -> assertThat(a).startsWith("413 ")
                    .contains("the data set has " + items(trainHead, "[0]", "]}}") + " rows, more than the 100000 allowed"));
            assertThat(answers.subList(3 * CLIENTS, 4 * CLIENTS)).allSatisfy(a -> assertThat(a).startsWith("413 ")
                    .contains("dataset.features has " + items(evaluateHead, "[0]", "]}}")
                            + " rows, more than the 10000 allowed"));
            assertThat(answers.subList(4 * CLIENTS, 5 * CLIENTS)).allSatisfy(a -> assertThat(a).startsWith("422 ")
                    .contains("the data set has 1 feature rows but " + items(labelsHead, "\"a\"", "]}}") + " labels"));
            // A parameter the service does not read is skipped: the inference runs.
            assertThat(answers.subList(5 * CLIENTS, 6 * CLIENTS)).allSatisfy(a -> assertThat(a).startsWith("200 "));
            assertThat(answers.subList(6 * CLIENTS, 7 * CLIENTS)).allSatisfy(a -> assertThat(a).startsWith("400 ")
                    .contains("parameter 'mc_samples' must be an integer from 0 to 10000, got [0, 0, 0, "));
            // Repeats of an output are answered once: the inference runs.
            assertThat(answers.subList(7 * CLIENTS, 8 * CLIENTS)).allSatisfy(a -> assertThat(a).startsWith("200 ")
                    .contains("\"predicted_class\""));
            assertThat(child.process().isAlive()).isTrue();
            child.awaitStatus("/actuator/health/readiness", 200, Duration.ofSeconds(10));
            HttpResponse<String> normal = http.send(HttpRequest.newBuilder(child.uri("/predict?mcSamples=10&seed=1"))
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"instances\":[" + zeros(64) + "]}")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertThat(normal.statusCode()).as(normal.body()).isEqualTo(200);
            // What the 128 bodies (2 GiB of JSON: rows, numbers, labels or output names) cost the heap, sampled every 20 ms:
            // the heap in use (garbage included) and what survived the last collection of the old generation.
            // Bound to double[][] or boxed lists, each body kept over 100 MiB alive while it was parsed.
            System.out.printf("hostile bodies: %d answered in %d ms; heap used %d MiB before, peak %d MiB; "
                            + "live data after GC peak %d MiB (-Xmx256m)%n", answers.size(), millis, heapBefore >> 20,
                    heapPeak.get() >> 20, livePeak.get() >> 20);
            // Without the bounds 16 bodies of 16 MiB do not fit -Xmx256m at all; on a loaded machine the figure
            // after a young collection also holds garbage not yet collected from the old generation, hence the margin.
            assertThat(livePeak.get()).isLessThan(160L << 20);
        }
    }

    private static List<String> barrage(HttpClient http, ChildService child, String path, byte[] body) throws Exception {
        ExecutorService clients = Executors.newFixedThreadPool(CLIENTS);
        try {
            List<Future<String>> futures = new ArrayList<>();
            for (int c = 0; c < CLIENTS; c++) {
                futures.add(clients.submit(() -> {
                    HttpResponse<String> r = http.send(HttpRequest.newBuilder(child.uri(path))
                            .timeout(Duration.ofMinutes(2)).header("Content-Type", "application/json")
                            .header("X-API-Key", KEY)
                            .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build(), HttpResponse.BodyHandlers.ofString());
                    return r.statusCode() + " " + r.headers().firstValue("Content-Type").orElse("") + " " + r.body();
                }));
            }
            List<String> answers = new ArrayList<>();
            for (Future<String> f : futures) {
                answers.add(f.get());
            }
            return answers;
        } finally {
            clients.shutdownNow();
        }
    }

    private static int items(String head, String item, String tail) {
        return (BODY - head.length() - tail.length() + 1) / (item.length() + 1);
    }

    /** {@code head}, then {@code item} repeated with commas up to just under 16 MiB, then {@code tail}. */
    private static byte[] body(String head, String item, String tail) {
        int items = items(head, item, tail);
        StringBuilder sb = new StringBuilder(BODY).append(head);
        for (int i = 0; i < items; i++) {
            sb.append(i == 0 ? "" : ",").append(item);
        }
        byte[] bytes = sb.append(tail).toString().getBytes(StandardCharsets.US_ASCII);
        assertThat(bytes.length).isLessThanOrEqualTo(BODY);
        return bytes;
    }

    private static String zeros(int n) {
        return "[" + String.join(",", java.util.Collections.nCopies(n, "0")) + "]";
    }

    private static long heapUsed(HttpClient http, ChildService child) throws Exception {
        return gauge(http, child, "jvm.memory.used?tag=area:heap");
    }

    private static long gauge(HttpClient http, ChildService child, String meter) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(
                        child.management("/actuator/metrics/" + meter)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode measurements = JSON.readTree(r.body()).get("measurements");
        return (long) measurements.get(0).get("value").asDouble();
    }
}
