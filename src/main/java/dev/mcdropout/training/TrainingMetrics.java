package dev.mcdropout.training;

import dev.mcdropout.training.TrainingDtos.JobStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.function.Supplier;
import org.springframework.stereotype.Component;

/**
 * Training meters, under {@code mcdropout.training.}: jobs by status (a gauge of queued and running jobs and
 * a counter of finished ones per outcome), rejected submissions, epoch duration, rows trained.
 */
@Component
public class TrainingMetrics {

    private final MeterRegistry registry;
    private final Timer epochDuration;
    private final DistributionSummary rows;
    private final Counter rejected;

    public TrainingMetrics(MeterRegistry registry) {
        this.registry = registry;
        this.epochDuration = Timer.builder("mcdropout.training.epoch.duration")
                .description("Wall time of one training epoch (mini-batches plus validation)")
                .publishPercentileHistogram()
                .minimumExpectedValue(Duration.ofMillis(1))
                .maximumExpectedValue(Duration.ofMinutes(30))
                .register(registry);
        this.rows = DistributionSummary.builder("mcdropout.training.rows")
                .description("Rows in the data set of each training job that started; the sum is the rows trained")
                .baseUnit("rows")
                .serviceLevelObjectives(100, 1_000, 10_000, 100_000, 1_000_000)
                .register(registry);
        this.rejected = Counter.builder("mcdropout.training.jobs.rejected")
                .description("Training jobs refused with 429 because the queue was full")
                .register(registry);
        for (JobStatus status : JobStatus.values()) {
            if (status.finished()) {
                finished(status);
            }
        }
    }

    /** Live count of jobs in a non-final status; registered once per status. */
    void activeJobs(JobStatus status, Supplier<Number> count) {
        Gauge.builder("mcdropout.training.jobs.active", count)
                .description("Training jobs queued or running now")
                .tag("status", status.name().toLowerCase(Locale.ROOT))
                .strongReference(true)
                .register(registry);
    }

    private Counter finished(JobStatus status) {
        return Counter.builder("mcdropout.training.jobs.finished")
                .description("Training jobs that reached a final status")
                .tag("status", status.name().toLowerCase(Locale.ROOT))
                .register(registry);
    }

    void jobFinished(JobStatus status) {
        finished(status).increment();
    }

    void jobRejected() {
        rejected.increment();
    }

    void epoch(long nanos) {
        epochDuration.record(Duration.ofNanos(nanos));
    }

    void rowsTrained(int count) {
        rows.record(count);
    }
}
