package dev.mcdropout.system;

import java.io.File;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.health.contributor.AbstractHealthIndicator;
import org.springframework.boot.health.contributor.Health;
import org.springframework.stereotype.Component;
import org.springframework.util.unit.DataSize;

/**
 * Readiness is DOWN while the model store's file system has less than {@code mcdropout.store.min-free-space}
 * free: new versions, training results and job records would no longer fit, and a replica that cannot write
 * should not take traffic that writes. Registered as {@code storeDiskSpace} in the readiness group.
 */
@Component("storeDiskSpace")
public class StoreDiskSpaceHealthIndicator extends AbstractHealthIndicator {

    private final File store;
    private final DataSize threshold;

    @Autowired
    public StoreDiskSpaceHealthIndicator(McDropoutProperties properties) {
        this(properties.store().dir().toFile(), properties.store().minFreeSpace());
    }

    StoreDiskSpaceHealthIndicator(File store, DataSize threshold) {
        super("store disk space check failed");
        this.store = store;
        this.threshold = threshold;
    }

    @Override
    protected void doHealthCheck(Health.Builder builder) {
        long free = store.getUsableSpace();
        (free >= threshold.toBytes() ? builder.up() : builder.down())
                .withDetail("free", free)
                .withDetail("threshold", threshold.toBytes());
        if (free < threshold.toBytes()) {
            builder.withDetail("reason", "the model store's file system has " + free + " bytes free, less than "
                    + "mcdropout.store.min-free-space (" + threshold.toBytes() + ")");
        }
    }
}
