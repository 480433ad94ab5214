package dev.mcdropout.nn;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.atomic.AtomicLong;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Native activation buffers kept between requests, up to a byte bound. A fresh buffer of tens of megabytes
 * costs an allocation plus a page fault per 4 KiB on first write; a request that reuses one pays neither.
 * A buffer is lent to one request at a time, which overwrites its contents before reading them, and is given
 * back only when nothing can write into it any more.
 */
final class NativeBufferPool {
    private final long maxPooledBytes;
    private final Map<String, ConcurrentLinkedDeque<INDArray>> free = new ConcurrentHashMap<>();
    private final AtomicLong pooledBytes = new AtomicLong();
    private final AtomicLong lentBytes = new AtomicLong();
    private final AtomicLong peakLentBytes = new AtomicLong();

    NativeBufferPool(long maxPooledBytes) {
        this.maxPooledBytes = maxPooledBytes;
    }

    INDArray borrow(DataType type, long rows, long columns) {
        var queue = free.get(key(type, rows, columns));
        INDArray buffer = queue == null ? null : queue.pollFirst();
        if (buffer != null) {
            pooledBytes.addAndGet(-bytes(buffer));
        } else {
            buffer = Nd4j.createUninitialized(type, new long[] {rows, columns}, 'c');
        }
        long lent = lentBytes.addAndGet(bytes(buffer));
        peakLentBytes.accumulateAndGet(lent, Math::max);
        return buffer;
    }

    void giveBack(INDArray buffer) {
        long size = bytes(buffer);
        lentBytes.addAndGet(-size);
        if (pooledBytes.addAndGet(size) > maxPooledBytes) {
            pooledBytes.addAndGet(-size);
            return;
        }
        free.computeIfAbsent(key(buffer.dataType(), buffer.rows(), buffer.columns()),
                k -> new ConcurrentLinkedDeque<>()).addFirst(buffer);
    }

    /** Bytes lent out now, over all requests. */
    long lentBytes() {
        return lentBytes.get();
    }

    /** The most bytes ever lent out at once since the last {@link #resetPeak()}. */
    long peakLentBytes() {
        return peakLentBytes.get();
    }

    void resetPeak() {
        peakLentBytes.set(lentBytes.get());
    }

    private static long bytes(INDArray a) {
        return a.length() * a.dataType().width();
    }

    private static String key(DataType type, long rows, long columns) {
        return type + ":" + rows + "x" + columns;
    }
}
