package dev.mcdropout.system;

import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.stereotype.Component;

/**
 * How many requests the API port is serving now, from the first filter ({@link RequestIdFilter}) until the answer
 * is written: the demand the service sees. Prediction batching asks it whether there is anyone to batch with
 * (docs/api.md, "Batching"): with no more requests in flight than cores, each has a core of its own.
 */
@Component
public class InFlightRequests {

    private final AtomicInteger count = new AtomicInteger();

    public int current() {
        return count.get();
    }

    void arrived() {
        count.incrementAndGet();
    }

    void answered() {
        count.decrementAndGet();
    }
}
