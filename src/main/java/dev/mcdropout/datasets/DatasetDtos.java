package dev.mcdropout.datasets;

import io.swagger.v3.oas.annotations.media.Schema;
import java.util.List;

/** JSON shapes of the datasets API. */
public final class DatasetDtos {

    private DatasetDtos() {
    }

    @Schema(name = "DatasetRow", description = "One row of a bundled data set")
    public record DatasetRow(
            @Schema(description = "Row number in the data set, from 0", example = "0") int index,
            @Schema(description = "The row's class label", example = "0") String label,
            @Schema(description = "Feature values, as POST /predict takes them",
                    example = "[0,0,5,13,9,1,0,0,0,0,13,15,10,15,5,0,0,3,15,2,0,11,8,0,0,4,12,0,0,8,8,0,0,5,8,0,0,9,8,0,0,4,11,0,1,12,7,0,0,2,14,5,10,12,0,0,0,0,6,13,10,0,0,0]")
            double[] features) {
    }

    @Schema(name = "DatasetRows", description = "A page of rows of a bundled data set")
    public record DatasetRows(
            @Schema(example = "digits") String name,
            @Schema(description = "Rows in the whole data set", example = "1797") int totalRows,
            @Schema(description = "Features per row", example = "64") int features,
            @Schema(description = "Class labels of the data set", example = "[\"0\",\"1\",\"2\",\"3\",\"4\",\"5\",\"6\",\"7\",\"8\",\"9\"]")
            List<String> classes,
            @Schema(description = "Index of the first row returned", example = "0") int offset,
            List<DatasetRow> rows) {
    }
}
