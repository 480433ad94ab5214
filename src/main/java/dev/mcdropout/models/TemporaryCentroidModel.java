package dev.mcdropout.models;

import dev.mcdropout.nn.Activation;
import dev.mcdropout.nn.Dataset;
import dev.mcdropout.nn.Layer;
import dev.mcdropout.nn.Network;
import dev.mcdropout.nn.Standardization;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * TEMPORARY stand-in used only while the engine's Trainer is a stub: a nearest-centroid classifier written
 * as a dropout network (hidden layer [x, -x] through ReLU, so the output layer sees x again). Removed when
 * the real Trainer lands on main.
 */
final class TemporaryCentroidModel {

    private TemporaryCentroidModel() {
    }

    static Network fit(Dataset data, double dropout) {
        Standardization st = Standardization.fit(data.features());
        int d = data.features()[0].length;
        int k = data.classes().size();
        double[] mean = st.mean();
        double[] std = st.std();
        double[][] centroids = new double[k][d];
        int[] counts = new int[k];
        for (int i = 0; i < data.features().length; i++) {
            int c = data.labels()[i];
            counts[c]++;
            for (int j = 0; j < d; j++) {
                centroids[c][j] += (data.features()[i][j] - mean[j]) / std[j];
            }
        }
        double[][] w1 = new double[d][2 * d];
        for (int j = 0; j < d; j++) {
            w1[j][j] = 1;
            w1[j][d + j] = -1;
        }
        double[][] w2 = new double[2 * d][k];
        double[] b2 = new double[k];
        for (int c = 0; c < k; c++) {
            double norm = 0;
            for (int j = 0; j < d; j++) {
                centroids[c][j] /= Math.max(1, counts[c]);
                w2[j][c] = centroids[c][j];
                w2[d + j][c] = -centroids[c][j];
                norm += centroids[c][j] * centroids[c][j];
            }
            b2[c] = -0.5 * norm;
        }
        Layer hidden = new Layer(Nd4j.create(w1).castTo(DataType.FLOAT), Nd4j.zeros(DataType.FLOAT, 1, 2 * d),
                Activation.RELU, dropout);
        Layer out = new Layer(Nd4j.create(w2).castTo(DataType.FLOAT),
                Nd4j.create(b2, new long[] {1, k}, DataType.FLOAT), Activation.LINEAR, 0.0);
        return new Network(List.of(hidden, out), 0.0, st, data.classes());
    }
}
