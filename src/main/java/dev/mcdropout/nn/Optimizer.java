package dev.mcdropout.nn;

/** The optimisers the trainer offers. */
public enum Optimizer {
    /** Kingma and Ba 2015, with bias correction. */
    ADAM,
    /** Stochastic gradient descent with classical momentum. */
    SGD
}
