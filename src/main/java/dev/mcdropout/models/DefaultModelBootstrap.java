package dev.mcdropout.models;

import dev.mcdropout.nn.Dataset;
import dev.mcdropout.nn.Datasets;
import dev.mcdropout.nn.Trainer;
import dev.mcdropout.nn.TrainingCancelledException;
import dev.mcdropout.nn.TrainingConfig;
import dev.mcdropout.nn.TrainingListener;
import dev.mcdropout.nn.TrainingResult;
import dev.mcdropout.nn.artifact.ModelArtifact;
import dev.mcdropout.system.McDropoutProperties;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.stereotype.Component;

/**
 * Gets the service to a usable state at start: loads the active version of every stored model, and when the
 * store is empty trains the default model on the bundled digits data on a background thread. Until a
 * model is active the "models" health indicator keeps readiness DOWN; liveness is unaffected.
 */
@Component
public class DefaultModelBootstrap implements ApplicationRunner, DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(DefaultModelBootstrap.class);

    private final ModelRegistry registry;
    private final McDropoutProperties properties;
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private volatile String status;
    private volatile Thread worker;

    public DefaultModelBootstrap(ModelRegistry registry, McDropoutProperties properties) {
        this.registry = registry;
        this.properties = properties;
    }

    @Override
    public void run(ApplicationArguments args) {
        if (!registry.isEmpty()) {
            registry.loadActiveModels();
            return;
        }
        if (!properties.startup().trainDefaultModel()) {
            status = "the store is empty and mcdropout.startup.train-default-model is false; import a model";
            return;
        }
        status = "training the default model '" + properties.defaultModel() + "' on the bundled digits data";
        Thread thread = new Thread(this::trainDefaultModel, "mcdropout-default-model");
        thread.setDaemon(true);
        worker = thread;
        thread.start();
    }

    /** What startup is doing, while no model is active. */
    public Optional<String> status() {
        return Optional.ofNullable(status);
    }

    private void trainDefaultModel() {
        String name = properties.defaultModel();
        try {
            long start = System.nanoTime();
            Dataset digits = Datasets.digits();
            TrainingConfig config = TrainingConfig.defaults().withSeed(properties.startup().seed());
            TrainingListener progress = (epoch, epochs, history) -> status = "training the default model '" + name
                    + "' on the bundled digits data: epoch " + epoch + " of at most " + epochs;
            TrainingResult result = new Trainer().train(digits, config, progress, cancelled::get);
            Map<String, Double> metrics = new LinkedHashMap<>();
            putFinite(metrics, "validationAccuracy", result.validationAccuracy());
            putFinite(metrics, "validationLoss", result.validationLoss());
            putFinite(metrics, "bestEpoch", result.bestEpoch());
            ModelArtifact artifact = new ModelArtifact(result.network(), hyperparameters(config), result.history(),
                    metrics, Instant.now());
            LoadedModel model = registry.publish(name, artifact, true);
            status = null;
            log.info("trained default model {} version {} in {} ms: best epoch {}, validation accuracy {}", name,
                    model.version(), (System.nanoTime() - start) / 1_000_000, result.bestEpoch(),
                    result.validationAccuracy());
        } catch (TrainingCancelledException e) {
            log.info("default model training stopped at shutdown");
        } catch (RuntimeException | java.io.IOException e) {
            if (cancelled.get()) {
                log.info("default model training stopped at shutdown");
                return;
            }
            status = "training the default model failed: " + e.getMessage();
            log.error("training the default model {} failed", name, e);
        }
    }

    private static void putFinite(Map<String, Double> metrics, String key, double value) {
        if (Double.isFinite(value)) {
            metrics.put(key, value);
        }
    }

    static Map<String, Object> hyperparameters(TrainingConfig c) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("hiddenLayers", c.hiddenLayers());
        h.put("dropout", c.dropout());
        h.put("inputDropout", c.inputDropout());
        h.put("epochs", c.epochs());
        h.put("batchSize", c.batchSize());
        h.put("learningRate", c.learningRate());
        h.put("optimizer", c.optimizer().name().toLowerCase(java.util.Locale.ROOT));
        h.put("momentum", c.momentum());
        h.put("l2", c.l2());
        h.put("validationFraction", c.validationFraction());
        h.put("earlyStoppingPatience", c.earlyStoppingPatience());
        h.put("seed", c.seed());
        h.put("standardize", c.standardize());
        return h;
    }

    @Override
    public void destroy() throws InterruptedException {
        cancelled.set(true);
        Thread t = worker;
        if (t != null) {
            t.join(10_000);
        }
    }
}
