package dev.mcdropout.bench;

import dev.mcdropout.nn.AdaptiveSampling;
import dev.mcdropout.nn.AdaptiveUncertainty;
import dev.mcdropout.nn.Dataset;
import dev.mcdropout.nn.Datasets;
import dev.mcdropout.nn.MonteCarloPredictor;
import dev.mcdropout.nn.Network;
import dev.mcdropout.nn.RowMatrix;
import dev.mcdropout.nn.Trainer;
import dev.mcdropout.nn.TrainingConfig;
import dev.mcdropout.nn.TrainingListener;
import dev.mcdropout.nn.Uncertainty;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.IntPredicate;
import java.util.function.Supplier;

/**
 * What adaptive Monte Carlo ({@code mcSamples=auto}, issue 12) saves on digits: trains the service's default
 * model exactly as it does at first start (default hyperparameters, seed 1, all bundled digits rows with its
 * stratified 20% validation split held out of the weights), then over the held-out rows compares
 * {@code predictAdaptive} with fixed runs of {@code maxSamples} and of 100 passes: passes per row for
 * confident and unsure rows (right vs wrong, quartiles of predictive entropy of the {@code maxSamples} run),
 * how far the adaptive means are from the {@code maxSamples} means, and engine time, once over all held-out
 * rows in one call and once row by row (one-row requests). Not a JMH benchmark; medians of interleaved
 * repeats. Usage:
 * {@code OMP_NUM_THREADS=2 OMP_WAIT_POLICY=PASSIVE OPENBLAS_THREAD_TIMEOUT=4 java -cp target/benchmarks.jar
 * dev.mcdropout.bench.AdaptiveSavings [tolerance minSamples maxSamples repeats]}
 */
public final class AdaptiveSavings {

    private static final long SEED = 7L;

    public static void main(String[] args) {
        AdaptiveSampling plan = new AdaptiveSampling(
                args.length > 0 ? Double.parseDouble(args[0]) : AdaptiveSampling.DEFAULT_TOLERANCE,
                args.length > 1 ? Integer.parseInt(args[1]) : AdaptiveSampling.DEFAULT_MIN_SAMPLES,
                args.length > 2 ? Integer.parseInt(args[2]) : AdaptiveSampling.DEFAULT_MAX_SAMPLES);
        int repeats = args.length > 3 ? Integer.parseInt(args[3]) : 7;
        System.out.println("# " + BenchNetworks.environment());

        Dataset digits = Datasets.digits();
        TrainingConfig config = TrainingConfig.defaults();
        long t0 = System.nanoTime();
        Network network = new Trainer().train(digits, config, TrainingListener.NONE, () -> false).network();
        Dataset heldOut = Trainer.split(digits, config).heldOut();
        System.out.printf(Locale.ROOT, "# default digits model (%s, dropout %s, seed %d) trained in %.1f s; "
                        + "%d held-out rows; tolerance %s, minSamples %d, maxSamples %d, seed %d%n",
                config.hiddenLayers(), config.dropout(), config.seed(), (System.nanoTime() - t0) / 1e9,
                heldOut.size(), plan.tolerance(), plan.minSamples(), plan.maxSamples(), SEED);
        RowMatrix rows = RowMatrix.of(heldOut.features(), network.inputs());
        int n = heldOut.size();

        try (MonteCarloPredictor predictor = new MonteCarloPredictor(2)) {
            List<AdaptiveUncertainty> auto = predictor.predictAdaptive(network, rows, plan, SEED, false,
                    MonteCarloPredictor.NEVER);
            List<Uncertainty> full = predictor.predict(network, rows, plan.maxSamples(), SEED, false);
            List<Uncertainty> hundred = predictor.predict(network, rows, 100, SEED, false);

            int[] used = auto.stream().mapToInt(AdaptiveUncertainty::samplesUsed).toArray();
            boolean[] right = new boolean[n];
            double[] entropy = new double[n];
            for (int r = 0; r < n; r++) {
                right[r] = full.get(r).predictedClass() == heldOut.label(r);
                entropy[r] = full.get(r).predictiveEntropy();
            }
            double[] sorted = entropy.clone();
            Arrays.sort(sorted);
            double[] cuts = {sorted[n / 4], sorted[n / 2], sorted[3 * n / 4]};

            System.out.println();
            System.out.println("| rows | count | mean passes | median | at minSamples | at maxSamples | passes vs "
                    + plan.maxSamples() + " each |");
            System.out.println("|---|---|---|---|---|---|---|");
            group("all held-out rows", used, plan, r -> true);
            group("right (argmax of the " + plan.maxSamples() + "-pass mean)", used, plan, r -> right[r]);
            group("wrong", used, plan, r -> !right[r]);
            String[] names = {"entropy Q1 (most confident)", "entropy Q2", "entropy Q3", "entropy Q4 (least confident)"};
            for (int q = 0; q < 4; q++) {
                int quartile = q;
                group(names[q] + String.format(Locale.ROOT, " [%.3g, %.3g] nats",
                                quartile == 0 ? sorted[0] : cuts[quartile - 1], quartile == 3 ? sorted[n - 1] : cuts[quartile]),
                        used, plan, r -> quartileOf(entropy[r], cuts) == quartile);
            }

            double worstMean = 0;
            double worstInSe = 0;
            int classChanges = 0;
            int rightAuto = 0;
            int rightHundred = 0;
            int rightFull = 0;
            int notConverged = 0;
            int beyondTwoTolerances = 0;
            for (int r = 0; r < n; r++) {
                AdaptiveUncertainty a = auto.get(r);
                double rowWorst = 0;
                for (int c = 0; c < a.summary().mean().length; c++) {
                    double d = Math.abs(a.summary().mean()[c] - full.get(r).mean()[c]);
                    worstMean = Math.max(worstMean, d);
                    rowWorst = Math.max(rowWorst, d);
                    double se = a.summary().std()[c] / Math.sqrt(a.samplesUsed() - 1);
                    if (se > 0) {
                        worstInSe = Math.max(worstInSe, d / se);
                    }
                }
                beyondTwoTolerances += rowWorst > 2 * plan.tolerance() ? 1 : 0;
                classChanges += a.summary().predictedClass() != full.get(r).predictedClass() ? 1 : 0;
                rightAuto += a.summary().predictedClass() == heldOut.label(r) ? 1 : 0;
                rightHundred += hundred.get(r).predictedClass() == heldOut.label(r) ? 1 : 0;
                rightFull += right[r] ? 1 : 0;
                notConverged += a.standardError() >= plan.tolerance() ? 1 : 0;
            }
            System.out.println();
            System.out.printf(Locale.ROOT, "Accuracy: auto %.4f, fixed %d %.4f, fixed 100 %.4f. Predicted class differs "
                            + "from the %d-pass one on %d rows; largest |mean - %d-pass mean| %.4f (%.1f of the row's "
                            + "own standard errors at most); %d rows with a mean more than 2 x tolerance from the %d-pass one; "
                            + "%d rows stopped at maxSamples above tolerance.%n",
                    (double) rightAuto / n, plan.maxSamples(), (double) rightFull / n, (double) rightHundred / n,
                    plan.maxSamples(), classChanges, plan.maxSamples(), worstMean, worstInSe, beyondTwoTolerances,
                    plan.maxSamples(), notConverged);

            System.out.println();
            System.out.println("| engine time, 2 threads | median wall ms | min wall ms | median process CPU ms | passes |");
            System.out.println("|---|---|---|---|---|");
            long autoPasses = Arrays.stream(used).asLongStream().sum();
            List<Supplier<Object>> batch = List.of(
                    () -> predictor.predictAdaptive(network, rows, plan, SEED, false, MonteCarloPredictor.NEVER),
                    () -> predictor.predict(network, rows, plan.maxSamples(), SEED, false),
                    () -> predictor.predict(network, rows, 100, SEED, false));
            long[][][] batchTimes = time(batch, repeats);
            row("all " + n + " rows in one call: auto", batchTimes[0], autoPasses);
            row("all " + n + " rows in one call: fixed " + plan.maxSamples(), batchTimes[1], (long) n * plan.maxSamples());
            row("all " + n + " rows in one call: fixed 100", batchTimes[2], (long) n * 100);

            List<RowMatrix> single = new ArrayList<>();
            for (int r = 0; r < n; r++) {
                single.add(RowMatrix.of(new double[][] {heldOut.row(r)}, network.inputs()));
            }
            List<Supplier<Object>> oneByOne = List.of(
                    () -> {
                        single.forEach(x -> predictor.predictAdaptive(network, x, plan, SEED, false,
                                MonteCarloPredictor.NEVER));
                        return null;
                    },
                    () -> {
                        single.forEach(x -> predictor.predict(network, x, plan.maxSamples(), SEED, false));
                        return null;
                    },
                    () -> {
                        single.forEach(x -> predictor.predict(network, x, 100, SEED, false));
                        return null;
                    });
            long[][][] singleTimes = time(oneByOne, Math.max(3, repeats / 2));
            row(n + " one-row calls: auto", singleTimes[0], autoPasses);
            row(n + " one-row calls: fixed " + plan.maxSamples(), singleTimes[1], (long) n * plan.maxSamples());
            row(n + " one-row calls: fixed 100", singleTimes[2], (long) n * 100);
        }
    }

    private static int quartileOf(double value, double[] cuts) {
        int q = 0;
        while (q < 3 && value >= cuts[q]) {
            q++;
        }
        return q;
    }

    private static void group(String name, int[] used, AdaptiveSampling plan, IntPredicate member) {
        List<Integer> passes = new ArrayList<>();
        for (int r = 0; r < used.length; r++) {
            if (member.test(r)) {
                passes.add(used[r]);
            }
        }
        if (passes.isEmpty()) {
            System.out.printf("| %s | 0 | | | | | |%n", name);
            return;
        }
        passes.sort(null);
        double mean = passes.stream().mapToInt(Integer::intValue).average().orElse(0);
        long atMin = passes.stream().filter(p -> p == plan.minSamples()).count();
        long atMax = passes.stream().filter(p -> p == plan.maxSamples()).count();
        System.out.printf(Locale.ROOT, "| %s | %d | %.1f | %d | %.0f%% | %.0f%% | %.1f%% |%n", name, passes.size(), mean,
                passes.get(passes.size() / 2), 100.0 * atMin / passes.size(), 100.0 * atMax / passes.size(),
                100.0 * mean / plan.maxSamples());
    }

    /**
     * Interleaved rounds after two warm-ups; per contender, the sorted wall times and the sorted CPU times of
     * the whole process (every thread: the caller's, the predictor's and BLAS's), in nanoseconds. On a machine
     * shared with other work the CPU time is the steadier measure of what a call costs.
     */
    private static long[][][] time(List<Supplier<Object>> contenders, int repeats) {
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        long[][][] times = new long[contenders.size()][2][repeats];
        for (int r = -2; r < repeats; r++) {
            for (int c = 0; c < contenders.size(); c++) {
                long cpu = os.getProcessCpuTime();
                long start = System.nanoTime();
                contenders.get(c).get();
                if (r >= 0) {
                    times[c][0][r] = System.nanoTime() - start;
                    times[c][1][r] = os.getProcessCpuTime() - cpu;
                }
            }
        }
        for (long[][] t : times) {
            Arrays.sort(t[0]);
            Arrays.sort(t[1]);
        }
        return times;
    }

    private static void row(String name, long[][] sorted, long passes) {
        int mid = sorted[0].length / 2;
        System.out.printf(Locale.ROOT, "| %s | %.1f | %.1f | %.1f | %,d |%n", name, sorted[0][mid] / 1e6,
                sorted[0][0] / 1e6, sorted[1][mid] / 1e6, passes);
    }
}
