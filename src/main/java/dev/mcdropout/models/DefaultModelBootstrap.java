package dev.mcdropout.models;

import dev.mcdropout.nn.Dataset;
import dev.mcdropout.nn.Datasets;
import dev.mcdropout.nn.Trainer;
import dev.mcdropout.nn.TrainingCancelledException;
import dev.mcdropout.nn.TrainingConfig;
import dev.mcdropout.nn.TrainingListener;
import dev.mcdropout.nn.TrainingResult;
import dev.mcdropout.nn.metrics.EvaluationReport;
import dev.mcdropout.nn.metrics.Evaluator;
import dev.mcdropout.system.BackgroundThreads;
import dev.mcdropout.system.EvaluationProperties;
import dev.mcdropout.system.McDropoutProperties;
import dev.mcdropout.training.TrainingProperties;
import java.time.Instant;
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
 * store is empty trains the default model on the bundled digits data on a background thread at the
 * training jobs' lowered priority. Until a model is active the "models" health indicator keeps readiness
 * DOWN; liveness is unaffected.
 */
@Component
public class DefaultModelBootstrap implements ApplicationRunner, DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(DefaultModelBootstrap.class);

    private final ModelRegistry registry;
    private final McDropoutProperties properties;
    private final BackgroundThreads threads;
    private final Evaluator evaluator;
    private final EvaluationProperties evaluation;
    private final AtomicBoolean cancelled = new AtomicBoolean();
    private volatile String status;
    private volatile Thread worker;
    /** {@code mcdropout.training.enabled}: a replica with training off does not train the default model either. */
    private final boolean trainingEnabled;

    /**
     * @param training its {@code nice} is the niceness training jobs run at: this is training too, and on a
     *                 first start it must not starve predictions of a model imported while it runs
     */
    public DefaultModelBootstrap(ModelRegistry registry, McDropoutProperties properties, TrainingProperties training,
                                 Evaluator evaluator, EvaluationProperties evaluation) {
        this.registry = registry;
        this.evaluator = evaluator;
        this.evaluation = evaluation;
        this.properties = properties;
        this.threads = new BackgroundThreads("mcdropout-default-model", training.nice());
        this.trainingEnabled = training.enabled();
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
        if (!trainingEnabled) {
            status = "the store is empty and training is off on this replica (mcdropout.training.enabled=false); "
                    + "waiting for another replica sharing the store to train a model, or for an import";
            return;
        }
        status = "training the default model '" + properties.defaultModel() + "' on the bundled digits data";
        Thread thread = threads.newThread(this::trainDefaultModel);
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
            // Replicas starting together on an empty shared store all train; the first to store a model wins and
            // the others, once their rescan serves it, stop rather than add a duplicate version.
            TrainingResult result = new Trainer().train(digits, config, progress,
                    () -> cancelled.get() || registry.active(name).isPresent());
            if (registry.active(name).isPresent() || !registry.store().versions(name).isEmpty()) {
                status = null;
                log.info("default model {} was stored by another process sharing the store; not storing ours", name);
                return;
            }
            // the validation split's report, as a training job stores it (Monte Carlo, the training seed)
            Dataset validation = Trainer.split(digits, config).heldOut();
            EvaluationReport report = validation.size() == 0 ? null : evaluator.evaluate(result.network(),
                    validation.features(), validation.labels(), null, evaluation.defaultMcSamples(), config.seed(), null);
            LoadedModel model = registry.publish(name, TrainedArtifacts.of(config, result, Instant.now()), true, report);
            status = null;
            log.info("trained default model {} version {} in {} ms: best epoch {}, validation accuracy {}", name,
                    model.version(), (System.nanoTime() - start) / 1_000_000, result.bestEpoch(),
                    result.validationAccuracy());
        } catch (TrainingCancelledException e) {
            if (!cancelled.get()) {
                status = null;
                log.info("default model training stopped: another process sharing the store activated {} first", name);
                return;
            }
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

    @Override
    public void destroy() throws InterruptedException {
        cancelled.set(true);
        Thread t = worker;
        if (t != null) {
            t.join(10_000);
        }
    }
}
