package dev.mcdropout.training;

import dev.mcdropout.models.LoadedModel;
import dev.mcdropout.models.ModelRegistry;
import dev.mcdropout.models.TrainedArtifacts;
import dev.mcdropout.nn.Dataset;
import dev.mcdropout.nn.Network;
import dev.mcdropout.nn.Trainer;
import dev.mcdropout.nn.TrainingCancelledException;
import dev.mcdropout.nn.TrainingConfig;
import dev.mcdropout.nn.TrainingDivergedException;
import dev.mcdropout.nn.TrainingResult;
import dev.mcdropout.nn.artifact.ModelArtifact;
import dev.mcdropout.nn.metrics.EvaluationReport;
import dev.mcdropout.nn.metrics.Evaluator;
import dev.mcdropout.system.EvaluationProperties;
import dev.mcdropout.system.BackgroundThreads;
import dev.mcdropout.system.Problems;
import dev.mcdropout.system.ProblemException;
import dev.mcdropout.training.TrainingDtos.JobStatus;
import dev.mcdropout.training.TrainingDtos.TrainedModel;
import dev.mcdropout.training.TrainingDtos.TrainingJobView;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
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
 * Runs training jobs on a bounded executor: {@code mcdropout.training.concurrency} threads (1 by default) and
 * a queue of {@code queue-capacity} waiting jobs; a job that finds the queue full is refused with a 429.
 *
 * <p>A job that succeeds publishes its model through {@link ModelRegistry#publish}: the artifact is written,
 * fsynced and renamed into the store (and, unless {@code activate} is false, the active pointer rewritten
 * and the served reference swapped) before the job's status becomes SUCCEEDED, so a status that was ever
 * reported as SUCCEEDED survives a restart. A failed or cancelled job never reaches the store.
 *
 * <p>Job records live in memory only: the newest {@code retained-jobs} finished jobs, plus all queued and
 * running ones.
 */
public class TrainingJobService implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(TrainingJobService.class);

    private final ModelRegistry registry;
    private final TrainingProperties properties;
    private final TrainingMetrics metrics;
    private final Trainer trainer = new Trainer();
    private final Evaluator evaluator;
    private final EvaluationProperties evaluation;
    private final Clock clock;
    /** mcdropout.problems.type-base, for the type of a failed job's error (set by the configuration). */
    private volatile String problemTypeBase = dev.mcdropout.system.Problems.DEFAULT_TYPE_BASE;
    private final ThreadPoolExecutor executor;
    /** Insertion (creation) order; guarded by itself. */
    private final Map<String, TrainingJob> jobs = new LinkedHashMap<>();

    public TrainingJobService(ModelRegistry registry, TrainingProperties properties, TrainingMetrics metrics,
                              Evaluator evaluator, EvaluationProperties evaluation, Clock clock) {
        this.registry = registry;
        this.evaluator = evaluator;
        this.evaluation = evaluation;
        this.properties = properties;
        this.metrics = metrics;
        this.clock = clock;
        BlockingQueue<Runnable> queue = properties.queueCapacity() == 0
                ? new SynchronousQueue<>() : new ArrayBlockingQueue<>(properties.queueCapacity());
        this.executor = new ThreadPoolExecutor(properties.concurrency(), properties.concurrency(), 0L,
                TimeUnit.MILLISECONDS, queue, new BackgroundThreads("mcdropout-training", properties.nice()),
                new ThreadPoolExecutor.AbortPolicy());
        metrics.activeJobs(JobStatus.QUEUED, () -> count(JobStatus.QUEUED));
        metrics.activeJobs(JobStatus.RUNNING, () -> count(JobStatus.RUNNING));
    }

    /** Queues a job, or throws a 429 problem when the queue is full. */
    public TrainingJob submit(String name, Dataset dataset, TrainingConfig config, boolean activate) {
        TrainingJob job = new TrainingJob(UUID.randomUUID().toString(), name, dataset, config, activate,
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
            metrics.jobRejected();
            throw queueFull();
        }
        log.info("queued training job {} for model {} ({} rows, {} features)", job.id(), name, dataset.size(),
                dataset.featureCount());
        return job;
    }

    /**
     * Throws the 429 that {@link #submit} would, when every training thread is busy and the queue is full:
     * called before a training request's body is read, so that an upload the service would refuse anyway is
     * not parsed first. {@link #submit} still decides (a slot can fill in between).
     */
    public void requireRoom() {
        if (executor.getActiveCount() >= properties.concurrency() && executor.getQueue().remainingCapacity() == 0) {
            metrics.jobRejected();
            throw queueFull();
        }
    }

    private ProblemException queueFull() {
        return new ProblemException(HttpStatus.TOO_MANY_REQUESTS, "training-queue-full", "Training queue full",
                "the service is already training " + properties.concurrency() + " job(s) with "
                        + properties.queueCapacity() + " waiting (mcdropout.training.queue-capacity); "
                        + "retry later or cancel a queued job").retryAfter(properties.retryAfter());
    }

    public Optional<TrainingJob> find(String id) {
        synchronized (jobs) {
            return Optional.ofNullable(jobs.get(id));
        }
    }

    /** The job's current state, for readers outside this package (plots). */
    public Optional<TrainingJobView> view(String id) {
        return find(id).map(TrainingJob::view);
    }

    /**
     * The evaluation report of a trained network on the validation split its training held out (the same
     * seeded split), Monte Carlo with {@code mcdropout.evaluation.default-mc-samples} passes and the training
     * seed; null without a validation split. A failure here is logged and costs only the report.
     */
    public EvaluationReport validationReport(Network network, Dataset data, TrainingConfig config) {
        try {
            Dataset validation = Trainer.split(data, config).heldOut();
            if (validation.size() == 0) {
                return null;
            }
            return evaluator.evaluate(network, validation.features(), validation.labels(), null,
                    evaluation.defaultMcSamples(), config.seed(), null);
        } catch (RuntimeException e) {
            log.warn("could not evaluate the validation split: {}", e.toString());
            return null;
        }
    }

    /** Newest first. */
    public List<TrainingJob> list() {
        List<TrainingJob> all;
        synchronized (jobs) {
            all = new ArrayList<>(jobs.values());
        }
        java.util.Collections.reverse(all);
        return all;
    }

    /**
     * Cancels a queued or running job and waits up to {@code wait} for it to stop (a running job stops before
     * its next mini-batch). Returns whether the job has finished.
     */
    public boolean cancel(TrainingJob job, Duration wait) {
        Future<?> queued = job.requestCancel(clock.instant());
        if (queued != null) {
            executor.remove((Runnable) queued);
            metrics.jobFinished(JobStatus.CANCELLED);
            log.info("cancelled queued training job {}", job.id());
            prune();
        }
        return awaitFinished(job, wait);
    }

    /** Waits up to {@code timeout} for the job to reach a final status; true when it did. */
    public boolean awaitFinished(TrainingJob job, Duration timeout) {
        try {
            job.done().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
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

    private void run(TrainingJob job) {
        Dataset data = job.start(clock.instant());
        if (data == null) {
            return; // cancelled while it waited
        }
        metrics.rowsTrained(data.size());
        log.info("training job {} started: model {}, {} rows, up to {} epochs", job.id(), job.name(), data.size(),
                job.config().epochs());
        long[] last = {System.nanoTime()};
        JobStatus outcome;
        try {
            TrainingResult result = trainer.train(data, job.config(), (epoch, epochs, history) -> {
                long now = System.nanoTime();
                metrics.epoch(now - last[0]);
                last[0] = now;
                job.progress(epoch, history);
            }, job::cancelRequested);
            if (job.cancelRequested()) {
                throw new TrainingCancelledException(result.history().loss().size());
            }
            EvaluationReport report = validationReport(result.network(), data, job.config());
            data = null;
            ModelArtifact artifact = TrainedArtifacts.of(job.config(), result, clock.instant());
            // Durable (fsync + atomic rename, the report, and the active pointer when activating) before
            // SUCCEEDED is visible.
            LoadedModel saved = registry.publish(job.name(), artifact, job.activate(), report);
            job.succeed(new TrainedModel(saved.name(), saved.version()), result.history(), clock.instant());
            outcome = JobStatus.SUCCEEDED;
            log.info("training job {} saved model {} version {}{} (validation accuracy {})", job.id(), saved.name(),
                    saved.version(), job.activate() ? " and activated it" : "", result.validationAccuracy());
        } catch (TrainingCancelledException e) {
            job.cancelled(clock.instant());
            outcome = JobStatus.CANCELLED;
            log.info("training job {} cancelled: {}", job.id(), e.getMessage());
        } catch (TrainingDivergedException e) {
            fail(job, Problems.of(HttpStatus.UNPROCESSABLE_CONTENT, "training-diverged", "Training diverged",
                    e.getMessage(), List.of("hyperparameters.learningRate")), clock.instant());
            outcome = JobStatus.FAILED;
        } catch (IllegalArgumentException e) {
            fail(job, Problems.of(HttpStatus.UNPROCESSABLE_CONTENT, "training-failed", "Training failed",
                    e.getMessage(), List.of()), clock.instant());
            outcome = JobStatus.FAILED;
        } catch (OutOfMemoryError e) {
            fail(job, Problems.of(HttpStatus.INSUFFICIENT_STORAGE, "training-out-of-memory", "Training ran out of memory",
                    "the network or data set does not fit in memory; use fewer or smaller hidden layers or fewer rows",
                    List.of()), clock.instant());
            outcome = JobStatus.FAILED;
        } catch (Exception | Error e) {
            log.error("training job {} for model {} failed", job.id(), job.name(), e);
            ProblemDetail problem = Problems.of(HttpStatus.INTERNAL_SERVER_ERROR, "internal-error", "Internal error",
                    "training failed inside the service; it has been logged", List.of());
            fail(job, problem, clock.instant());
            outcome = JobStatus.FAILED;
        }
        metrics.jobFinished(outcome);
        prune();
    }

    /** Forgets the oldest finished jobs beyond {@code retained-jobs}. */
    private void prune() {
        synchronized (jobs) {
            long finished = jobs.values().stream().filter(j -> j.status().finished()).count();
            Iterator<TrainingJob> it = jobs.values().iterator();
            while (finished > properties.retainedJobs() && it.hasNext()) {
                if (it.next().status().finished()) {
                    it.remove();
                    finished--;
                }
            }
        }
    }

    private int count(JobStatus status) {
        synchronized (jobs) {
            return (int) jobs.values().stream().filter(j -> j.status() == status).count();
        }
    }

    @Override
    public void destroy() throws InterruptedException {
        for (TrainingJob job : list()) {
            job.requestCancel(clock.instant());
        }
        executor.shutdownNow();
        if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
            log.warn("training threads did not stop within 30 s");
        }
    }

    /** mcdropout.problems.type-base: failed jobs' errors name their type after it. */
    public void problemTypeBase(String typeBase) {
        this.problemTypeBase = typeBase;
    }

    private void fail(TrainingJob job, ProblemDetail problem, java.time.Instant now) {
        job.fail(dev.mcdropout.system.Problems.absolute(problem, problemTypeBase), now);
    }
}
