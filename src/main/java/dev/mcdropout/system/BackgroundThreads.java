package dev.mcdropout.system;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Daemon threads for CPU-heavy background work (training jobs, the default model's training at start) that
 * lower their own OS priority first, so that when such work and a prediction compete for a core the
 * prediction wins. Java thread priorities are ignored by HotSpot on Linux without privileges; the nice
 * value is what the kernel honours.
 */
public final class BackgroundThreads implements ThreadFactory {

    private static final Logger log = LoggerFactory.getLogger(BackgroundThreads.class);

    private final String prefix;
    private final int nice;
    private final AtomicInteger count = new AtomicInteger();

    /** Threads named {@code prefix-1}, {@code prefix-2}, ... that run at {@code nice} (0 leaves it unchanged). */
    public BackgroundThreads(String prefix, int nice) {
        this.prefix = prefix;
        this.nice = nice;
    }

    @Override
    public Thread newThread(Runnable r) {
        Thread t = new Thread(() -> {
            lowerPriority(nice);
            r.run();
        }, prefix + "-" + count.incrementAndGet());
        t.setDaemon(true);
        t.setPriority(Thread.MIN_PRIORITY);
        return t;
    }

    /**
     * Raises the calling thread's nice value. On Linux nice is per thread, so {@code renice} on this
     * thread's id (read from {@code /proc/thread-self}) affects this thread only: when a prediction and a
     * training step compete for a core, the scheduler gives the prediction about 90% of it (CFS weights
     * 1024 vs 110 at nice 10). Raising nice needs no privileges. Where {@code /proc} or {@code renice} is
     * missing the thread simply keeps the normal priority.
     */
    static void lowerPriority(int nice) {
        if (nice <= 0) {
            return;
        }
        String name = Thread.currentThread().getName();
        try {
            Path self = Files.readSymbolicLink(Path.of("/proc/thread-self"));
            String tid = self.getFileName().toString();
            if (!tid.matches("[0-9]{1,10}")) {
                return;
            }
            Process p = new ProcessBuilder("renice", "-n", Integer.toString(nice), "-p", tid)
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                log.warn("renice of thread {} ({}) timed out", name, tid);
            } else if (p.exitValue() != 0) {
                log.warn("renice of thread {} ({}) failed (exit {}); it runs at normal priority", name, tid,
                        p.exitValue());
            } else {
                log.info("thread {} ({}) runs at nice {}", name, tid, niceOf(self));
            }
        } catch (IOException | UnsupportedOperationException e) {
            log.info("cannot lower the priority of thread {} here ({}); it runs at normal priority", name,
                    e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Field 19 of {@code /proc/<pid>/task/<tid>/stat}. */
    static String niceOf(Path thread) {
        try {
            String stat = Files.readString(Path.of("/proc").resolve(thread).resolve("stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return fields[16];
        } catch (IOException | RuntimeException e) {
            return "?";
        }
    }
}
