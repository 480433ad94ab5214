package dev.mcdropout.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcdropout.system.ProblemException;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.util.unit.DataSize;

class CsvDatasetReaderTest {

    private final CsvDatasetReader reader = new CsvDatasetReader(
            new TrainingLimits(DataSize.ofMegabytes(1), 3, 4, 16384, 16, 10000));

    private CsvDatasetReader.Parsed read(String csv, String labelColumn) {
        return reader.read(new ByteArrayInputStream(csv.getBytes(StandardCharsets.UTF_8)), labelColumn);
    }

    @Test
    void readsFeaturesAndTheNamedLabelColumnWhereverItIs() {
        CsvDatasetReader.Parsed parsed = read("a, kind ,b\n1.5, x ,-2e3\n\n\"3\",\"y, z\",4\n", "kind");
        assertThat(parsed.featureNames()).containsExactly("a", "b");
        assertThat(parsed.labels()).containsExactly("x", "y, z");
        assertThat(parsed.features()).isDeepEqualTo(new double[][] {{1.5, -2000.0}, {3.0, 4.0}});
    }

    @Test
    void theLabelIsTheLastColumnByDefaultAndAByteOrderMarkIsIgnored() {
        CsvDatasetReader.Parsed parsed = read("\uFEFFp0,p1,digit\n0,1,7\n2,3,1\n", null);
        assertThat(parsed.featureNames()).containsExactly("p0", "p1");
        assertThat(parsed.labelColumn()).isEqualTo("digit");
        assertThat(parsed.labels()).isEqualTo(List.of("7", "1"));
    }

    @Test
    void onlyPlainFiniteDecimalsAreNumbers() {
        for (String cell : List.of("NaN", "Infinity", "-Infinity", "0x1p3", "1d", "1f", "", "1,5", "1e400")) {
            assertThatThrownBy(() -> read("a,label\n\"" + cell + "\",x\n", null)).as(cell)
                    .isInstanceOfSatisfying(ProblemException.class,
                            p -> assertThat(p.status()).isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT));
        }
    }

    @Test
    void moreRowsThanTheLimitIsA413NamingTheLimit() {
        assertThatThrownBy(() -> read("a,label\n1,x\n2,y\n3,x\n4,y\n", null))
                .isInstanceOfSatisfying(ProblemException.class, p -> {
                    assertThat(p.status()).isEqualTo(HttpStatus.CONTENT_TOO_LARGE);
                    assertThat(p.errors()).containsExactly("mcdropout.limits.max-training-rows");
                });
    }

    @Test
    void moreFeatureColumnsThanTheLimitIsA400NamingTheLimit() {
        assertThatThrownBy(() -> read("a,b,c,d,e,label\n1,2,3,4,5,x\n", null))
                .isInstanceOfSatisfying(ProblemException.class, p -> {
                    assertThat(p.status()).isEqualTo(HttpStatus.BAD_REQUEST);
                    assertThat(p.errors()).containsExactly("mcdropout.limits.max-training-features");
                });
    }

    @Test
    void brokenQuotingAndInvalidUtf8AreBadRequests() {
        assertThatThrownBy(() -> read("a,label\n\"1,x\n", null)).isInstanceOfSatisfying(ProblemException.class,
                p -> assertThat(p.status()).isEqualTo(HttpStatus.BAD_REQUEST));
        byte[] latin1 = "a,label\n1,caf\u00e9\n".getBytes(StandardCharsets.ISO_8859_1);
        assertThatThrownBy(() -> reader.read(new ByteArrayInputStream(latin1), null))
                .isInstanceOfSatisfying(ProblemException.class, p -> assertThat(p.getMessage()).contains("UTF-8"));
    }
}
