package dev.mcdropout.datasets;

import dev.mcdropout.datasets.DatasetDtos.DatasetRow;
import dev.mcdropout.datasets.DatasetDtos.DatasetRows;
import dev.mcdropout.nn.Dataset;
import dev.mcdropout.nn.Datasets;
import dev.mcdropout.system.ProblemException;
import io.swagger.v3.oas.annotations.Operation;
import io.swagger.v3.oas.annotations.Parameter;
import io.swagger.v3.oas.annotations.media.Schema;
import io.swagger.v3.oas.annotations.responses.ApiResponse;
import io.swagger.v3.oas.annotations.tags.Tag;
import java.util.ArrayList;
import java.util.List;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * Rows of the data sets bundled with the service, so that a client (the web page's "Try it" view, a
 * smoke test) can send a real example to {@code POST /predict} without a copy of the data.
 */
@Tag(name = "datasets", description = "Rows of the data sets bundled with the service")
@RestController
public class DatasetsController {

    /** The most rows one request returns: enough to pick from, small enough to be cheap. */
    static final int MAX_LIMIT = 100;
    static final String DIGITS = "digits";

    private volatile Dataset digits;

    @Operation(operationId = "getDatasetRows", summary = "Rows of a bundled data set",
            description = """
                    Rows offset .. offset+limit-1 of a data set bundled with the service, each with its features (as \
                    POST /predict takes them) and its label. The one bundled data set is 'digits' (the UCI optical \
                    digits test set: 1,797 8x8 images, 64 pixel values 0..16, classes 0..9), on which the default \
                    model is trained at first start. limit is 1..100.""")
    @ApiResponse(responseCode = "200", description = "The rows")
    @ApiResponse(responseCode = "400", description = "offset or limit out of range")
    @ApiResponse(responseCode = "404", description = "No bundled data set of that name")
    @GetMapping(path = "/datasets/{name}/rows", produces = MediaType.APPLICATION_JSON_VALUE)
    public DatasetRows getDatasetRows(
            @Parameter(description = "Data set name; 'digits' is the one bundled", example = "digits") @PathVariable String name,
            @Parameter(description = "First row, from 0", example = "0", schema = @Schema(type = "integer", minimum = "0"))
            @RequestParam(defaultValue = "0") int offset,
            @Parameter(description = "Rows to return, 1 to 100", example = "20", schema = @Schema(type = "integer", minimum = "1", maximum = "100"))
            @RequestParam(defaultValue = "20") int limit) {
        if (!DIGITS.equals(name)) {
            String shown = name.length() > 40 ? name.substring(0, 40) + "..." : name;
            throw ProblemException.notFound("unknown-dataset", "Unknown data set",
                    "there is no bundled data set '" + shown + "'; the bundled one is 'digits'");
        }
        Dataset data = digits();
        if (limit < 1 || limit > MAX_LIMIT) {
            throw new ProblemException(HttpStatus.BAD_REQUEST, "invalid-parameter",
                    "Invalid parameter", "limit must be between 1 and " + MAX_LIMIT + ", got " + limit, List.of("limit"));
        }
        if (offset < 0 || offset >= data.size()) {
            throw new ProblemException(HttpStatus.BAD_REQUEST, "invalid-parameter",
                    "Invalid parameter", "offset must be between 0 and " + (data.size() - 1) + ", got " + offset,
                    List.of("offset"));
        }
        int end = Math.min(data.size(), offset + limit);
        List<DatasetRow> rows = new ArrayList<>(end - offset);
        for (int i = offset; i < end; i++) {
            rows.add(new DatasetRow(i, data.classes().get(data.label(i)), data.row(i)));
        }
        return new DatasetRows(DIGITS, data.size(), data.featureCount(), data.classes(), offset, rows);
    }

    /** Parsed once, on first use (about 1 MB); the bundled file never changes while the service runs. */
    private Dataset digits() {
        Dataset d = digits;
        if (d == null) {
            synchronized (this) {
                d = digits;
                if (d == null) {
                    d = Datasets.digits();
                    digits = d;
                }
            }
        }
        return d;
    }
}
