package dev.mcdropout.nn;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/**
 * The split of a chunk's samples over the predictor's threads: every sample is worked on exactly once, and a
 * part that the shared pool cannot start (its threads busy with another request's work) is run by the caller
 * rather than waited for.
 */
class ParallelSamplesTest {

    private static final long BIG = ParallelSamples.PARALLEL_ELEMENTS;

    @Test
    void everySampleIsWorkedOnExactlyOnce() {
        try (ParallelSamples parallel = new ParallelSamples(3)) {
            for (int count : new int[] {1, 2, 3, 7, 100}) {
                AtomicIntegerArray seen = new AtomicIntegerArray(count);
                parallel.run(count, BIG, (s0, s1, stop) -> {
                    for (int s = s0; s < s1; s++) {
                        seen.incrementAndGet(s);
                    }
                });
                for (int s = 0; s < count; s++) {
                    assertThat(seen.get(s)).as("sample %d of %d", s, count).isEqualTo(1);
                }
            }
        }
    }

    @Test
    void aPartThatTheBusyPoolCannotStartIsRunByTheCallerInsteadOfWaitedFor() throws Exception {
        ExecutorService other = Executors.newSingleThreadExecutor();
        ExecutorService caller = Executors.newSingleThreadExecutor();
        CountDownLatch poolBusy = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        try (ParallelSamples parallel = new ParallelSamples(2)) {
            // Another request's call whose pool part blocks: the pool's one thread is held until release.
            Future<?> blocking = other.submit(() -> parallel.run(2, BIG, (s0, s1, stop) -> {
                if (s0 == 1) {
                    poolBusy.countDown();
                    await(release);
                } else {
                    await(poolBusy);
                }
            }));
            assertThat(poolBusy.await(60, TimeUnit.SECONDS)).isTrue();

            ConcurrentHashMap<Integer, Thread> ranOn = new ConcurrentHashMap<>();
            Future<?> mine = caller.submit(() -> parallel.run(2, BIG,
                    (s0, s1, stop) -> ranOn.put(s0, Thread.currentThread())));
            mine.get(60, TimeUnit.SECONDS);
            assertThat(release.getCount()).as("it returned while the pool was still busy").isEqualTo(1);
            assertThat(ranOn).containsOnlyKeys(0, 1);
            assertThat(ranOn.get(1)).as("the caller ran the pool's part").isSameAs(ranOn.get(0));

            release.countDown();
            blocking.get(60, TimeUnit.SECONDS);
        } finally {
            release.countDown();
            other.shutdownNow();
            caller.shutdownNow();
        }
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(120, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
