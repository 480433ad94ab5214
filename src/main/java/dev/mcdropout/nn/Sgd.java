package dev.mcdropout.nn;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Stochastic gradient descent with classical momentum (Polyak 1964; Sutskever et al. 2013, eq. 1):
 * {@code v = mu v - lr g}, {@code theta += v}. With {@code mu = 0} it is plain SGD.
 */
public final class Sgd implements ParameterUpdate {

    private final double learningRate;
    private final double momentum;
    private final List<INDArray> velocities = new ArrayList<>();

    public Sgd(double learningRate, double momentum) {
        if (!(learningRate > 0 && Double.isFinite(learningRate))) {
            throw new IllegalArgumentException("learning rate must be finite and > 0, got " + learningRate);
        }
        if (!(momentum >= 0 && momentum < 1)) {
            throw new IllegalArgumentException("momentum must be in [0, 1), got " + momentum);
        }
        this.learningRate = learningRate;
        this.momentum = momentum;
    }

    @Override
    public void step(List<INDArray> parameters, List<INDArray> gradients) {
        if (parameters.size() != gradients.size()) {
            throw new IllegalArgumentException(parameters.size() + " parameters but " + gradients.size() + " gradients");
        }
        if (velocities.isEmpty()) {
            for (INDArray p : parameters) {
                velocities.add(p.ulike().assign(0));
            }
        }
        for (int i = 0; i < parameters.size(); i++) {
            INDArray v = velocities.get(i);
            // v = mu v - lr g, then theta += v: in place on the optimiser's state and the parameters.
            v.muli(momentum);
            Nd4j.getBlasWrapper().level1().axpy(v.length(), -learningRate, gradients.get(i), v);
            parameters.get(i).addi(v);
        }
    }
}
