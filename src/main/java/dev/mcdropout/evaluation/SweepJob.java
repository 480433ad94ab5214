package dev.mcdropout.evaluation;

import dev.mcdropout.evaluation.SweepDtos.RunReport;
import dev.mcdropout.evaluation.SweepDtos.RunView;
import dev.mcdropout.evaluation.SweepDtos.SaveBest;
import dev.mcdropout.evaluation.SweepDtos.SweepPlots;
import dev.mcdropout.evaluation.SweepDtos.SweepView;
import dev.mcdropout.nn.Dataset;
import dev.mcdropout.nn.TrainingConfig;
import dev.mcdropout.nn.TrainingHistory;
import dev.mcdropout.training.TrainingDtos.HistoryView;
import dev.mcdropout.training.TrainingDtos.JobStatus;
import dev.mcdropout.training.TrainingDtos.TrainedModel;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;
import org.springframework.http.ProblemDetail;

/** One sweep's state, in memory; transitions under the job's monitor, as for training jobs. */
final class SweepJob {

    private final String id;
    private final List<Double> rates;
    private final TrainingConfig config;
    private final SaveBest saveBest;
    private final int mcSamples;
    private final int rows;
    private final int features;
    private final List<String> classes;
    private final Instant createdAt;
    private final CompletableFuture<SweepJob> done = new CompletableFuture<>();

    private Dataset dataset;
    private Future<?> task;
    private JobStatus status = JobStatus.QUEUED;
    private volatile boolean cancelRequested;
    private final List<RunView> runs = new ArrayList<>();
    private Double bestRate;
    private TrainedModel model;
    private ProblemDetail error;
    private Instant startedAt;
    private Instant finishedAt;

    SweepJob(String id, Dataset dataset, List<Double> rates, TrainingConfig config, SaveBest saveBest, int mcSamples,
             Instant createdAt) {
        this.id = id;
        this.dataset = dataset;
        this.rates = List.copyOf(rates);
        this.config = config;
        this.saveBest = saveBest;
        this.mcSamples = mcSamples;
        this.rows = dataset.size();
        this.features = dataset.featureCount();
        this.classes = dataset.classes();
        this.createdAt = createdAt;
        for (double rate : rates) {
            runs.add(new RunView(rate, JobStatus.QUEUED, 0, HistoryView.EMPTY, null, null));
        }
    }

    String id() {
        return id;
    }

    List<Double> rates() {
        return rates;
    }

    TrainingConfig config() {
        return config;
    }

    SaveBest saveBest() {
        return saveBest;
    }

    int mcSamples() {
        return mcSamples;
    }

    CompletableFuture<SweepJob> done() {
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

    synchronized void runProgress(int run, int epoch, TrainingHistory history) {
        RunView r = runs.get(run);
        runs.set(run, new RunView(r.rate(), JobStatus.RUNNING, epoch, view(history), null, null));
    }

    synchronized void runFinished(int run, TrainingHistory history, int bestEpoch, RunReport report) {
        RunView r = runs.get(run);
        runs.set(run, new RunView(r.rate(), JobStatus.SUCCEEDED, history.loss().size(), view(history), bestEpoch, report));
    }

    synchronized void succeed(double best, TrainedModel saved, Instant now) {
        this.bestRate = best;
        this.model = saved;
        finish(JobStatus.SUCCEEDED, now);
    }

    synchronized void fail(ProblemDetail problem, Instant now) {
        this.error = problem;
        markUnfinishedRuns(JobStatus.FAILED);
        finish(JobStatus.FAILED, now);
    }

    synchronized void cancelled(Instant now) {
        markUnfinishedRuns(JobStatus.CANCELLED);
        finish(JobStatus.CANCELLED, now);
    }

    synchronized Future<?> requestCancel(Instant now) {
        if (status.finished()) {
            return null;
        }
        cancelRequested = true;
        if (status == JobStatus.QUEUED) {
            dataset = null;
            markUnfinishedRuns(JobStatus.CANCELLED);
            finish(JobStatus.CANCELLED, now);
            return task;
        }
        return null;
    }

    private void markUnfinishedRuns(JobStatus terminal) {
        for (int i = 0; i < runs.size(); i++) {
            RunView r = runs.get(i);
            if (!r.status().finished()) {
                runs.set(i, new RunView(r.rate(), terminal, r.epoch(), r.history(), null, null));
            }
        }
    }

    private void finish(JobStatus terminal, Instant now) {
        status = terminal;
        finishedAt = now;
        dataset = null;
        done.complete(this);
    }

    synchronized SweepView view() {
        double progress = 0;
        for (RunView r : runs) {
            progress += r.status() == JobStatus.SUCCEEDED ? 1.0 : Math.min(1.0, (double) r.epoch() / config.epochs());
        }
        progress /= runs.size();
        return new SweepView(id, status, rates, progress, config.epochs(), List.copyOf(runs), bestRate, model, error,
                rows, features, classes, mcSamples,
                new SweepPlots("/experiments/" + id + "/plot?metric=accuracy", "/experiments/" + id + "/plot?metric=loss"),
                createdAt, startedAt, finishedAt);
    }

    private static HistoryView view(TrainingHistory h) {
        return new HistoryView(h.loss(), h.trainAccuracy(), h.validationAccuracy(), h.validationLoss());
    }
}
