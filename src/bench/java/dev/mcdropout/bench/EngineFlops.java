package dev.mcdropout.bench;

import dev.mcdropout.nn.Layer;
import dev.mcdropout.nn.Network;
import java.util.List;

/**
 * The floating-point work the engine must do for B rows and N samples, counted as in docs/performance.md:
 * the deterministic prefix once for B rows (standardisation, 2 flops per input; every layer before the first
 * dropout site: 2 k n per row for the product plus n for the bias), then N B rows through every later layer
 * (k for the mask multiply where that site drops, 2 k n for the product, n for the bias). ReLU, softmax and
 * the statistics are not counted (comparisons and O(N B classes) work).
 */
final class EngineFlops {

    private EngineFlops() {
    }

    static double count(Network network, int rows, int samples) {
        List<Layer> layers = network.layers();
        int firstSite = -1;
        for (int i = 0; i < layers.size() && firstSite < 0; i++) {
            if (network.dropoutAt(i) > 0) {
                firstSite = i;
            }
        }
        double flops = 2.0 * rows * network.inputs();
        for (int i = 0; i < layers.size(); i++) {
            double k = layers.get(i).inputs();
            double n = layers.get(i).outputs();
            boolean batched = firstSite >= 0 && i >= firstSite;
            double m = batched ? (double) samples * rows : rows;
            flops += m * ((network.dropoutAt(i) > 0 ? k : 0) + 2 * k * n + n);
        }
        return flops;
    }

    /**
     * The same count for a network with DropConnect: the layers before the first stochastic one (a unit dropout
     * site or a DropConnect layer) once for B rows; from there on every layer per sample: a DropConnect layer
     * masks its k n weights once per sample (k n multiplies, shared by the sample's B rows) and multiplies B rows
     * by them (2 B k n) plus the bias (B n); any other layer as above (B k for a unit mask where its input site
     * drops, 2 B k n, B n).
     */
    static double countDropConnect(Network network, int rows, int samples) {
        List<Layer> layers = network.layers();
        int first = -1;
        for (int i = 0; i < layers.size() && first < 0; i++) {
            if (network.dropoutAt(i) > 0 || network.weightDropoutAt(i) > 0) {
                first = i;
            }
        }
        double flops = 2.0 * rows * network.inputs();
        for (int i = 0; i < layers.size(); i++) {
            double k = layers.get(i).inputs();
            double n = layers.get(i).outputs();
            boolean sampled = first >= 0 && i >= first;
            double passes = sampled ? samples : 1;
            double perPass = rows * ((network.dropoutAt(i) > 0 ? k : 0) + 2 * k * n + n)
                    + (sampled && network.weightDropoutAt(i) > 0 ? k * n : 0);
            flops += passes * perPass;
        }
        return flops;
    }
}
