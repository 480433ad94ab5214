package dev.mcdropout.nn;

import org.nd4j.linalg.api.buffer.DataType;

/**
 * The data types the engine is checked in against hand-worked or NumPy numbers, with how close float arithmetic
 * can be expected to come.
 */
enum Precision {
    DOUBLE(DataType.DOUBLE, 1e-9), FLOAT(DataType.FLOAT, 1e-4);

    final DataType type;
    final double tolerance;

    Precision(DataType type, double tolerance) {
        this.type = type;
        this.tolerance = tolerance;
    }
}
