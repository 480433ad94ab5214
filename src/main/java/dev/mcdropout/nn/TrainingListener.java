package dev.mcdropout.nn;

/** Told after each epoch; called on the training thread, so it must be quick. */
@FunctionalInterface
public interface TrainingListener {

    void onEpoch(int epoch, int epochs, TrainingHistory historySoFar);

    TrainingListener NONE = (epoch, epochs, history) -> { };
}
