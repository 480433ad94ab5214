package dev.mcdropout.nn;

import java.util.function.BooleanSupplier;

/** Mini-batch training with inverted dropout. STUB: being written; signatures are the contract. */
public final class Trainer {

    public TrainingResult train(Dataset data, TrainingConfig config, TrainingListener listener,
                                BooleanSupplier cancelled) {
        throw new UnsupportedOperationException("not yet");
    }
}
