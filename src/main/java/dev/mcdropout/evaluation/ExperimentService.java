package dev.mcdropout.evaluation;

import dev.mcdropout.evaluation.SweepDtos.RunReport;
import dev.mcdropout.evaluation.SweepDtos.SaveBest;
import dev.mcdropout.models.LoadedModel;
import dev.mcdropout.models.ModelRegistry;
import dev.mcdropout.models.TrainedArtifacts;
import dev.mcdropout.nn.Dataset;
import dev.mcdropout.nn.Trainer;
import dev.mcdropout.nn.TrainingCancelledException;
import dev.mcdropout.nn.TrainingConfig;
import dev.mcdropout.nn.TrainingDivergedException;
import dev.mcdropout.nn.TrainingResult;
import dev.mcdropout.nn.metrics.EvaluationReport;
import dev.mcdropout.nn.metrics.Evaluator;
import dev.mcdropout.system.BackgroundThreads;
import dev.mcdropout.system.Problems;
import dev.mcdropout.system.ProblemException;
import dev.mcdropout.training.TrainingDtos.JobStatus;
import dev.mcdropout.training.TrainingDtos.TrainedModel;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.FutureTask;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;

/**
 * Runs dropout-rate sweeps as jobs: per rate, one training run on the same data, split and seed (only the
 * dropout probability of the hidden layers differs), then a Monte Carlo evaluation of that run's validation
 * split. The best rate is the one with the lowest Monte Carlo validation NLL (ties: the first in the request's
 * order); with {@code saveBest} its network is stored as the next version of a model, with its report.
 */
public class ExperimentService implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(ExperimentService.class);

    private final ModelRegistry registry;
    private final Evaluator evaluator;
    private final ExperimentProperties properties;
    private final Clock clock;
    /** mcdropout.problems.type-base, for the type of a failed job's error (set by the configuration). */
    private volatile String problemTypeBase = dev.mcdropout.system.Problems.DEFAULT_TYPE_BASE;
    private final Trainer trainer = new Trainer();
    private final ThreadPoolExecutor executor;
    private final Map<String, SweepJob> jobs = new LinkedHashMap<>();

    public ExperimentService(ModelRegistry registry, Evaluator evaluator, ExperimentProperties properties, int nice,
                             Clock clock) {
        this.registry = registry;
        this.evaluator = evaluator;
        this.properties = properties;
        this.clock = clock;
        BlockingQueue<Runnable> queue = properties.queueCapacity() == 0
                ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(properties.queueCapacity());
        this.executor = new ThreadPoolExecutor(properties.concurrency(), properties.concurrency(), 0L,
                TimeUnit.MILLISECONDS, queue, new BackgroundThreads("mcdropout-experiment", nice),
                new ThreadPoolExecutor.AbortPolicy());
    }

    SweepJob submit(Dataset dataset, List<Double> rates, TrainingConfig config, SaveBest saveBest, int mcSamples) {
        SweepJob job = new SweepJob(UUID.randomUUID().toString(), dataset, rates, config, saveBest, mcSamples,
                clock.instant());
        FutureTask<Void> task = new FutureTask<>(() -> run(job), null);
        job.attach(task);
        synchronized (jobs) {
            jobs.put(job.id(), job);
        }
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            synchronized (jobs) {
                jobs.remove(job.id());
            }
            throw new ProblemException(HttpStatus.TOO_MANY_REQUESTS, "experiment-queue-full", "Experiment queue full",
                    "the service is already running " + properties.concurrency() + " sweep(s) with "
                            + properties.queueCapacity() + " waiting (mcdropout.experiments.queue-capacity); retry later "
                            + "or cancel one").retryAfter(properties.retryAfter());
        }
        log.info("queued dropout sweep {} over rates {} ({} rows)", job.id(), rates, dataset.size());
        return job;
    }

    Optional<SweepJob> find(String id) {
        synchronized (jobs) {
            return Optional.ofNullable(jobs.get(id));
        }
    }

    List<SweepJob> list() {
        List<SweepJob> all;
        synchronized (jobs) {
            all = new ArrayList<>(jobs.values());
        }
        Collections.reverse(all);
        return all;
    }

    boolean cancel(SweepJob job, Duration wait) {
        Future<?> queued = job.requestCancel(clock.instant());
        if (queued != null) {
            executor.remove((Runnable) queued);
            prune();
        }
        try {
            job.done().get(wait.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return job.status().finished();
        } catch (ExecutionException e) {
            return true;
        }
    }

    private void run(SweepJob job) {
        Dataset data = job.start(clock.instant());
        if (data == null) {
            return;
        }
        try {
            List<Double> rates = job.rates();
            TrainingConfig base = job.config();
            int best = -1;
            double bestNll = Double.POSITIVE_INFINITY;
            TrainingResult bestResult = null;
            EvaluationReport bestReport = null;
            for (int i = 0; i < rates.size(); i++) {
                int run = i;
                TrainingConfig config = base.withHiddenLayers(base.hiddenLayers(), rates.get(i));
                TrainingResult result = trainer.train(data, config,
                        (epoch, epochs, history) -> job.runProgress(run, epoch, history), job::cancelRequested);
                if (job.cancelRequested()) {
                    throw new TrainingCancelledException(result.history().loss().size());
                }
                Dataset validation = Trainer.split(data, config).heldOut();
                EvaluationReport report = evaluator.evaluate(result.network(), validation.features(),
                        validation.labels(), null, job.mcSamples(), config.seed(), null);
                job.runFinished(run, result.history(), result.bestEpoch(), summary(report));
                if (report.monteCarlo().nll() < bestNll) {
                    bestNll = report.monteCarlo().nll();
                    best = i;
                    bestResult = result;
                    bestReport = report;
                }
            }
            TrainedModel saved = null;
            SaveBest save = job.saveBest();
            if (save != null) {
                TrainingConfig config = base.withHiddenLayers(base.hiddenLayers(), rates.get(best));
                boolean activate = save.activate() == null || save.activate();
                LoadedModel model = registry.publish(save.name(),
                        TrainedArtifacts.of(config, bestResult, clock.instant()), activate, bestReport);
                saved = new TrainedModel(model.name(), model.version());
            }
            job.succeed(rates.get(best), saved, clock.instant());
            log.info("dropout sweep {} finished: best rate {} (validation NLL {}){}", job.id(), rates.get(best), bestNll,
                    saved == null ? "" : ", saved as " + saved.name() + " version " + saved.version());
        } catch (TrainingCancelledException e) {
            job.cancelled(clock.instant());
            log.info("dropout sweep {} cancelled", job.id());
        } catch (TrainingDivergedException e) {
            fail(job, Problems.of(HttpStatus.UNPROCESSABLE_CONTENT, "training-diverged", "Training diverged",
                    e.getMessage(), List.of("hyperparameters.learningRate")), clock.instant());
        } catch (IllegalArgumentException e) {
            fail(job, Problems.of(HttpStatus.UNPROCESSABLE_CONTENT, "training-failed", "Training failed",
                    e.getMessage(), List.of()), clock.instant());
        } catch (OutOfMemoryError e) {
            fail(job, Problems.of(HttpStatus.INSUFFICIENT_STORAGE, "training-out-of-memory", "Training ran out of memory",
                    "the network or data set does not fit in memory; use fewer or smaller hidden layers or fewer rows",
                    List.of()), clock.instant());
        } catch (Exception | Error e) {
            log.error("dropout sweep {} failed", job.id(), e);
            ProblemDetail problem = Problems.of(HttpStatus.INTERNAL_SERVER_ERROR, "internal-error", "Internal error",
                    "the sweep failed inside the service; it has been logged", List.of());
            fail(job, problem, clock.instant());
        }
        prune();
    }

    static RunReport summary(EvaluationReport report) {
        EvaluationReport.PassReport mc = report.monteCarlo();
        EvaluationReport.PassReport det = report.deterministic();
        return new RunReport(mc.accuracy(), mc.nll(), mc.brier(), mc.ece(),
                mc.measures().mutualInformation().misclassificationAuroc(), det.accuracy(), det.nll(), det.ece());
    }

    private void prune() {
        synchronized (jobs) {
            long finished = jobs.values().stream().filter(j -> j.status().finished()).count();
            Iterator<SweepJob> it = jobs.values().iterator();
            while (finished > properties.retainedJobs() && it.hasNext()) {
                if (it.next().status().finished()) {
                    it.remove();
                    finished--;
                }
            }
        }
    }

    @Override
    public void destroy() throws InterruptedException {
        for (SweepJob job : list()) {
            job.requestCancel(clock.instant());
        }
        executor.shutdownNow();
        if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
            log.warn("experiment threads did not stop within 30 s");
        }
    }

    /** mcdropout.problems.type-base: failed jobs' errors name their type after it. */
    public void problemTypeBase(String typeBase) {
        this.problemTypeBase = typeBase;
    }

    private void fail(SweepJob job, ProblemDetail problem, java.time.Instant now) {
        job.fail(dev.mcdropout.system.Problems.absolute(problem, problemTypeBase), now);
    }
}
