package dev.mcdropout.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.assertj.core.api.Assertions.within;

import dev.mcdropout.ServiceTestSupport;
import dev.mcdropout.client.api.EvaluationApi;
import dev.mcdropout.client.api.ExperimentsApi;
import dev.mcdropout.client.api.ModelsApi;
import dev.mcdropout.client.api.PredictApi;
import dev.mcdropout.client.api.TrainingApi;
import dev.mcdropout.client.invoker.ApiClient;
import dev.mcdropout.client.invoker.ApiException;
import dev.mcdropout.client.model.DropoutSweep;
import dev.mcdropout.client.model.DropoutSweepRequest;
import dev.mcdropout.client.model.EvaluateRequest;
import dev.mcdropout.client.model.Evaluation;
import dev.mcdropout.client.model.Hyperparameters;
import dev.mcdropout.client.model.SaveBest;
import dev.mcdropout.client.model.ModelSummary;
import dev.mcdropout.client.model.PredictRequest;
import dev.mcdropout.client.model.PredictResponse;
import dev.mcdropout.client.model.Prediction;
import dev.mcdropout.client.model.Problem;
import dev.mcdropout.client.model.TrainRequest;
import dev.mcdropout.client.model.TrainingDataset;
import dev.mcdropout.client.model.TrainingJob;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The service through the Java client that the build generates from the service's own OpenAPI document
 * (openapi-generator, library native; see pom.xml and OpenApiContractTest). Only the generated client
 * talks to the server here, as a user's generated client would.
 */
class GeneratedClientTest extends ServiceTestSupport {

    private static final List<String> DIGIT_CLASSES = IntStream.range(0, 10).mapToObj(Integer::toString).toList();

    private ApiClient client(String apiKey) {
        ApiClient client = new ApiClient();
        client.updateBaseUri("http://localhost:" + port);
        client.setReadTimeout(Duration.ofSeconds(60));
        if (apiKey != null) {
            client.setRequestInterceptor(request -> request.header("X-API-Key", apiKey));
        }
        return client;
    }

    private static PredictRequest digits(int from, int n) {
        return new PredictRequest().instances(IntStream.range(from, from + n).mapToObj(GeneratedClientTest::row).toList());
    }

    private static List<Double> row(int i) {
        return Arrays.stream(digitsRow(i)).boxed().toList();
    }

    @Test
    void generatedClientListsModelsWithTheActiveDefaultDigitsModel() throws Exception {
        List<ModelSummary> models = new ModelsApi(client(null)).listModels();

        ModelSummary digits = models.stream().filter(m -> m.getName().equals("digits")).findFirst().orElseThrow();
        assertThat(digits.getActiveVersion()).isNotNull().isPositive();
        assertThat(digits.getVersions()).contains(digits.getActiveVersion());
    }

    @Test
    void generatedClientSamplesAdaptivelyThroughItsTypedToleranceParameter() throws Exception {
        // mcSamples stays an integer in the generated client; a tolerance without mcSamples asks for auto.
        PredictResponse response = new PredictApi(client(null)).predict(digits(1110, 20), null, 7L, null, null, 0.01,
                20, 640);

        assertThat(response.getAdaptive().getTolerance()).isEqualTo(0.01);
        assertThat(response.getAdaptive().getMinSamples()).isEqualTo(20);
        assertThat(response.getAdaptive().getMaxSamples()).isEqualTo(640);
        assertThat(response.getPredictions()).allSatisfy(p -> {
            assertThat(p.getSamplesUsed()).isBetween(20, 640);
            assertThat(p.getStandardError() < 0.01 || p.getSamplesUsed() == 640).isTrue();
        });
        assertThat(response.getMcSamples()).isEqualTo(response.getPredictions().stream()
                .mapToInt(Prediction::getSamplesUsed).max().orElseThrow());
    }

    @Test
    void generatedClientPredictsWithOneHundredMonteCarloSamples() throws Exception {
        PredictResponse response = new PredictApi(client(null)).predict(digits(0, 4), 100, 7L, null, null, null, null, null);

        assertThat(response.getModel().getName()).isEqualTo("digits");
        assertThat(response.getModel().getVersion()).isPositive();
        assertThat(response.getMcSamples()).isEqualTo(100);
        assertThat(response.getSeed()).isEqualTo(7L);
        assertThat(response.getClasses()).isEqualTo(DIGIT_CLASSES);
        assertThat(response.getPredictions()).hasSize(4);
        for (int i = 0; i < 4; i++) {
            Prediction p = response.getPredictions().get(i);
            assertThat(p.getPredictedClass()).isEqualTo(Integer.toString(digitLabel(i)));
            assertThat(p.getMean()).hasSize(10);
            assertThat(p.getStd()).hasSize(10).allSatisfy(s -> assertThat(s).isBetween(0.0, 0.5));
            assertThat(p.getMean().stream().mapToDouble(Double::doubleValue).sum()).isCloseTo(1.0, within(1e-4));
            assertThat(p.getPredictiveEntropy()).isBetween(0.0, Math.log(10) + 1e-9);
            assertThat(p.getMutualInformation()).isBetween(-1e-9, p.getPredictiveEntropy() + 1e-9);
            assertThat(p.getVariationRatio()).isBetween(0.0, 1.0);
            assertThat(p.getScoresMean()).isNull();
        }
        // dropout is on in 100 passes, so the rows cannot all be answered with zero spread
        assertThat(response.getPredictions()).anySatisfy(p -> assertThat(p.getMutualInformation()).isPositive());

        PredictResponse again = new PredictApi(client(null)).predict(digits(0, 4), 100, 7L, "digits", List.of("scores"), null, null, null);
        assertThat(again.getPredictions().get(0).getMean()).isEqualTo(response.getPredictions().get(0).getMean());
        assertThat(again.getPredictions().get(0).getScoresMean()).hasSize(10);
    }

    @Test
    void generatedClientTrainsAModelPollsTheJobAndPredictsWithIt() throws Exception {
        ApiClient client = client(API_KEY);
        TrainingApi training = new TrainingApi(client);
        String name = "client-digits";
        List<List<Double>> features = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            features.add(row(i));
            labels.add(Integer.toString(digitLabel(i)));
        }
        TrainRequest request = new TrainRequest().name(name)
                .dataset(new TrainingDataset().features(features).labels(labels))
                .hyperparameters(new Hyperparameters().hiddenLayers(List.of(64)).dropout(List.of(0.2))
                        .epochs(150).seed(5L));

        TrainingJob job = training.train(request, null, "generated-client-" + name);
        // A retry with the same Idempotency-Key gets the same job back, not a second one.
        assertThat(training.train(request, null, "generated-client-" + name).getId()).isEqualTo(job.getId());
        assertThat(job.getName()).isEqualTo(name);
        assertThat(job.getStatus()).isIn(TrainingJob.StatusEnum.QUEUED, TrainingJob.StatusEnum.RUNNING);

        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while ((job.getStatus() == TrainingJob.StatusEnum.QUEUED || job.getStatus() == TrainingJob.StatusEnum.RUNNING)
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
            job = training.getTrainingJob(job.getId());
        }
        assertThat(job.getStatus()).as("job %s", job).isEqualTo(TrainingJob.StatusEnum.SUCCEEDED);
        assertThat(job.getModel().getName()).isEqualTo(name);
        assertThat(job.getHistory().getLoss()).isNotEmpty().hasSizeLessThanOrEqualTo(150);
        assertThat(job.getFinishedAt()).isAfterOrEqualTo(job.getStartedAt());
        assertThat(training.listTrainingJobs()).extracting(TrainingJob::getId).contains(job.getId());

        ModelSummary trained = new ModelsApi(client).listModels().stream().filter(m -> m.getName().equals(name))
                .findFirst().orElseThrow();
        assertThat(trained.getActiveVersion()).isEqualTo(job.getModel().getVersion());

        // rows the model did not train on; 30 of 40 is far above the 4 of 40 of guessing (this seeded run gets 33)
        int from = 1000;
        int n = 40;
        PredictResponse response = new PredictApi(client).predict(digits(from, n), 100, 11L, name, null, null, null, null);
        assertThat(response.getModel().getName()).isEqualTo(name);
        assertThat(response.getModel().getVersion()).isEqualTo(job.getModel().getVersion());
        assertThat(response.getClasses()).isEqualTo(DIGIT_CLASSES);
        long correct = IntStream.range(0, n)
                .filter(i -> response.getPredictions().get(i).getPredictedClass().equals(Integer.toString(digitLabel(from + i))))
                .count();
        assertThat(correct).as("held-out rows right of %d", n).isGreaterThanOrEqualTo(30);
    }

    @Test
    void generatedClientUploadsACsvAndTrainsThroughTrainFromCsv(@TempDir Path dir) throws Exception {
        // 500 digits rows with a header row; the label column is named, not the last one
        StringBuilder csv = new StringBuilder("digit");
        for (int j = 0; j < 64; j++) {
            csv.append(",p").append(j);
        }
        csv.append('\n');
        for (int i = 0; i < 500; i++) {
            csv.append(digitLabel(i));
            for (double v : digitsRow(i)) {
                csv.append(',').append((int) v);
            }
            csv.append('\n');
        }
        Path file = Files.writeString(dir.resolve("digits.csv"), csv);
        ApiClient client = client(API_KEY);

        TrainingJob job = new TrainingApi(client).trainFromCsv(file.toFile(), "client-csv", true, null, false,
                "{\"hiddenLayers\": [64], \"dropout\": 0.2, \"epochs\": 100, \"seed\": 3}", "digit");

        assertThat(job.getStatus()).as("job %s", job).isEqualTo(TrainingJob.StatusEnum.SUCCEEDED);
        assertThat(job.getRows()).isEqualTo(500);
        assertThat(job.getFeatures()).isEqualTo(64);
        assertThat(job.getClasses()).isEqualTo(DIGIT_CLASSES);
        assertThat(job.getActivate()).isFalse();
        int version = job.getModel().getVersion();
        PredictResponse response = new PredictApi(client).predict(digits(1000, 40), 30, 3L, "client-csv:" + version, null, null, null, null);
        long correct = IntStream.range(0, 40)
                .filter(i -> response.getPredictions().get(i).getPredictedClass().equals(Integer.toString(digitLabel(1000 + i))))
                .count();
        // 24 of 40 is six times the 4 of 40 of guessing
        assertThat(correct).as("held-out rows right of 40").isGreaterThanOrEqualTo(24);

        ApiException noName = catchThrowableOfType(ApiException.class, () -> new TrainingApi(client)
                .trainFromCsv(file.toFile(), "Not A Name", false, null, null, null, "digit"));
        assertThat(noName.getCode()).isEqualTo(400);
        assertProblem(client, noName, 400, "name");
    }

    @Test
    void generatedClientEvaluatesAVersionDeterministicAndMonteCarloSideBySide() throws Exception {
        ApiClient client = client(API_KEY);
        List<List<Double>> features = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (int i = 1300; i < 1400; i++) {
            features.add(row(i));
            labels.add(Integer.toString(digitLabel(i)));
        }
        EvaluateRequest request = new EvaluateRequest().dataset(new TrainingDataset().features(features).labels(labels));

        Evaluation evaluation = new EvaluationApi(client).evaluateModelVersion("digits", 1, request, 20, 3L, 0.95);

        assertThat(evaluation.getModel().getName()).isEqualTo("digits");
        assertThat(evaluation.getRows()).isEqualTo(100);
        assertThat(evaluation.getOodRows()).isZero();
        assertThat(evaluation.getMcSamples()).isEqualTo(20);
        assertThat(evaluation.getSeed()).isEqualTo(3L);
        for (var pass : List.of(evaluation.getDeterministic(), evaluation.getMonteCarlo())) {
            assertThat(pass.getAccuracy()).isGreaterThan(0.8);
            assertThat(pass.getNll()).isPositive();
            assertThat(pass.getEceBins()).hasSize(15);
            assertThat(pass.getMeasures().getPredictiveEntropy().getRiskCoverage()).isNotEmpty();
            assertThat(pass.getMeasures().getMutualInformation().getOodAuroc()).isNull();
            assertThat(pass.getMeasures().getOneMinusMaxProbability().getTarget().getTargetAccuracy()).isEqualTo(0.95);
        }
        assertThat(new EvaluationApi(client).getEvaluation(evaluation.getId()).getMonteCarlo().getEce())
                .isEqualTo(evaluation.getMonteCarlo().getEce());
    }

    @Test
    void generatedClientRunsADropoutSweepAndSavesTheBestRate() throws Exception {
        ApiClient client = client(API_KEY);
        ExperimentsApi experiments = new ExperimentsApi(client);
        List<List<Double>> features = new ArrayList<>();
        List<String> labels = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            features.add(row(i));
            labels.add(Integer.toString(digitLabel(i)));
        }
        DropoutSweepRequest request = new DropoutSweepRequest()
                .dataset(new TrainingDataset().features(features).labels(labels))
                .rates(List.of(0.1, 0.5))
                .hyperparameters(new Hyperparameters().hiddenLayers(List.of(16)).epochs(4).earlyStoppingPatience(0).seed(2L))
                .mcSamples(10)
                .saveBest(new SaveBest().name("client-sweep").activate(false));

        DropoutSweep sweep = experiments.startDropoutSweep(request);
        long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
        while ((sweep.getStatus() == DropoutSweep.StatusEnum.QUEUED || sweep.getStatus() == DropoutSweep.StatusEnum.RUNNING)
                && System.nanoTime() < deadline) {
            Thread.sleep(50);
            sweep = experiments.getExperiment(sweep.getId());
        }

        assertThat(sweep.getStatus()).as("sweep %s", sweep).isEqualTo(DropoutSweep.StatusEnum.SUCCEEDED);
        assertThat(sweep.getRuns()).hasSize(2).allSatisfy(run -> {
            assertThat(run.getHistory().getValidationAccuracy()).hasSize(4);
            assertThat(run.getReport().getNll()).isPositive();
        });
        assertThat(sweep.getBestRate()).isIn(0.1, 0.5);
        assertThat(sweep.getModel().getName()).isEqualTo("client-sweep");
        ModelSummary saved = new ModelsApi(client).listModels().stream().filter(m -> m.getName().equals("client-sweep"))
                .findFirst().orElseThrow();
        assertThat(saved.getVersions()).contains(sweep.getModel().getVersion());

        ApiException badRate = catchThrowableOfType(ApiException.class, () -> experiments.startDropoutSweep(
                new DropoutSweepRequest().dataset(new TrainingDataset().features(features).labels(labels))
                        .rates(List.of(1.5))));
        assertThat(badRate.getCode()).isEqualTo(400);
        assertProblem(client, badRate, 400, "rates[0]");
    }

    @Test
    void clientErrorsSurfaceAsApiExceptionsCarryingAProblemBody() throws Exception {
        ApiClient client = client(null);

        ApiException unknown = catchThrowableOfType(ApiException.class,
                () -> new PredictApi(client).predict(digits(0, 1), 10, 1L, "no-such-model", null, null, null, null));
        assertThat(unknown.getCode()).isEqualTo(404);
        assertProblem(client, unknown, 404, "no-such-model");

        ApiException wrongWidth = catchThrowableOfType(ApiException.class, () -> new PredictApi(client)
                .predict(new PredictRequest().instances(List.of(List.of(1.0, 2.0))), 10, 1L, null, null, null, null, null));
        assertThat(wrongWidth.getCode()).isBetween(400, 499);
        assertProblem(client, wrongWidth, wrongWidth.getCode(), "64");

        ApiException wrongKey = catchThrowableOfType(ApiException.class, () -> new TrainingApi(client("not-the-key"))
                .train(new TrainRequest().name("never").dataset(new TrainingDataset()
                        .features(List.of(List.of(0.0), List.of(1.0))).labels(List.of("a", "b"))), null, null));
        assertThat(wrongKey.getCode()).isEqualTo(403);
        assertProblem(client, wrongKey, 403, "X-API-Key");
    }

    /** The exception's body parses as the document's Problem schema and says what went wrong. */
    private static void assertProblem(ApiClient client, ApiException e, int status, String mentions) throws Exception {
        assertThat(e.getResponseHeaders().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/problem+json"));
        Problem problem = client.getObjectMapper().readValue(e.getResponseBody(), Problem.class);
        assertThat(problem.getStatus()).isEqualTo(status);
        assertThat(problem.getTitle()).isNotBlank();
        assertThat(problem.getDetail()).isNotBlank();
        String said = problem.getDetail() + (problem.getErrors() == null ? "" : " " + problem.getErrors());
        assertThat(said).contains(mentions);
    }
}
