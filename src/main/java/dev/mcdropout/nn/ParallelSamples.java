package dev.mcdropout.nn;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Splits a chunk's samples into contiguous ranges, one per thread, the caller's included. It returns, or
 * throws, only once every helper has stopped: the caller gives the buffers the helpers write into back to a
 * shared pool right after, so a helper still running then would write into another request's memory.
 */
final class ParallelSamples implements AutoCloseable {

    /** Below this many elements an element-wise pass is not worth handing to other threads. */
    static final long PARALLEL_ELEMENTS = 1L << 16;

    /** Work on samples {@code [s0, s1)}; it checks {@code stop} between samples and returns early when set. */
    @FunctionalInterface
    interface Range {
        void run(int s0, int s1, AtomicBoolean stop);
    }

    private final int threads;
    private final ExecutorService pool;

    ParallelSamples(int threads) {
        this.threads = threads;
        AtomicInteger counter = new AtomicInteger();
        this.pool = threads == 1 ? null : Executors.newFixedThreadPool(threads - 1, r -> {
            Thread t = new Thread(r, "mc-dropout-" + counter.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    int threads() {
        return threads;
    }

    /** Runs {@code work} over {@code [0, count)}; the first failure (or the caller's interrupt) is rethrown. */
    void run(int count, long elementsPerSample, Range work) {
        int parts = Math.min(threads, count);
        AtomicBoolean stop = new AtomicBoolean();
        if (pool == null || parts <= 1 || elementsPerSample * count < PARALLEL_ELEMENTS) {
            work.run(0, count, stop);
            return;
        }
        // Each part is run by whoever claims it first: a pool thread, or the caller once its own part is done.
        // The pool is shared by every request in flight, so under load a part handed to it may sit behind other
        // requests' parts; the caller then runs it itself instead of waiting idle for a busy pool (which made
        // concurrent requests wait on each other's work).
        Runnable[] tasks = new Runnable[parts];
        CountDownLatch helpersDone = new CountDownLatch(parts - 1);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        for (int part = 1; part < parts; part++) {
            int s0 = (int) ((long) count * part / parts);
            int s1 = (int) ((long) count * (part + 1) / parts);
            AtomicBoolean claimed = new AtomicBoolean();
            Runnable task = tasks[part] = () -> {
                if (!claimed.compareAndSet(false, true)) {
                    return;
                }
                try {
                    work.run(s0, s1, stop);
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                    stop.set(true);
                } finally {
                    helpersDone.countDown();
                }
            };
            try {
                pool.execute(task);
            } catch (RejectedExecutionException e) {
                failure.compareAndSet(null, new IllegalStateException("the predictor is closed", e));
                stop.set(true);
            }
        }
        try {
            work.run(0, (int) ((long) count / parts), stop);
        } catch (Throwable t) {
            failure.compareAndSet(null, t);
            stop.set(true);
        }
        for (int part = 1; part < parts; part++) {
            // A no-op for a part a pool thread has claimed; a rejected or not yet started part runs here.
            tasks[part].run();
        }
        boolean interrupted = false;
        while (true) {
            try {
                helpersDone.await();
                break;
            } catch (InterruptedException e) {
                // Stop the helpers early, but still wait for them: see the class comment.
                interrupted = true;
                stop.set(true);
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Monte Carlo prediction interrupted");
        }
        Throwable t = failure.get();
        if (t instanceof RuntimeException re) {
            throw re;
        }
        if (t instanceof Error error) {
            throw error;
        }
        if (t != null) {
            throw new IllegalStateException("Monte Carlo pass failed", t);
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
