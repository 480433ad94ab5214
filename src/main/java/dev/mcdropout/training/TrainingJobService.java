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
import dev.mcdropout.system.ProblemException;
import dev.mcdropout.system.Problems;
import dev.mcdropout.system.RequestIdFilter;
import dev.mcdropout.system.ShutdownParticipant;
import dev.mcdropout.training.JobRecords.JobRecord;
import dev.mcdropout.training.TrainingDtos.HistoryView;
import dev.mcdropout.training.TrainingDtos.JobStatus;
import dev.mcdropout.training.TrainingDtos.TrainedModel;
import dev.mcdropout.training.TrainingDtos.TrainingJobView;
import java.time.Clock;
import java.time.Duration;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Comparator;
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
import org.slf4j.MDC;
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
 * <p>Every job has a record in the store ({@link JobRecords}), rewritten atomically at every transition and at
 * most once a second with its progress: status, progress, result and error survive a restart, and a job that
 * was QUEUED or RUNNING when its process died is reported FAILED ({@code interrupted-by-restart}). The newest
 * {@code retained-jobs} finished records are kept, plus all queued and running ones. A request with an
 * {@code Idempotency-Key} that an earlier request already used gets that earlier job back (same body) or a
 * 422 (another body), never a second job.
 *
 * <p>On shutdown ({@link #shutdownStarted()}) new jobs are refused and every job is cancelled; a running one
 * stops before its next mini-batch and is recorded as CANCELLED.
 */
public class TrainingJobService implements DisposableBean, ShutdownParticipant {

    /** How often a running job's progress is written to its record at most. */
    static final Duration PROGRESS_WRITE_INTERVAL = Duration.ofSeconds(1);


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
    private final JobRecords records;
    private final Object submitLock = new Object();
    private volatile boolean shuttingDown;

    public TrainingJobService(ModelRegistry registry, TrainingProperties properties, TrainingMetrics metrics,
                              Evaluator evaluator, EvaluationProperties evaluation, Clock clock) {
        this.records = new JobRecords(registry.store().root());
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
        for (JobRecord record : records.readAll()) {
            checked(record);
        }
        pruneRecords();
    }

    /**
     * What {@link #submit} did: queued a new job ({@code replayed} false), or found the job an earlier request
     * with the same {@code Idempotency-Key} made. {@code local} is the job when this process runs it, else null
     * (it ran before a restart, or runs on another replica).
     */
    public record Submitted(String id, TrainingJob local, TrainingJobView view, boolean replayed) {
    }

    /** Queues a job, or throws a 429 problem when the queue is full. */
    public TrainingJob submit(String name, Dataset dataset, TrainingConfig config, boolean activate) {
        return submit(name, dataset, config, activate, null, null).local();
    }

    /**
     * Queues a job, or throws a 429 problem when the queue is full. With an idempotency key: the job an earlier
     * request with that key made when {@code fingerprint} (of the request's content) matches its, a 422 problem
     * when it does not, and a 409 while that earlier request is still being taken in.
     */
    public Submitted submit(String name, Dataset dataset, TrainingConfig config, boolean activate,
                            String idempotencyKey, String fingerprint) {
        if (shuttingDown) {
            throw ProblemException.retryLater(HttpStatus.SERVICE_UNAVAILABLE, "shutting-down", "Shutting down",
                    "this instance is shutting down and takes no new training jobs; send the request again (to "
                            + "another instance, or to this one once it has restarted)", properties.retryAfter());
        }
        synchronized (submitLock) {
            if (idempotencyKey != null) {
                Optional<Submitted> earlier = earlier(idempotencyKey, fingerprint);
                if (earlier.isPresent()) {
                    return earlier.get();
                }
            }
            TrainingJob job = new TrainingJob(UUID.randomUUID().toString(), name, dataset, config, activate,
                    clock.instant(), idempotencyKey, fingerprint);
            if (idempotencyKey != null) {
                Optional<JobRecords.KeyClaim> raced = claim(idempotencyKey, job, fingerprint);
                if (raced.isPresent()) {
                    return replay(raced.get(), fingerprint, idempotencyKey)
                            .orElseThrow(() -> keyInUse(idempotencyKey));
                }
            }
            try {
                enqueue(job);
            } catch (RuntimeException e) {
                if (idempotencyKey != null) {
                    records.releaseKey(idempotencyKey);
                }
                throw e;
            }
            return new Submitted(job.id(), job, job.view(), false);
        }
    }

    private Optional<Submitted> earlier(String key, String fingerprint) {
        TrainingJob local;
        synchronized (jobs) {
            local = jobs.values().stream().filter(j -> key.equals(j.idempotencyKey())).findFirst().orElse(null);
        }
        if (local != null) {
            requireSameRequest(local.fingerprint(), fingerprint);
            return Optional.of(new Submitted(local.id(), local, local.view(), true));
        }
        Optional<JobRecords.KeyClaim> claim = records.findKey(key);
        if (claim.isEmpty()) {
            return Optional.empty();
        }
        return replay(claim.get(), fingerprint, key);
    }

    /** The job a claim names; empty when the claim is stale (its request died before the job was recorded). */
    private Optional<Submitted> replay(JobRecords.KeyClaim claim, String fingerprint, String key) {
        requireSameRequest(claim.fingerprint(), fingerprint);
        Optional<TrainingJob> local = find(claim.jobId());
        if (local.isPresent()) {
            return Optional.of(new Submitted(claim.jobId(), local.get(), local.get().view(), true));
        }
        Optional<TrainingJobView> stored = view(claim.jobId());
        if (stored.isPresent()) {
            return Optional.of(new Submitted(claim.jobId(), null, stored.get(), true));
        }
        if (stale(claim)) {
            records.releaseKey(key);
            return Optional.empty();
        }
        throw keyInUse(key);
    }

    /** A claim whose job was never recorded and whose process is gone: its request died with the process. */
    private boolean stale(JobRecords.KeyClaim claim) {
        return find(claim.jobId()).isEmpty() && records.read(claim.jobId()).isEmpty()
                && !records.ownerAlive(claim.owner());
    }

    private static void requireSameRequest(String earlier, String now) {
        if (earlier != null && !earlier.equals(now)) {
            throw new ProblemException(HttpStatus.UNPROCESSABLE_CONTENT, "idempotency-key-reused",
                    "Idempotency key reused", "this Idempotency-Key was already used for a different request "
                    + "(another name, data set, hyperparameters or activate); use a new key for a new request",
                    List.of("Idempotency-Key"));
        }
    }

    private static ProblemException keyInUse(String key) {
        return new ProblemException(HttpStatus.CONFLICT, "idempotency-key-in-use", "Idempotency key in use",
                "another request with this Idempotency-Key is being taken in right now; retry in a moment to get "
                        + "its job", List.of("Idempotency-Key"));
    }

    private Optional<JobRecords.KeyClaim> claim(String key, TrainingJob job, String fingerprint) {
        try {
            JobRecords.KeyClaim mine = new JobRecords.KeyClaim(job.id(), fingerprint, records.owner(), clock.instant());
            Optional<JobRecords.KeyClaim> other = records.claimKey(key, mine);
            if (other.isPresent() && stale(other.get())) {
                records.releaseKey(key);
                return records.claimKey(key, mine);
            }
            return other;
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("cannot record the idempotency key in the model store", e);
        }
    }

    private void enqueue(TrainingJob job) {
        String requestId = MDC.get(RequestIdFilter.MDC_KEY);
        FutureTask<Void> task = new FutureTask<>(() -> {
            // The job's log lines name the request that submitted it, and the job.
            MDC.put(RequestIdFilter.MDC_KEY, requestId == null ? "job-" + job.id() : requestId);
            MDC.put("jobId", job.id());
            try {
                run(job);
            } finally {
                MDC.clear();
            }
        }, null);
        job.attach(task);
        synchronized (jobs) {
            jobs.put(job.id(), job);
        }
        persist(job);
        try {
            executor.execute(task);
        } catch (RejectedExecutionException e) {
            synchronized (jobs) {
                jobs.remove(job.id());
            }
            records.delete(JobRecord.of(job.view(), records.owner(), null, null));
            metrics.jobRejected();
            throw queueFull();
        }
        log.info("queued training job {} for model {} ({} rows, {} features)", job.id(), job.name(), job.rows(),
                job.view().features());
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

    /**
     * Whether a request with this {@code Idempotency-Key} would be answered with an earlier job (or its 422 or
     * 409) rather than make a new one: a job of this process's has the key, or a claim of it is in the store
     * (this process's, an earlier one's or a replica's). Read before a training body is, so that a retry is not
     * turned away by the queue check meant for new work ({@link TrainingAdmissionInterceptor}). A stale claim
     * counts as known here; {@link #submit} then releases it and meets the queue itself.
     */
    public boolean knowsIdempotencyKey(String key) {
        if (key == null || key.isEmpty() || key.length() > 255) {
            return false;
        }
        synchronized (jobs) {
            if (jobs.values().stream().anyMatch(j -> key.equals(j.idempotencyKey()))) {
                return true;
            }
        }
        try {
            return records.findKey(key).isPresent();
        } catch (java.io.UncheckedIOException e) {
            // An unreadable claim: the controller's submit reports it; here it only must not skip the queue check.
            return false;
        }
    }

    private ProblemException queueFull() {
        return new ProblemException(HttpStatus.TOO_MANY_REQUESTS, "training-queue-full", "Training queue full",
                "the service is already training " + properties.concurrency() + " job(s) with "
                        + properties.queueCapacity() + " waiting (mcdropout.training.queue-capacity); "
                        + "retry later or cancel a queued job").retryAfter(properties.retryAfter());
    }

    /** A job this process runs (or ran, and still remembers). */
    public Optional<TrainingJob> find(String id) {
        synchronized (jobs) {
            return Optional.ofNullable(jobs.get(id));
        }
    }

    /** The job's current state: from memory when this process runs it, else from its record in the store. */
    public Optional<TrainingJobView> view(String id) {
        Optional<TrainingJob> local = find(id);
        if (local.isPresent()) {
            return local.map(TrainingJob::view);
        }
        return records.read(id).map(this::checked);
    }

    /** Whether a job that is not this process's is still being run by another live process (a replica). */
    public boolean runningElsewhere(TrainingJobView view) {
        return find(view.id()).isEmpty() && !view.status().finished();
    }

    /**
     * A record's view; a record left QUEUED or RUNNING by a process that is gone is rewritten first: as
     * SUCCEEDED when the job's version is in the store (the process died after publishing it, before recording
     * the result; the version names its job, {@link dev.mcdropout.models.ModelStore#versionMadeBy}), else as
     * FAILED, "interrupted by restart".
     */
    private TrainingJobView checked(JobRecord record) {
        if (record.status().finished() || records.ownerAlive(record.owner())) {
            return record.view();
        }
        java.util.OptionalInt published = record.status() == JobStatus.RUNNING
                ? registry.store().versionMadeBy(record.name(), record.id()) : java.util.OptionalInt.empty();
        if (published.isPresent()) {
            return reconciled(record, published.getAsInt());
        }
        // Stored with its full type URI, like the errors of jobs that failed while running (fail below).
        JobRecord failed = record.interrupted(Problems.absolute(Problems.of(HttpStatus.SERVICE_UNAVAILABLE,
                "interrupted-by-restart", "Interrupted by restart", "interrupted by restart: the process running "
                        + "this job stopped (crash, kill or power loss) while the job was " + record.status()
                        + ", before it recorded a result; submit it again", List.of()), problemTypeBase),
                clock.instant());
        try {
            records.write(failed);
            log.warn("training job {} (model {}) was {} when its process stopped: recorded as FAILED, interrupted by "
                    + "restart", record.id(), record.name(), record.status());
        } catch (IOException e) {
            log.warn("could not record training job {} as interrupted: {}", record.id(), e.toString());
        }
        return failed.view();
    }

    /**
     * Records as SUCCEEDED a job whose process died between publishing {@code version} and recording that: its
     * result is that version, with the training history stored in it (the record's own history may lag by up to
     * {@link #PROGRESS_WRITE_INTERVAL}). Whatever the process had not done yet after the version appeared (its
     * evaluation report, activating it) stays undone; the version is there to activate by hand.
     */
    private TrainingJobView reconciled(JobRecord record, int version) {
        HistoryView history = null;
        java.time.Instant finished = clock.instant();
        try {
            ModelArtifact artifact = registry.resolve(record.name(), version).artifact();
            if (artifact.history() != null) {
                history = new HistoryView(artifact.history().loss(), artifact.history().trainAccuracy(),
                        artifact.history().validationAccuracy(), artifact.history().validationLoss());
            }
            finished = artifact.createdAt();
        } catch (RuntimeException e) {
            log.warn("could not read the history of model {} version {}: {}", record.name(), version, e.toString());
        }
        JobRecord succeeded = record.succeeded(new TrainedModel(record.name(), version), history, finished);
        try {
            records.write(succeeded);
            log.warn("training job {} (model {}) was {} when its process stopped, after it had saved version {}: "
                    + "recorded as SUCCEEDED", record.id(), record.name(), record.status(), version);
        } catch (IOException e) {
            log.warn("could not record training job {} as succeeded: {}", record.id(), e.toString());
        }
        return succeeded.view();
    }

    /** Writes the job's record; under the job's monitor, so the record written last holds its newest state. */
    private void persist(TrainingJob job) {
        synchronized (job) {
            try {
                records.write(JobRecord.of(job.view(), records.owner(), job.idempotencyKey(), job.fingerprint()));
                job.recordWrittenAt = System.nanoTime();
            } catch (IOException | RuntimeException e) {
                log.warn("could not write the record of training job {}: {}", job.id(), e.toString());
            }
        }
    }

    private void persistProgress(TrainingJob job) {
        boolean due;
        synchronized (job) {
            due = System.nanoTime() - job.recordWrittenAt >= PROGRESS_WRITE_INTERVAL.toNanos();
        }
        if (due) {
            persist(job);
        }
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

    /** Jobs this process runs or remembers, newest first. */
    public List<TrainingJob> list() {
        List<TrainingJob> all;
        synchronized (jobs) {
            all = new ArrayList<>(jobs.values());
        }
        java.util.Collections.reverse(all);
        return all;
    }

    /** Every recorded job (this process's, earlier processes', other replicas'), newest first. */
    public List<TrainingJobView> views() {
        Map<String, TrainingJobView> all = new LinkedHashMap<>();
        for (TrainingJob job : list()) {
            all.put(job.id(), job.view());
        }
        for (JobRecord record : records.readAll()) {
            if (!all.containsKey(record.id())) {
                all.put(record.id(), checked(record));
            }
        }
        List<TrainingJobView> sorted = new ArrayList<>(all.values());
        sorted.sort(Comparator.comparing(TrainingJobView::createdAt, Comparator.nullsLast(Comparator.reverseOrder()))
                .thenComparing(TrainingJobView::id));
        return sorted;
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
            persist(job);
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
        persist(job);
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
                persistProgress(job);
            }, job::cancelRequested);
            if (job.cancelRequested()) {
                throw new TrainingCancelledException(result.history().loss().size());
            }
            EvaluationReport report = validationReport(result.network(), data, job.config());
            data = null;
            ModelArtifact artifact = TrainedArtifacts.of(job.config(), result, clock.instant());
            // Durable (fsync + atomic rename, the report, and the active pointer when activating) before
            // SUCCEEDED is visible.
            LoadedModel saved = registry.publish(job.name(), artifact, job.activate(), report, job.id());
            finish(job, () -> job.succeed(new TrainedModel(saved.name(), saved.version()), result.history(),
                    clock.instant()));
            outcome = JobStatus.SUCCEEDED;
            log.info("training job {} saved model {} version {}{} (validation accuracy {})", job.id(), saved.name(),
                    saved.version(), job.activate() ? " and activated it" : "", result.validationAccuracy());
        } catch (TrainingCancelledException e) {
            finish(job, () -> job.cancelled(clock.instant()));
            outcome = JobStatus.CANCELLED;
            log.info("training job {} cancelled: {}", job.id(), e.getMessage());
        } catch (TrainingDivergedException e) {
            finish(job, () -> fail(job, Problems.of(HttpStatus.UNPROCESSABLE_CONTENT, "training-diverged", "Training diverged",
                    e.getMessage(), List.of("hyperparameters.learningRate")), clock.instant()));
            outcome = JobStatus.FAILED;
        } catch (IllegalArgumentException e) {
            finish(job, () -> fail(job, Problems.of(HttpStatus.UNPROCESSABLE_CONTENT, "training-failed", "Training failed",
                    e.getMessage(), List.of()), clock.instant()));
            outcome = JobStatus.FAILED;
        } catch (OutOfMemoryError e) {
            finish(job, () -> fail(job, Problems.of(HttpStatus.INSUFFICIENT_STORAGE, "training-out-of-memory", "Training ran out of memory",
                    "the network or data set does not fit in memory; use fewer or smaller hidden layers or fewer rows",
                    List.of()), clock.instant()));
            outcome = JobStatus.FAILED;
        } catch (Exception | Error e) {
            log.error("training job {} for model {} failed", job.id(), job.name(), e);
            ProblemDetail problem = Problems.of(HttpStatus.INTERNAL_SERVER_ERROR, "internal-error", "Internal error",
                    "training failed inside the service; it has been logged", List.of());
            finish(job, () -> fail(job, problem, clock.instant()));
            outcome = JobStatus.FAILED;
        }
        metrics.jobFinished(outcome);
    }

    /**
     * A running job's last transition. Older finished jobs are forgotten first, leaving room for this one, and
     * the new status is written to the job's record before anyone can read it: a client that saw a job
     * finish, and then the service crash, finds the job as it saw it.
     */
    private void finish(TrainingJob job, Runnable transition) {
        prune(job.id());
        synchronized (job) {
            transition.run();
            persist(job);
        }
    }

    /** Forgets the oldest finished jobs beyond {@code retained-jobs}, in memory and in the store. */
    private void prune() {
        prune(null);
    }

    /** As {@link #prune()}, leaving room for {@code finishing} (not yet finished, not counted, never removed). */
    private void prune(String finishing) {
        int keep = properties.retainedJobs() - (finishing == null ? 0 : 1);
        synchronized (jobs) {
            long finished = jobs.values().stream().filter(j -> j.status().finished()).count();
            Iterator<TrainingJob> it = jobs.values().iterator();
            while (finished > keep && it.hasNext()) {
                TrainingJob next = it.next();
                if (next.status().finished() && !next.id().equals(finishing)) {
                    it.remove();
                    finished--;
                }
            }
        }
        pruneRecords(keep, finishing);
    }

    private void pruneRecords() {
        pruneRecords(properties.retainedJobs(), null);
    }

    private void pruneRecords(int keep, String finishing) {
        List<JobRecord> finished = new ArrayList<>(records.readAll().stream()
                .filter(r -> r.status().finished() && !r.id().equals(finishing)).toList());
        if (finished.size() <= keep) {
            return;
        }
        finished.sort(Comparator.comparing(JobRecord::createdAt, Comparator.nullsFirst(Comparator.naturalOrder())));
        for (JobRecord old : finished.subList(0, finished.size() - keep)) {
            if (find(old.id()).isEmpty()) {
                records.delete(old);
            }
        }
    }

    private int count(JobStatus status) {
        synchronized (jobs) {
            return (int) jobs.values().stream().filter(j -> j.status() == status).count();
        }
    }

    /** New jobs are refused from now on; queued jobs are cancelled at once, running ones asked to stop. */
    @Override
    public void shutdownStarted() {
        shuttingDown = true;
        cancelAll();
    }

    private void cancelAll() {
        for (TrainingJob job : list()) {
            boolean wasRunning = job.status() == JobStatus.RUNNING;
            Future<?> queued = job.requestCancel(clock.instant());
            if (queued != null) {
                executor.remove((Runnable) queued);
                metrics.jobFinished(JobStatus.CANCELLED);
                persist(job);
            }
            if (queued != null || wasRunning) {
                log.info("shutting down: cancelling training job {} ({})", job.id(), wasRunning ? "running" : "queued");
            }
        }
    }

    /**
     * Waits for running jobs to stop (each before its next mini-batch) and record themselves as CANCELLED;
     * {@code mcdropout.shutdown.grace-period} bounds the wait from outside. A job still running when the
     * process ends keeps a RUNNING record, which the next start reports as interrupted.
     */
    @Override
    public void destroy() throws InterruptedException {
        shuttingDown = true;
        cancelAll();
        // Not shutdownNow: an interrupt would close the file channel a stopping job writes its CANCELLED record
        // with (NIO channels close on interrupt), and the job stops at its next mini-batch anyway.
        executor.shutdown();
        try {
            if (!executor.awaitTermination(30, TimeUnit.SECONDS)) {
                log.warn("training threads did not stop within 30 s");
            }
        } finally {
            records.close();
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
