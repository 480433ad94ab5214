package dev.mcdropout.nn;

/** Thrown by the trainer when its cancellation flag was raised. */
public class TrainingCancelledException extends RuntimeException {

    public TrainingCancelledException(int epoch) {
        super("training cancelled at epoch " + epoch);
    }
}
