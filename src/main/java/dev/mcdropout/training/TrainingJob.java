package dev.mcdropout.training;

import dev.mcdropout.nn.Dataset;
import dev.mcdropout.nn.TrainingConfig;
import dev.mcdropout.nn.TrainingHistory;
import dev.mcdropout.training.TrainingDtos.HistoryView;
import dev.mcdropout.training.TrainingDtos.JobStatus;
import dev.mcdropout.training.TrainingDtos.TrainedModel;
import dev.mcdropout.training.TrainingDtos.TrainingJobView;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.springframework.http.ProblemDetail;

/**
 * One training job's state, kept in memory while this process runs it (and written to its record in the store
 * by {@link TrainingJobService} at every transition). Transitions happen under the job's monitor, so a cancellation
 * and the job's own start or finish cannot interleave; readers get a consistent {@link #view()}.
 */
final class TrainingJob {

    private final String id;
    private final String name;
    private final TrainingConfig config;
    private final boolean activate;
    private final int rows;
    private final int features;
    private final List<String> classes;
    private final Instant createdAt;
    private final String idempotencyKey;
    private final String fingerprint;
    private final CompletableFuture<TrainingJob> done = new CompletableFuture<>();
    /** System.nanoTime of the last write of this job's record; guarded by the job's monitor. */
    long recordWrittenAt;

    private Dataset dataset;
    private Future<?> task;
    private JobStatus status = JobStatus.QUEUED;
    private volatile boolean cancelRequested;
    private int epoch;
    private HistoryView history = HistoryView.EMPTY;
    private TrainedModel model;
    private ProblemDetail error;
    private Instant startedAt;
    private Instant finishedAt;

    TrainingJob(String id, String name, Dataset dataset, TrainingConfig config, boolean activate,
                Instant createdAt) {
        this(id, name, dataset, config, activate, createdAt, null, null);
    }

    TrainingJob(String id, String name, Dataset dataset, TrainingConfig config, boolean activate,
                Instant createdAt, String idempotencyKey, String fingerprint) {
        this.idempotencyKey = idempotencyKey;
        this.fingerprint = fingerprint;
        this.id = id;
        this.name = name;
        this.dataset = dataset;
        this.config = config;
        this.activate = activate;
        this.rows = dataset.size();
        this.features = dataset.featureCount();
        this.classes = dataset.classes();
        this.createdAt = createdAt;
    }

    String id() {
        return id;
    }

    String name() {
        return name;
    }

    TrainingConfig config() {
        return config;
    }

    boolean activate() {
        return activate;
    }

    int rows() {
        return rows;
    }

    String idempotencyKey() {
        return idempotencyKey;
    }

    String fingerprint() {
        return fingerprint;
    }

    CompletableFuture<TrainingJob> done() {
        return done;
    }

    boolean cancelRequested() {
        return cancelRequested;
    }

    synchronized void attach(Future<?> future) {
        this.task = future;
    }

    synchronized JobStatus status() {
        return status;
    }

    /** QUEUED to RUNNING; false when the job was cancelled while it waited. Hands over the data set once. */
    synchronized Dataset start(Instant now) {
        if (status != JobStatus.QUEUED) {
            return null;
        }
        status = JobStatus.RUNNING;
        startedAt = now;
        Dataset d = dataset;
        dataset = null;
        return d;
    }

    synchronized void progress(int epoch, TrainingHistory soFar) {
        this.epoch = epoch;
        this.history = view(soFar);
    }

    synchronized void succeed(TrainedModel model, TrainingHistory finalHistory, Instant now) {
        this.model = model;
        this.history = view(finalHistory);
        finish(JobStatus.SUCCEEDED, now);
    }

    synchronized void fail(ProblemDetail problem, Instant now) {
        this.error = problem;
        finish(JobStatus.FAILED, now);
    }

    synchronized void cancelled(Instant now) {
        finish(JobStatus.CANCELLED, now);
    }

    /**
     * Asks the job to stop. A queued job is cancelled at once and its queue slot freed (the returned future,
     * to be removed from the executor's queue); a running one stops before its next mini-batch.
     */
    synchronized Future<?> requestCancel(Instant now) {
        if (status.finished()) {
            return null;
        }
        cancelRequested = true;
        if (status == JobStatus.QUEUED) {
            dataset = null;
            finish(JobStatus.CANCELLED, now);
            return task;
        }
        return null;
    }

    private void finish(JobStatus terminal, Instant now) {
        status = terminal;
        finishedAt = now;
        dataset = null;
        done.complete(this);
    }

    synchronized TrainingJobView view() {
        return new TrainingJobView(id, name, status, epoch, config.epochs(), history, model, error, activate, rows,
                features, classes, createdAt, startedAt, finishedAt);
    }

    private static HistoryView view(TrainingHistory h) {
        return new HistoryView(h.loss(), h.trainAccuracy(), h.validationAccuracy(), h.validationLoss());
    }
}
