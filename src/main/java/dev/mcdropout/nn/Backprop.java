package dev.mcdropout.nn;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinearDerivative;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The backward pass of the seed tutorial's network, generalised to k hidden layers (Rumelhart et al. 1986;
 * dropout as in Srivastava et al. 2014, section 5). From {@code dscores = dL/dscores} it walks the layers
 * back: {@code dW = in^T @ dz + l2 * W}, {@code db = sum over rows of dz}, {@code d(in) = dz @ W^T}; the
 * gradient then goes back through the same scaled dropout mask the forward pass used (a dropped unit
 * passes no gradient, a kept one is scaled by {@code 1 / (1 - p)}) and through ReLU, which passes the
 * gradient where its pre-activation was {@code > 0} and blocks it where {@code z <= 0}, as the tutorial's
 * {@code dh[z1 <= 0] = 0}.
 */
public final class Backprop {

    private Backprop() {
    }

    /**
     * Gradients of {@code L + (l2 / 2) * sum W^2} for a forward pass of {@code network} (see {@link Loss}
     * for the L2 convention), where {@code dscores} is {@code dL/dscores} of that pass.
     */
    public static Gradients gradients(Network network, ForwardPass pass, INDArray dscores, double l2) {
        List<INDArray> weights = new ArrayList<>(network.layerCount());
        List<Activation> activations = new ArrayList<>(network.layerCount());
        for (int i = 0; i < network.layerCount(); i++) {
            weights.add(network.layer(i).weights());
            activations.add(network.layer(i).activation());
        }
        return gradients(weights, activations, pass, dscores, l2);
    }

    /** The same for bare weight matrices; used by the trainer on its own parameters. */
    static Gradients gradients(List<INDArray> weights, List<Activation> activations, ForwardPass pass,
                               INDArray dscores, double l2) {
        int layers = weights.size();
        if (pass.inputs().size() != layers || activations.size() != layers) {
            throw new IllegalArgumentException("the forward pass has " + pass.inputs().size()
                    + " layers, the network " + layers);
        }
        if (!Arrays.equals(dscores.shape(), pass.scores().shape())) {
            throw new IllegalArgumentException("dscores has shape " + Arrays.toString(dscores.shape())
                    + ", scores " + Arrays.toString(pass.scores().shape()));
        }
        if (!(l2 >= 0.0 && Double.isFinite(l2))) {
            throw new IllegalArgumentException("l2 must be finite and >= 0, got " + l2);
        }
        INDArray[] dW = new INDArray[layers];
        INDArray[] db = new INDArray[layers];
        INDArray dz = dscores.castTo(weights.get(0).dataType());
        INDArray ones = Nd4j.ones(dz.dataType(), 1, dz.rows());
        for (int i = layers - 1; i >= 0; i--) {
            INDArray w = weights.get(i);
            dW[i] = pass.inputs().get(i).transpose().mmul(dz);
            if (l2 != 0.0) {
                // dW += l2 * W, named in place on the fresh gradient.
                Nd4j.getBlasWrapper().level1().axpy(w.length(), l2, w, dW[i]);
            }
            // Column sums as a product with a row of ones: BLAS parallelises a product over its output
            // entries, so the sum does not depend on the thread count.
            db[i] = ones.mmul(dz);
            if (i == 0) {
                break;
            }
            // dL/d(output of layer i - 1 after dropout) = dz @ W^T; then back through mask and activation.
            INDArray dIn = dz.mmul(w.transpose());
            INDArray mask = pass.masks().get(i);
            if (mask != null) {
                dIn.muli(mask.castTo(dIn.dataType()));
            }
            if (activations.get(i - 1) == Activation.RELU) {
                // relu_bp: the gradient where z > 0, zero where z <= 0; written over dIn.
                Nd4j.getExecutioner().exec(new RectifiedLinearDerivative(pass.preActivations().get(i - 1), dIn, dIn));
            }
            dz = dIn;
        }
        return new Gradients(Arrays.asList(dW), Arrays.asList(db));
    }
}
