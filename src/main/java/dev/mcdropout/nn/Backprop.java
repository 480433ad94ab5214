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
 *
 * <p>DropConnect (Wan et al. 2013): a layer whose weights were multiplied by a scaled mask {@code M} used
 * {@code W * M}, so {@code d(in) = dz @ (W * M)^T} and {@code dW = (in^T @ dz) * M + l2 * W}: a dropped weight
 * gets only its L2 gradient. Batch norm (Ioffe and Szegedy 2015, section 3): with {@code xhat} the normalised
 * value and {@code dy} the gradient at {@code y = gamma * xhat + beta}, {@code dgamma = sum(dy * xhat)},
 * {@code dbeta = sum(dy)}, and with batch statistics over m rows
 * {@code dz = (1/m) * inverseStd * (m * dxhat - sum(dxhat) - xhat * sum(dxhat * xhat))}, {@code dxhat = dy * gamma};
 * with running statistics {@code dz = dxhat * inverseStd}. With batch statistics the bias of the layer has no
 * effect (the batch mean subtracts it again), so its gradient is exactly 0 and is returned as 0 rather than as
 * the rounding residue of a sum that cancels.
 */
public final class Backprop {

    private Backprop() {
    }

    /**
     * Gradients of {@code L + (l2 / 2) * sum W^2} for a forward pass of {@code network} (see {@link Loss}
     * for the L2 convention; gamma, beta and biases are not penalised), where {@code dscores} is
     * {@code dL/dscores} of that pass.
     */
    public static Gradients gradients(Network network, ForwardPass pass, INDArray dscores, double l2) {
        List<Layer> layers = new ArrayList<>(network.layerCount());
        for (int i = 0; i < network.layerCount(); i++) {
            layers.add(network.layer(i));
        }
        return gradients(layers, pass, dscores, l2);
    }

    /** The same for bare layers; used by the trainer on its own parameters. */
    static Gradients gradients(List<Layer> layers, ForwardPass pass, INDArray dscores, double l2) {
        int count = layers.size();
        if (pass.inputs().size() != count) {
            throw new IllegalArgumentException("the forward pass has " + pass.inputs().size()
                    + " layers, the network " + count);
        }
        if (!Arrays.equals(dscores.shape(), pass.scores().shape())) {
            throw new IllegalArgumentException("dscores has shape " + Arrays.toString(dscores.shape())
                    + ", scores " + Arrays.toString(pass.scores().shape()));
        }
        if (!(l2 >= 0.0 && Double.isFinite(l2))) {
            throw new IllegalArgumentException("l2 must be finite and >= 0, got " + l2);
        }
        INDArray[] dW = new INDArray[count];
        INDArray[] db = new INDArray[count];
        INDArray[] dGamma = new INDArray[count];
        INDArray[] dBeta = new INDArray[count];
        INDArray dy = dscores.castTo(layers.get(0).weights().dataType());
        INDArray ones = Nd4j.ones(dy.dataType(), 1, dy.rows());
        for (int i = count - 1; i >= 0; i--) {
            Layer layer = layers.get(i);
            INDArray w = layer.weights();
            ForwardPass.Normalized bn = pass.batchNorm().get(i);
            INDArray dz = dy;
            if (layer.batchNorm() != null) {
                if (bn == null) {
                    throw new IllegalArgumentException("layer " + i + " has batch norm but the pass did not record it");
                }
                INDArray xhat = bn.normalized();
                // Column sums as products with a row of ones: BLAS parallelises a product over its output
                // entries, so a sum does not depend on the thread count.
                dGamma[i] = ones.mmul(dy.mul(xhat));
                dBeta[i] = ones.mmul(dy);
                INDArray dxhat = dy.mulRowVector(layer.batchNorm().gamma());
                if (bn.batchStatistics()) {
                    long m = dy.rows();
                    INDArray sum = ones.mmul(dxhat);
                    INDArray sumTimesXhat = ones.mmul(dxhat.mul(xhat));
                    dz = dxhat.mul(m).subiRowVector(sum).subi(xhat.mulRowVector(sumTimesXhat))
                            .muliRowVector(bn.inverseStd().div(m));
                } else {
                    dz = dxhat.mulRowVector(bn.inverseStd());
                }
            }
            INDArray weightMask = pass.weightMasks().get(i);
            dW[i] = pass.inputs().get(i).transpose().mmul(dz);
            if (weightMask != null) {
                dW[i].muli(weightMask.castTo(dW[i].dataType()));
            }
            if (l2 != 0.0) {
                // dW += l2 * W, named in place on the fresh gradient.
                Nd4j.getBlasWrapper().level1().axpy(w.length(), l2, w, dW[i]);
            }
            db[i] = bn != null && bn.batchStatistics() ? Nd4j.zeros(dz.dataType(), 1, dz.columns()) : ones.mmul(dz);
            if (i == 0) {
                break;
            }
            // dL/d(output of layer i - 1 after dropout) = dz @ W^T; then back through mask and activation.
            INDArray used = weightMask == null ? w : w.mul(weightMask.castTo(w.dataType()));
            INDArray dIn = dz.mmul(used.transpose());
            INDArray mask = pass.masks().get(i);
            if (mask != null) {
                dIn.muli(mask.castTo(dIn.dataType()));
            }
            if (layers.get(i - 1).activation() == Activation.RELU) {
                // relu_bp: the gradient where z > 0, zero where z <= 0; written over dIn.
                Nd4j.getExecutioner().exec(new RectifiedLinearDerivative(pass.preActivations().get(i - 1), dIn, dIn));
            }
            dy = dIn;
        }
        return new Gradients(Arrays.asList(dW), Arrays.asList(db), Arrays.asList(dGamma), Arrays.asList(dBeta));
    }
}
