package dev.mcdropout.system;

import jakarta.servlet.http.HttpServletRequest;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.DisposableBean;
import org.springframework.stereotype.Component;

/**
 * Watches the connections of requests that compute for a while (predictions), so that their work stops when
 * the client goes away instead of running to the end for nobody. One daemon thread probes every watched
 * connection every {@link #INTERVAL_MS} ms ({@link ClientConnection}).
 */
@Component
public class ClientDisconnects implements DisposableBean {

    static final long INTERVAL_MS = 200;

    private static final Logger log = LoggerFactory.getLogger(ClientDisconnects.class);

    private final Set<ClientConnection> watched = ConcurrentHashMap.newKeySet();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "mcdropout-disconnect-watch");
        t.setDaemon(true);
        return t;
    });

    public ClientDisconnects() {
        timer.scheduleWithFixedDelay(this::probeAll, INTERVAL_MS, INTERVAL_MS, TimeUnit.MILLISECONDS);
    }

    /** A watch on the request's connection; close it before the response is written. */
    public Watch watch(HttpServletRequest request) {
        ClientConnection connection = ClientConnection.of(request);
        if (connection != ClientConnection.UNKNOWN) {
            watched.add(connection);
        }
        return new Watch(connection);
    }

    private void probeAll() {
        for (ClientConnection connection : watched) {
            try {
                if (connection.probe()) {
                    watched.remove(connection);
                }
            } catch (RuntimeException e) {
                log.debug("could not probe a client connection: {}", e.toString());
                watched.remove(connection);
            }
        }
    }

    @Override
    public void destroy() {
        timer.shutdownNow();
    }

    /** One request's watch: {@link #clientGone()} is cheap enough to ask between samples. */
    public final class Watch implements AutoCloseable {

        private final ClientConnection connection;

        private Watch(ClientConnection connection) {
            this.connection = connection;
        }

        public boolean clientGone() {
            return connection.closed();
        }

        @Override
        public void close() {
            watched.remove(connection);
            connection.release();
        }
    }
}
