package dev.mcdropout.nn;

/** Thrown by the trainer when the loss stops being a finite number, which a lower learning rate usually cures. */
public class TrainingDivergedException extends RuntimeException {

    public TrainingDivergedException(int epoch, double loss) {
        super("training diverged at epoch " + epoch + " (loss " + loss + "); try a lower learningRate");
    }
}
