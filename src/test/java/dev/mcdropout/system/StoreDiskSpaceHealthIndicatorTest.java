package dev.mcdropout.system;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.Status;
import org.springframework.util.unit.DataSize;

/** The store's disk-space check reads the real file system of a real directory. */
class StoreDiskSpaceHealthIndicatorTest {

    @TempDir
    Path store;

    @Test
    void upWhileTheStoreHasTheMinimumFreeAndDownBelowIt() {
        Health enough = new StoreDiskSpaceHealthIndicator(store.toFile(), DataSize.ofBytes(1)).health();
        assertThat(enough.getStatus()).isEqualTo(Status.UP);
        long free = ((Number) enough.getDetails().get("free")).longValue();
        assertThat(free).isPositive();

        // More than any disk here has: readiness must go DOWN and say why.
        Health short_ = new StoreDiskSpaceHealthIndicator(store.toFile(), DataSize.ofTerabytes(1 << 20)).health();
        assertThat(short_.getStatus()).isEqualTo(Status.DOWN);
        assertThat(String.valueOf(short_.getDetails().get("reason"))).contains("mcdropout.store.min-free-space");
    }
}
