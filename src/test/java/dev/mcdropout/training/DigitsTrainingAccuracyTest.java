package dev.mcdropout.training;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcdropout.nn.Dataset;
import dev.mcdropout.nn.Datasets;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The acceptance bar: trained through the API with default hyperparameters on 80% of the bundled
 * digits data (stratified, seeded split), the model classifies the held-out 20% with accuracy >= 0.97 using
 * Monte Carlo dropout with 100 samples via POST /predict.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "mcdropout.startup.train-default-model=false",
})
class DigitsTrainingAccuracyTest extends TrainingTestSupport {

    @TempDir
    static Path store;

    @DynamicPropertySource
    static void storeDir(DynamicPropertyRegistry registry) {
        registry.add("mcdropout.store.dir", () -> store.toString());
    }

    @Test
    void defaultHyperparametersReachHeldOutAccuracyOf97PercentOnDigits() throws Exception {
        Dataset digits = Datasets.digits();
        assertThat(digits.size()).isEqualTo(1797);
        Dataset.Split split = digits.stratifiedSplit(0.2, 42);
        Dataset train = split.train();
        Dataset test = split.heldOut();

        List<String> trainLabels = new ArrayList<>();
        for (int i = 0; i < train.size(); i++) {
            trainLabels.add(train.classes().get(train.label(i)));
        }
        StringBuilder labels = new StringBuilder("[");
        for (int i = 0; i < trainLabels.size(); i++) {
            labels.append(i == 0 ? "\"" : ",\"").append(trainLabels.get(i)).append('"');
        }
        String body = "{\"name\":\"digits-api\",\"dataset\":{\"features\":" + matrix(train.features())
                + ",\"labels\":" + labels.append(']') + "}}";

        long start = System.nanoTime();
        HttpResponse<String> posted = postJson("/train", body);
        assertThat(posted.statusCode()).as(posted.body()).isEqualTo(202);
        JsonNode job = awaitFinished(json(posted).get("id").asString(), Duration.ofMinutes(10));
        double seconds = (System.nanoTime() - start) / 1e9;
        assertThat(job.get("status").asString()).as(job.toString()).isEqualTo("SUCCEEDED");

        JsonNode answer = json(postJson("/predict?model=digits-api&mcSamples=100&seed=7", instances(test.features())));
        assertThat(answer.get("mcSamples").asInt()).isEqualTo(100);
        JsonNode predictions = answer.get("predictions");
        assertThat(predictions.size()).isEqualTo(test.size());
        int correct = 0;
        for (int i = 0; i < test.size(); i++) {
            if (predictions.get(i).get("predictedClass").asString().equals(test.classes().get(test.label(i)))) {
                correct++;
            }
        }
        double accuracy = (double) correct / test.size();
        System.out.printf("digits via API: %d training rows, %d epochs (early stopping), %.1f s; held-out accuracy "
                        + "with mcSamples=100: %.4f (%d/%d)%n", train.size(), job.get("epoch").asInt(), seconds, accuracy,
                correct, test.size());
        assertThat(accuracy).isGreaterThanOrEqualTo(0.97);
    }
}
