package dev.mcdropout.system;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationContext;
import org.springframework.context.ApplicationListener;
import org.springframework.context.event.ContextClosedEvent;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;

/**
 * The first thing that happens when the service stops. On SIGTERM (the JVM shutting down) it
 * <ol>
 *   <li>turns readiness DOWN (Spring Boot would too, but only as part of closing the web server);</li>
 *   <li>tells every {@link ShutdownParticipant} (running training jobs are cancelled);</li>
 *   <li>starts a watchdog that halts the process once {@code mcdropout.shutdown.grace-period} has passed,
 *       so the process is gone before the orchestrator's SIGKILL;</li>
 *   <li>keeps serving for {@code mcdropout.shutdown.drain-delay} with readiness DOWN, so that load balancers
 *       stop sending new requests before the port closes.</li>
 * </ol>
 * Then Spring goes on closing: the management port closes, the web server stops accepting requests and waits
 * for those in flight ({@code spring.lifecycle.timeout-per-shutdown-phase}), beans are destroyed. When the
 * context is closed by the application itself (tests), only steps 1 and 2 happen.
 *
 * <p>Ordered first among the listeners of {@link ContextClosedEvent}: the management context closes on that
 * same event, and readiness must be seen DOWN on it before then.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class ShutdownCoordinator implements ApplicationListener<ContextClosedEvent> {

    private static final Logger log = LoggerFactory.getLogger(ShutdownCoordinator.class);

    private final ApplicationContext context;
    private final ObjectProvider<ShutdownParticipant> participants;
    private final McDropoutProperties.Shutdown settings;
    private final AtomicBoolean started = new AtomicBoolean();

    public ShutdownCoordinator(ApplicationContext context, ObjectProvider<ShutdownParticipant> participants,
                               McDropoutProperties properties) {
        this.context = context;
        this.participants = participants;
        this.settings = properties.shutdown();
    }

    @Override
    public void onApplicationEvent(ContextClosedEvent event) {
        // The management context's own close reaches this listener too; only the application's counts.
        if (event.getApplicationContext() != context || !started.compareAndSet(false, true)) {
            return;
        }
        boolean terminating = jvmShuttingDown();
        long start = System.nanoTime();
        AvailabilityChangeEvent.publish(context, ReadinessState.REFUSING_TRAFFIC);
        List<ShutdownParticipant> all = participants.orderedStream().toList();
        for (ShutdownParticipant participant : all) {
            try {
                participant.shutdownStarted();
            } catch (RuntimeException e) {
                log.warn("{} failed to start its shutdown: {}", participant.getClass().getSimpleName(), e.toString());
            }
        }
        // One drain and one watchdog per process: a JVM that closes several application contexts on exit (a
        // test JVM with cached contexts) must not add up their drain delays and then halt itself.
        if (!terminating || !DRAINING.compareAndSet(false, true)) {
            return;
        }
        startWatchdog(settings.gracePeriod());
        log.info("shutting down: readiness is DOWN; serving for {} ms more, then finishing requests in flight "
                + "(the process halts {} ms after SIGTERM at the latest)", settings.drainDelay().toMillis(),
                settings.gracePeriod().toMillis());
        sleep(settings.drainDelay().minusNanos(System.nanoTime() - start));
    }

    private static final java.util.concurrent.atomic.AtomicBoolean DRAINING = new java.util.concurrent.atomic.AtomicBoolean();

    /** Adding a hook fails once the JVM is shutting down: the sign that this is SIGTERM, not close() in a test. */
    static boolean jvmShuttingDown() {
        Thread probe = new Thread(() -> { });
        try {
            Runtime.getRuntime().addShutdownHook(probe);
            Runtime.getRuntime().removeShutdownHook(probe);
            return false;
        } catch (IllegalStateException e) {
            return true;
        }
    }

    private static void startWatchdog(Duration grace) {
        Thread watchdog = new Thread(() -> {
            sleep(grace);
            log.error("shutdown took longer than mcdropout.shutdown.grace-period ({} ms); halting now",
                    grace.toMillis());
            Runtime.getRuntime().halt(1);
        }, "mcdropout-shutdown-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
    }

    private static void sleep(Duration duration) {
        if (duration.isNegative() || duration.isZero()) {
            return;
        }
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
