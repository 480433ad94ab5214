package dev.mcdropout.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class DatasetTest {

    @Test
    void ofSortsClassNamesAndMapsEachLabelToItsIndex() {
        Dataset data = Dataset.of(new double[][] {{1}, {2}, {3}, {4}}, List.of("pear", "apple", "fig", "apple"));
        assertThat(data.classes()).containsExactly("apple", "fig", "pear");
        assertThat(data.labels()).containsExactly(2, 0, 1, 0);
        assertThat(data.classCounts()).containsExactly(2, 1, 1);
    }

    @Test
    void classOrderIsPlainStringOrder() {
        Dataset data = Dataset.of(new double[][] {{1}, {2}, {3}}, List.of("9", "10", "2"));
        assertThat(data.classes()).containsExactly("10", "2", "9");
    }

    @Test
    void rowsAreCopiedSoTheDatasetNeverChanges() {
        double[][] rows = {{1, 2}, {3, 4}};
        Dataset data = Dataset.of(rows, List.of("a", "b"));
        rows[0][0] = 99;
        data.features()[1][1] = 99;
        assertThat(data.row(0)).containsExactly(1, 2);
        assertThat(data.row(1)).containsExactly(3, 4);
    }

    @Test
    void raggedRowsAreRejectedNamingTheRow() {
        assertThatThrownBy(() -> Dataset.of(new double[][] {{1, 2}, {3, 4}, {5}}, List.of("a", "b", "a")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("row 2 has 1");
    }

    @Test
    void nonFiniteValuesAreRejectedNamingRowAndFeature() {
        assertThatThrownBy(() -> Dataset.of(new double[][] {{1, 2}, {3, Double.NaN}}, List.of("a", "b")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("row 1, feature 1").hasMessageContaining("finite");
        assertThatThrownBy(() -> Dataset.of(new double[][] {{Double.POSITIVE_INFINITY}, {3}}, List.of("a", "b")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row 0, feature 0");
    }

    @Test
    void aSingleClassIsRejected() {
        assertThatThrownBy(() -> Dataset.of(new double[][] {{1}, {2}}, List.of("a", "a")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least 2 distinct labels");
    }

    @Test
    void labelCountMustMatchRowCount() {
        assertThatThrownBy(() -> Dataset.of(new double[][] {{1}, {2}}, List.of("a", "b", "a")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 feature rows but 3 labels");
    }

    @Test
    void missingLabelsAndEmptyRowsAreRejected() {
        assertThatThrownBy(() -> Dataset.of(new double[][] {{1}, {2}}, Arrays.asList("a", null)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row 1 has no label");
        assertThatThrownBy(() -> Dataset.of(new double[][] {{}, {}}, List.of("a", "b")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one feature");
    }

    @Test
    void labelIndicesOutsideTheClassListAreRejected() {
        assertThatThrownBy(() -> new Dataset(new double[][] {{1}, {2}}, new int[] {0, 2}, List.of("a", "b")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("row 1 has label index 2");
        assertThatThrownBy(() -> new Dataset(new double[][] {{1}}, new int[] {0}, List.of("a", "a")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("distinct");
    }

    @Test
    void stratifiedSplitHoldsOutTheFractionOfEveryClassAndPartitionsTheRows() {
        Dataset data = Datasets.digits();
        Dataset.Split split = data.stratifiedSplit(0.2, 42);
        assertThat(split.train().size() + split.heldOut().size()).isEqualTo(data.size());
        assertThat(split.heldOut().size()).isEqualTo(Math.round(0.2 * data.size()));
        int[] all = data.classCounts();
        int[] held = split.heldOut().classCounts();
        for (int c = 0; c < all.length; c++) {
            assertThat((double) held[c]).isCloseTo(0.2 * all[c], org.assertj.core.data.Offset.offset(1.0));
        }
        Set<String> rows = new HashSet<>();
        for (Dataset part : List.of(split.train(), split.heldOut())) {
            for (int i = 0; i < part.size(); i++) {
                rows.add(Arrays.toString(part.row(i)) + "/" + part.label(i));
            }
        }
        Set<String> original = new HashSet<>();
        for (int i = 0; i < data.size(); i++) {
            original.add(Arrays.toString(data.row(i)) + "/" + data.label(i));
        }
        assertThat(rows).isEqualTo(original);
        assertThat(split.train().classes()).isEqualTo(data.classes());
    }

    @Test
    void stratifiedSplitIsAFunctionOfTheSeed() {
        Dataset data = Datasets.digits();
        assertThat(data.stratifiedSplit(0.2, 7)).isEqualTo(data.stratifiedSplit(0.2, 7));
        assertThat(data.stratifiedSplit(0.2, 7).heldOut()).isNotEqualTo(data.stratifiedSplit(0.2, 8).heldOut());
    }

    @Test
    void everyClassKeepsATrainingRowEvenWhenTiny() {
        List<String> labels = new ArrayList<>(List.of("rare"));
        IntStream.range(0, 9).forEach(i -> labels.add("common"));
        double[][] rows = IntStream.range(0, 10).mapToObj(i -> new double[] {i}).toArray(double[][]::new);
        Dataset.Split split = Dataset.of(rows, labels).stratifiedSplit(0.5, 1);
        assertThat(split.train().classCounts()[1]).isEqualTo(1);
        assertThat(split.heldOut().classCounts()[1]).isZero();
        assertThat(split.heldOut().size()).isEqualTo(5);
    }

    @Test
    void splitFractionMustBeStrictlyBetweenZeroAndOne() {
        Dataset data = Dataset.of(new double[][] {{1}, {2}}, List.of("a", "b"));
        assertThatThrownBy(() -> data.stratifiedSplit(0.0, 1)).hasMessageContaining("between 0 and 1");
        assertThatThrownBy(() -> data.stratifiedSplit(1.0, 1)).hasMessageContaining("between 0 and 1");
    }

    @Test
    void bundledDigitsHave1797RowsOf64PixelsInTenClasses() {
        Dataset digits = Datasets.digits();
        assertThat(digits.size()).isEqualTo(1797);
        assertThat(digits.featureCount()).isEqualTo(64);
        assertThat(digits.classes()).containsExactly("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
        assertThat(Arrays.stream(digits.classCounts()).boxed()).allSatisfy(n -> assertThat(n).isBetween(170, 190));
        for (int i = 0; i < digits.size(); i++) {
            assertThat(Arrays.stream(digits.row(i)).boxed()).allSatisfy(v -> assertThat(v).isBetween(0.0, 16.0));
        }
        assertThat(digits.row(0)).startsWith(0, 0, 5, 13, 9, 1);
        assertThat(digits.classes().get(digits.label(0))).isEqualTo("0");
    }
}
