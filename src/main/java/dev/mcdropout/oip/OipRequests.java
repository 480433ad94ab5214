package dev.mcdropout.oip;

import dev.mcdropout.nn.RowMatrix;
import dev.mcdropout.oip.OipDtos.RequestOutput;
import dev.mcdropout.system.ProblemException;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;

/**
 * Reads an OIP inference request into what {@code PredictService} takes, checking each part against the
 * protocol and the model; every failure is a 400 that says what to send instead.
 */
final class OipRequests {

    private OipRequests() {
    }

    static ProblemException invalid(String detail) {
        return ProblemException.badRequest("invalid-inference-request", "Invalid inference request", detail);
    }

    /** The requested outputs in request order, or all when none are named. */
    static List<String> outputs(OipBodies.Outputs requested, List<String> known) {
        if (requested == null || requested.count() == 0) {
            return known;
        }
        List<String> names = new ArrayList<>();
        for (OipBodies.Outputs.Entry entry : requested.kept()) {
            RequestOutput output = entry.output();
            if (output == null || output.name() == null) {
                throw invalid("outputs[" + entry.index() + "] needs a \"name\", one of " + known);
            }
            if (!known.contains(output.name())) {
                throw invalid("unknown output '" + OipController.abbreviate(output.name()) + "'; this model produces "
                        + known);
            }
            if (!names.contains(output.name())) {
                names.add(output.name());
            }
        }
        return names;
    }

    /** {@code mc_samples}: absent means one deterministic pass, as {@code mcSamples} of /predict. */
    static Integer mcSamples(Map<String, Object> parameters, int max) {
        Object value = parameters == null ? null : parameters.get("mc_samples");
        if (value == null) {
            return null;
        }
        if (!(value instanceof Integer || value instanceof Long || value instanceof BigInteger)) {
            throw invalid("parameter 'mc_samples' must be an integer from 0 to " + max + ", got " + describe(value));
        }
        BigInteger n = new BigInteger(value.toString());
        if (n.signum() < 0) {
            throw invalid("parameter 'mc_samples' must be 0 (one deterministic pass) or a positive number of passes, got " + n);
        }
        if (n.compareTo(BigInteger.valueOf(max)) > 0) {
            throw ProblemException.limit(HttpStatus.BAD_REQUEST, "max-mc-samples",
                    "parameter 'mc_samples' is " + n + ", more than the " + max + " allowed");
        }
        return n.intValue();
    }

    /** {@code seed}: any 64-bit integer; absent means one is drawn and returned. */
    static Long seed(Map<String, Object> parameters) {
        Object value = parameters == null ? null : parameters.get("seed");
        if (value == null) {
            return null;
        }
        if (value instanceof Integer || value instanceof Long) {
            return ((Number) value).longValue();
        }
        throw invalid("parameter 'seed' must be an integer from -2^63 to 2^63-1, got " + describe(value));
    }

    /**
     * The single input tensor as rows: shape {@code [B, features]}, FP32 (or FP64), data flat (B x features
     * numbers, row-major) or nested (B arrays of features numbers), as the protocol allows both. The data
     * arrives already parsed into a bounded block ({@link TensorDataDeserializer}).
     */
    static RowMatrix rows(List<OipDtos.InputBody> inputs, int features, int maxRows, String model) {
        String example = "{\"name\": \"" + OipController.INPUT + "\", \"shape\": [1, " + features
                + "], \"datatype\": \"FP32\", \"data\": [...]}";
        if (inputs == null || inputs.isEmpty()) {
            throw invalid("the request needs \"inputs\" with one tensor, e.g. " + example);
        }
        if (inputs.size() > 1) {
            throw invalid("model '" + model + " takes one input tensor, the request has " + inputs.size());
        }
        OipDtos.InputBody input = inputs.get(0);
        if (input == null) {
            throw invalid("inputs[0] is null; send " + example);
        }
        String name = input.name() == null ? "inputs[0]" : "input '" + OipController.abbreviate(input.name()) + "'";
        if (input.datatype() == null || !(input.datatype().equals("FP32") || input.datatype().equals("FP64"))) {
            throw invalid(name + " has datatype " + (input.datatype() == null ? "(none)" : "'"
                    + OipController.abbreviate(input.datatype()) + "'") + "; send FP32 (FP64 is accepted too)");
        }
        List<Long> shape = input.shape();
        if (shape == null || shape.size() != 2 || shape.get(0) == null || shape.get(1) == null) {
            throw invalid(name + " must have shape [B, " + features + "] (B rows of " + features + " features), got "
                    + shape);
        }
        long b = shape.get(0);
        long f = shape.get(1);
        if (f != features) {
            throw invalid(name + " has shape " + shape + ": " + f + " features per row; model '" + model
                    + " takes " + features);
        }
        if (b < 1) {
            throw invalid(name + " has shape " + shape + "; send at least one row");
        }
        if (b > maxRows) {
            throw ProblemException.limit(HttpStatus.BAD_REQUEST, "max-rows",
                    name + " has " + b + " rows, more than the " + maxRows + " allowed");
        }
        TensorData data = input.data();
        if (data == null) {
            throw invalid(name + " needs \"data\": an array of " + b * f + " numbers, flat or as " + b
                    + " arrays of " + f);
        }
        int rowsCount = (int) b;
        TensorData.Problem problem = data.problem;
        if (data.nested) {
            if (data.size != rowsCount) {
                throw invalid(name + " has shape " + shape + " but its nested data has " + data.size + " rows");
            }
            if (problem != null) {
                if (problem.kind() == TensorData.Kind.ROW) {
                    throw invalid(name + " data[" + problem.row() + "] must be an array of " + features
                            + " numbers, like every row");
                }
                throw notANumber(problem, name, "data[" + problem.row() + "][" + problem.column() + "]");
            }
        } else {
            if (data.size != b * f) {
                throw invalid(name + " has shape " + shape + " (" + b * f + " numbers) but its data has " + data.size);
            }
            if (problem != null) {
                throw notANumber(problem, name, "data[" + problem.row() + "]");
            }
        }
        // shape, size and every entry checked: the block holds exactly b rows of the model's width
        return new RowMatrix(data.values, rowsCount, features);
    }

    private static ProblemException notANumber(TensorData.Problem problem, String input, String where) {
        if (problem.kind() == TensorData.Kind.NON_FINITE) {
            return invalid(input + " " + where + " is not a finite number");
        }
        return invalid(input + " " + where + " is " + problem.kind().description + "; the data must be numbers");
    }

    private static String describe(Object value) {
        if (value instanceof String s) {
            return "the string \"" + OipController.abbreviate(s) + "\"";
        }
        return OipController.abbreviate(String.valueOf(value));
    }
}
