package dev.mcdropout.nn;

import java.util.List;

/**
 * The shape of a network: {@code inputs -> hidden[0] -> ... -> hidden[k-1] -> outputs}, ReLU on hidden
 * layers, a linear output layer, and a dropout probability (of dropping a unit, as in Srivastava et al.
 * 2014) on the input and on each hidden layer's output. The output layer never has dropout.
 *
 * <p>{@code dropConnect}: each hidden layer's probability drops the weights into its units instead of its
 * outputs (Wan et al. 2013); {@code batchNorm}: every hidden layer normalises its linear output before the
 * ReLU (Ioffe and Szegedy 2015). For a network read from an archive these say whether any hidden layer does.
 */
public record NetworkSpec(int inputs, List<Integer> hidden, int outputs, double inputDropout,
                          List<Double> hiddenDropout, boolean dropConnect, boolean batchNorm) {

    /** Bounds that keep a single network within this machine's memory; the service checks tighter ones. */
    public static final int MAX_UNITS = 1 << 20;

    public NetworkSpec {
        hidden = List.copyOf(hidden);
        hiddenDropout = List.copyOf(hiddenDropout);
        if (inputs < 1 || inputs > MAX_UNITS) {
            throw new IllegalArgumentException("inputs must be in [1, " + MAX_UNITS + "], got " + inputs);
        }
        if (outputs < 2 || outputs > MAX_UNITS) {
            throw new IllegalArgumentException("outputs (classes) must be in [2, " + MAX_UNITS + "], got " + outputs);
        }
        if (hidden.size() != hiddenDropout.size()) {
            throw new IllegalArgumentException(hidden.size() + " hidden layers but " + hiddenDropout.size()
                    + " dropout probabilities");
        }
        for (int h : hidden) {
            if (h < 1 || h > MAX_UNITS) {
                throw new IllegalArgumentException("hidden layer sizes must be in [1, " + MAX_UNITS + "], got " + h);
            }
        }
        Dropout.checkProbability("inputDropout", inputDropout);
        for (double p : hiddenDropout) {
            Dropout.checkProbability("dropout", p);
        }
    }

    /** Plain dropout: no DropConnect, no batch norm. */
    public NetworkSpec(int inputs, List<Integer> hidden, int outputs, double inputDropout, List<Double> hiddenDropout) {
        this(inputs, hidden, outputs, inputDropout, hiddenDropout, false, false);
    }

    /** Same dropout probability {@code p} on every hidden layer and none on the input. */
    public static NetworkSpec of(int inputs, List<Integer> hidden, int outputs, double p) {
        return new NetworkSpec(inputs, hidden, outputs, 0.0,
                hidden.stream().map(h -> p).toList());
    }

    public int layerCount() {
        return hidden.size() + 1;
    }

}
