package dev.mcdropout.predict;

import dev.mcdropout.nn.MonteCarloPredictor;
import dev.mcdropout.nn.Network;
import dev.mcdropout.nn.PredictionStoppedException;
import dev.mcdropout.nn.RowMatrix;
import dev.mcdropout.nn.Uncertainty;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.BooleanSupplier;
import java.util.function.IntSupplier;

/**
 * Runs predictions that are admitted at the same time for the same model version, {@code mcSamples} and
 * {@code include} as one engine call over all their rows, and hands each its own rows' answers (issue 12).
 * Batching cannot change an answer beyond rounding: a row's masks are a pure function of its seed, the
 * sample, the site and its own values ({@link dev.mcdropout.nn.Dropout}), and each row keeps its own request's
 * seed ({@link MonteCarloPredictor#predict(Network, RowMatrix, int, long[], boolean, BooleanSupplier)}), so
 * only the shape of the matrix products changes, which BLAS rounds differently (docs/api.md,
 * "Reproducibility"). A network with DropConnect shares one weight mask per sample among all rows of a call,
 * so its predictions are batched only with others of the same seed.
 *
 * <p>No thread of its own and no hand-off: the first prediction of a batch (the leader) waits up to
 * {@code window} on its own request thread for others (not at all when the service has no more requests in
 * flight than the engine has threads, and no longer once every admitted prediction has joined its batch or the
 * batch is full), then computes the batch; the others wait for their rows' answers. While it waits for predictions that are still computing, reading
 * their bodies or answering, the cores are busy with them: the wait costs latency, not throughput, and a closed
 * loop of clients settles into batches as large as the predictions admitted (docs/performance.md). With no
 * more requests in flight than threads, each has a core of its own: waiting would only leave one idle, so
 * it runs at once (at 2 connections on 2 cores the wait cost 30 % of the throughput; run 15 in
 * docs/performance.md). Each keeps its own stop signal (deadline, disconnect): a stopped prediction
 * stops waiting at once (within {@link #POLL_NANOS}) and its rows are left out if the batch has not started;
 * the engine stops only when every prediction of the batch is stopped. A batch that fails (a value out of
 * range, a non-finite result) takes nobody down: each of its predictions is computed again on its own, so each
 * gets the answer or the error it would have got alone. A batch of one is exactly the call without batching.
 */
final class PredictBatcher {

    /** How often a waiting prediction asks its stop signal (its deadline, its client's connection). */
    static final long POLL_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

    private final MonteCarloPredictor predictor;
    private final PredictBatchProperties settings;
    private final IntSupplier admitted;
    private final IntSupplier inFlight;
    /** With at most this many requests in flight, none waits for others (the engine's threads: cores). */
    private final int alone;
    private final long windowNanos;
    private final DistributionSummary batchSize;
    private final Timer queueTime;
    /** Predictions inside {@link #predict}, waiting or computing (tests wait on it to order their requests). */
    private final AtomicInteger inside = new AtomicInteger();
    private final ReentrantLock lock = new ReentrantLock();
    /** Batches still taking members, by what their members share. Guarded by {@link #lock}. */
    private final Map<Key, Batch> open = new HashMap<>();

    /**
     * @param admitted how many predictions are admitted now (PredictService's slots taken): once a batch holds
     *                 as many, no other prediction can join it before one more is admitted
     * @param inFlight how many requests are in flight now (read, queued, computing or answering): the demand
     * @param alone    with at most this many requests in flight, a prediction does not wait for others (each
     *                 has a thread of the engine, a core, of its own); 0 makes every batch wait for the admitted
     */
    PredictBatcher(MonteCarloPredictor predictor, PredictBatchProperties settings, MeterRegistry registry,
                   IntSupplier admitted, IntSupplier inFlight, int alone) {
        this.predictor = predictor;
        this.inFlight = inFlight;
        this.alone = alone;
        this.settings = settings;
        this.admitted = admitted;
        this.windowNanos = settings.window().toNanos();
        this.batchSize = DistributionSummary.builder("mcdropout.predict.batch.size")
                .description("Predictions per engine call (1: it ran alone)")
                .serviceLevelObjectives(1, 2, 4, 8, 16, 32, 64)
                .register(registry);
        this.queueTime = Timer.builder("mcdropout.predict.queue.time")
                .description("Time from a prediction reaching the engine to its batch's engine call starting")
                .serviceLevelObjectives(Duration.ofNanos(100_000), Duration.ofNanos(500_000), Duration.ofMillis(1),
                        Duration.ofMillis(2), Duration.ofMillis(5), Duration.ofMillis(20))
                .register(registry);
    }

    /**
     * The engine's answer for {@code rows}, alone or in a batch with others: what
     * {@link MonteCarloPredictor#predict(Network, RowMatrix, int, long, boolean, BooleanSupplier)} answers, to
     * the engine's rounding bound, with the same exceptions for this request's own rows.
     */
    List<Uncertainty> predict(Network network, RowMatrix rows, int mcSamples, long seed, boolean includeScores,
                              BooleanSupplier stop) {
        inside.incrementAndGet();
        try {
            if (!settings.enabled() || windowNanos == 0 || rows.rows() > settings.maxRows()
                    || (long) rows.rows() * Math.max(1, mcSamples) > settings.maxRowSamples()) {
                batchSize.record(1);
                queueTime.record(0, TimeUnit.NANOSECONDS);
                return predictor.predict(network, rows, mcSamples, seed, includeScores, stop);
            }
            Member me = new Member(rows, seed, stop);
            // DropConnect: one weight mask per sample for every row of a call, so only one seed per batch.
            Key key = new Key(network, mcSamples, includeScores,
                    mcSamples > 0 && network.hasDropConnect() ? seed : 0L);
            Batch batch;
            lock.lock();
            try {
                batch = open.get(key);
                if (batch != null && batch.fits(me, settings)) {
                    batch.members.add(me);
                    batch.rows += rows.rows();
                    if (batch.full(settings)) {
                        close(batch);
                    }
                } else {
                    if (batch != null) {
                        close(batch);
                    }
                    batch = new Batch(key, Thread.currentThread());
                    batch.members.add(me);
                    batch.rows = rows.rows();
                    open.put(key, batch);
                }
            } finally {
                lock.unlock();
            }
            if (batch.leader != Thread.currentThread()) {
                return follow(key, me);
            }
            return lead(batch, me);
        } finally {
            inside.decrementAndGet();
        }
    }

    /** Predictions inside {@link #predict} now (for tests). */
    int inside() {
        return inside.get();
    }

    /**
     * Waits for the batch to fill (within the window), computes it, hands out the answers, returns its own. The
     * wait yields rather than parks: a window is shorter than a parked thread's wake-up on a busy machine, and
     * the threads the leader waits for (those still reading their requests) get the core meanwhile.
     */
    private List<Uncertainty> lead(Batch batch, Member me) {
        long until = me.arrival + windowNanos;
        List<Member> members;
        while (true) {
            lock.lock();
            try {
                if (batch.closed || until - System.nanoTime() <= 0 || me.stop.getAsBoolean()
                        || batch.members.size() >= admitted.getAsInt() || inFlight.getAsInt() <= alone) {
                    close(batch);
                    members = List.copyOf(batch.members);
                    break;
                }
            } finally {
                lock.unlock();
            }
            Thread.yield();
        }
        List<Member> live = new ArrayList<>(members.size());
        try {
            for (Member m : members) {
                if (!m.abandoned && !m.stop.getAsBoolean()) {
                    live.add(m);
                } else if (m != me) {
                    // Stopped before the batch started: its rows are left out and it answers as stopped.
                    m.deliver(Outcome.STOPPED, null);
                }
            }
            if (live.isEmpty()) {
                throw new PredictionStoppedException();
            }
            if (live.size() == 1) {
                Member only = live.get(0);
                if (only != me) {
                    // The leader was stopped: the one prediction left computes for itself, on its own thread.
                    only.deliver(Outcome.RUN_ALONE, null);
                    throw new PredictionStoppedException();
                }
                return compute(batch.key, List.of(me)).get(0);
            }
            List<List<Uncertainty>> answers;
            try {
                answers = compute(batch.key, live);
            } catch (PredictionStoppedException e) {
                // Every prediction of the batch was stopped (the batch's own signal).
                for (Member m : live) {
                    m.deliver(Outcome.STOPPED, null);
                }
                throw e;
            } catch (RuntimeException | Error e) {
                // One row failed (a value out of range, a non-finite result) or the call did: each prediction is
                // computed again on its own, so that only the one whose rows fail gets the error.
                for (Member m : live) {
                    if (m != me) {
                        m.deliver(Outcome.RUN_ALONE, null);
                    }
                }
                if (!live.contains(me)) {
                    throw new PredictionStoppedException();
                }
                return alone(batch.key, me);
            }
            List<Uncertainty> mine = null;
            for (int i = 0; i < live.size(); i++) {
                if (live.get(i) == me) {
                    mine = answers.get(i);
                } else {
                    live.get(i).deliver(Outcome.ANSWERED, answers.get(i));
                }
            }
            if (mine == null || me.stop.getAsBoolean()) {
                // Stopped while it computed for the others: its own answer is not served (deadline, or nobody reads).
                throw new PredictionStoppedException();
            }
            return mine;
        } finally {
            // Whatever happened, no member is left waiting for an answer that never comes.
            for (Member m : members) {
                if (m != me) {
                    m.deliver(Outcome.RUN_ALONE, null);
                }
            }
        }
    }

    /** Waits for the leader's answer while the prediction's own stop signal is down. */
    private List<Uncertainty> follow(Key key, Member me) {
        boolean interrupted = false;
        try {
            while (!me.done) {
                if (me.stop.getAsBoolean()) {
                    me.abandoned = true;
                    throw new PredictionStoppedException();
                }
                LockSupport.parkNanos(this, POLL_NANOS);
                interrupted |= Thread.interrupted();
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
        return switch (me.outcome) {
            case ANSWERED -> me.answer;
            case STOPPED -> throw new PredictionStoppedException();
            case RUN_ALONE -> alone(key, me);
        };
    }

    /** One engine call over the members' rows, each row with its member's seed; the answers split per member. */
    private List<List<Uncertainty>> compute(Key key, List<Member> members) {
        long start = System.nanoTime();
        batchSize.record(members.size());
        for (Member m : members) {
            queueTime.record(start - m.arrival, TimeUnit.NANOSECONDS);
        }
        if (members.size() == 1) {
            return List.of(alone(key, members.get(0)));
        }
        Network network = key.network;
        int columns = members.get(0).rows.columns();
        int total = 0;
        for (Member m : members) {
            total += m.rows.rows();
        }
        double[] values = new double[Math.multiplyExact(total, columns)];
        long[] seeds = new long[total];
        int at = 0;
        for (Member m : members) {
            int n = m.rows.rows();
            System.arraycopy(m.rows.values(), 0, values, at * columns, n * columns);
            // With one deterministic pass the seed draws nothing: one seed lets equal rows be computed once.
            Arrays.fill(seeds, at, at + n, key.mcSamples == 0 ? 0L : m.seed);
            at += n;
        }
        List<Uncertainty> all = predictor.predict(network, new RowMatrix(values, total, columns), key.mcSamples, seeds,
                key.includeScores, () -> allStopped(members));
        List<List<Uncertainty>> out = new ArrayList<>(members.size());
        at = 0;
        for (Member m : members) {
            out.add(new ArrayList<>(all.subList(at, at + m.rows.rows())));
            at += m.rows.rows();
        }
        return out;
    }

    /** The prediction computed as if there were no batching. */
    private List<Uncertainty> alone(Key key, Member m) {
        return predictor.predict(key.network, m.rows, key.mcSamples, m.seed, key.includeScores, m.stop);
    }

    /** The batch's stop signal: up only when every member's is (each stays up once raised). */
    private static boolean allStopped(List<Member> members) {
        for (Member m : members) {
            if (!m.stopped) {
                if (!m.stop.getAsBoolean()) {
                    return false;
                }
                m.stopped = true;
            }
        }
        return true;
    }

    /** Takes the batch out of those that accept members. Call with {@link #lock} held. */
    private void close(Batch batch) {
        if (!batch.closed) {
            batch.closed = true;
            open.remove(batch.key, batch);
        }
    }

    /** What the members of one batch share; the network by identity (one loaded version). */
    private record Key(Network network, int mcSamples, boolean includeScores, long sharedSeed) {
        @Override
        public boolean equals(Object o) {
            return o instanceof Key k && k.network == network && k.mcSamples == mcSamples
                    && k.includeScores == includeScores && k.sharedSeed == sharedSeed;
        }

        @Override
        public int hashCode() {
            return (System.identityHashCode(network) * 31 + mcSamples) * 31 + Long.hashCode(sharedSeed)
                    + (includeScores ? 1 : 0);
        }
    }

    private enum Outcome { ANSWERED, STOPPED, RUN_ALONE }

    /** One prediction in a batch. */
    private static final class Member {
        final RowMatrix rows;
        final long seed;
        final BooleanSupplier stop;
        final long arrival = System.nanoTime();
        final Thread thread = Thread.currentThread();
        /** Set by the member when it stopped waiting: the leader leaves its rows out if it has not started. */
        volatile boolean abandoned;
        /** The member's stop signal was seen up (read and written by the threads of one engine call). */
        volatile boolean stopped;
        Outcome outcome;
        List<Uncertainty> answer;
        volatile boolean done;

        Member(RowMatrix rows, long seed, BooleanSupplier stop) {
            this.rows = rows;
            this.seed = seed;
            this.stop = stop;
        }

        /** The first outcome handed to a member is its outcome. */
        synchronized void deliver(Outcome outcome, List<Uncertainty> answer) {
            if (done) {
                return;
            }
            this.outcome = outcome;
            this.answer = answer;
            done = true;
            LockSupport.unpark(thread);
        }
    }

    /** Members of one engine call; the leader is the thread that opened it, waits for the others and computes it. */
    private static final class Batch {
        final Key key;
        final Thread leader;
        final List<Member> members = new ArrayList<>(8);
        int rows;
        boolean closed;

        Batch(Key key, Thread leader) {
            this.key = key;
            this.leader = leader;
        }

        boolean fits(Member m, PredictBatchProperties settings) {
            long total = rows + (long) m.rows.rows();
            return !closed && total <= settings.maxRows()
                    && total * Math.max(1, key.mcSamples) <= settings.maxRowSamples();
        }

        boolean full(PredictBatchProperties settings) {
            long next = rows + 1L;
            return next > settings.maxRows() || next * Math.max(1, key.mcSamples) > settings.maxRowSamples();
        }
    }
}
