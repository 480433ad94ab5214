package dev.mcdropout.nn;

import java.util.ArrayList;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Adam (Kingma and Ba 2015, Algorithm 1) with bias correction:
 * {@code m = b1 m + (1 - b1) g}, {@code v = b2 v + (1 - b2) g^2},
 * {@code theta -= lr * (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)}.
 * L2 enters through the gradient (coupled L2, as the tutorial's regularised loss), not as decoupled weight
 * decay.
 */
public final class Adam implements ParameterUpdate {

    public static final double DEFAULT_BETA1 = 0.9;
    public static final double DEFAULT_BETA2 = 0.999;
    public static final double DEFAULT_EPSILON = 1e-8;

    private final double learningRate;
    private final double beta1;
    private final double beta2;
    private final double epsilon;
    private final List<INDArray> firstMoments = new ArrayList<>();
    private final List<INDArray> secondMoments = new ArrayList<>();
    private long t;

    public Adam(double learningRate) {
        this(learningRate, DEFAULT_BETA1, DEFAULT_BETA2, DEFAULT_EPSILON);
    }

    public Adam(double learningRate, double beta1, double beta2, double epsilon) {
        if (!(learningRate > 0 && Double.isFinite(learningRate))) {
            throw new IllegalArgumentException("learning rate must be finite and > 0, got " + learningRate);
        }
        if (!(beta1 >= 0 && beta1 < 1) || !(beta2 >= 0 && beta2 < 1)) {
            throw new IllegalArgumentException("Adam's betas must be in [0, 1), got " + beta1 + " and " + beta2);
        }
        if (!(epsilon > 0 && Double.isFinite(epsilon))) {
            throw new IllegalArgumentException("Adam's epsilon must be finite and > 0, got " + epsilon);
        }
        this.learningRate = learningRate;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.epsilon = epsilon;
    }

    private static org.nd4j.linalg.api.blas.Level1 blas() {
        return org.nd4j.linalg.factory.Nd4j.getBlasWrapper().level1();
    }

    @Override
    public void step(List<INDArray> parameters, List<INDArray> gradients) {
        if (parameters.size() != gradients.size()) {
            throw new IllegalArgumentException(parameters.size() + " parameters but " + gradients.size() + " gradients");
        }
        if (firstMoments.isEmpty()) {
            for (INDArray p : parameters) {
                firstMoments.add(p.ulike().assign(0));
                secondMoments.add(p.ulike().assign(0));
            }
        }
        t++;
        double correction1 = 1.0 - Math.pow(beta1, t);
        double correction2 = 1.0 - Math.pow(beta2, t);
        for (int i = 0; i < parameters.size(); i++) {
            INDArray g = gradients.get(i);
            INDArray m = firstMoments.get(i);
            INDArray v = secondMoments.get(i);
            long n = g.length();
            // m = b1 m + (1 - b1) g and v = b2 v + (1 - b2) g^2, in place on this optimiser's own state.
            m.muli(beta1);
            blas().axpy(n, 1.0 - beta1, g, m);
            v.muli(beta2);
            blas().axpy(n, 1.0 - beta2, g.mul(g), v);
            INDArray denominator = Transforms.sqrt(v.mul(1.0 / correction2), false).addi(epsilon);
            // theta -= (lr / (1 - b1^t)) m / denominator, the one in-place write to the parameters.
            blas().axpy(n, -learningRate / correction1, m.div(denominator), parameters.get(i));
        }
    }
}
