package dev.mcdropout.nn;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;

class ScratchTuneTest {
    @Test
    void tune() {
        NativeThreads.set(1);
        Dataset digits = Datasets.digits();
        Dataset.Split split = digits.stratifiedSplit(0.2, 42);
        List<TrainingConfig> configs = List.of(
            new TrainingConfig(List.of(256), List.of(0.2), 0.0, 200, 32, 1e-3, Optimizer.ADAM, 0.9, 1e-4, 0.2, 20, 1L, true, DataType.FLOAT),
            new TrainingConfig(List.of(256), List.of(0.5), 0.0, 200, 64, 1e-3, Optimizer.ADAM, 0.9, 1e-4, 0.2, 20, 1L, true, DataType.FLOAT),
            new TrainingConfig(List.of(256), List.of(0.3), 0.0, 200, 64, 2e-3, Optimizer.ADAM, 0.9, 1e-4, 0.2, 15, 1L, true, DataType.FLOAT),
            new TrainingConfig(List.of(128), List.of(0.2), 0.0, 200, 64, 2e-3, Optimizer.ADAM, 0.9, 1e-4, 0.2, 15, 1L, true, DataType.FLOAT)
        );
        for (long seed : new long[] {1, 2}) {
        for (int i = 0; i < configs.size(); i++) {
            TrainingConfig c = configs.get(i).withSeed(seed);
            long t = System.nanoTime();
            TrainingResult r = new Trainer().train(split.train(), c, TrainingListener.NONE, () -> false);
            double s = (System.nanoTime() - t) / 1e9;
            double[] m = Trainer.evaluate(r.network(), split.heldOut());
            System.out.printf("TUNE seed %d config %d: acc %.4f loss %.4f epochs %d best %d valAcc %.4f time %.2fs%n", seed, i, m[1], m[0],
                r.history().loss().size(), r.bestEpoch(), r.validationAccuracy(), s);
        }
        }
    }
}
