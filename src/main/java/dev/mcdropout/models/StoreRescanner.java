package dev.mcdropout.models;

import dev.mcdropout.system.McDropoutProperties;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.stereotype.Component;

/**
 * Rescans the model store every {@code mcdropout.store.rescan-interval} (default 5 s), so that replicas sharing
 * one store serve what any of them trained, imported or activated within about one interval. A periodic
 * rescan rather than a file watch: inotify does not see changes another machine makes on an NFS volume, and
 * reading one small pointer file per model per interval costs next to nothing.
 */
@Component
class StoreRescanner implements DisposableBean {

    private static final Logger log = LoggerFactory.getLogger(StoreRescanner.class);

    private final ModelRegistry registry;
    private final Duration interval;
    private final ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "mcdropout-store-rescan");
        t.setDaemon(true);
        return t;
    });

    StoreRescanner(ModelRegistry registry, McDropoutProperties properties) {
        this.registry = registry;
        this.interval = properties.store().rescanInterval();
    }

    /** Starts after the startup runners, so the first rescan finds the models start-up loaded. */
    @EventListener(ApplicationReadyEvent.class)
    void start() {
        if (interval.isZero()) {
            log.info("model store rescan is off (mcdropout.store.rescan-interval=0)");
            return;
        }
        long millis = interval.toMillis();
        executor.scheduleWithFixedDelay(this::rescan, millis, millis, TimeUnit.MILLISECONDS);
        log.info("rescanning the model store every {} for changes made by other processes", interval);
    }

    private void rescan() {
        try {
            registry.rescan();
        } catch (RuntimeException e) {
            // A network volume that hiccups must not end the schedule; the next interval tries again.
            log.warn("model store rescan failed: {}", e.toString());
        }
    }

    @Override
    public void destroy() {
        executor.shutdownNow();
    }
}
