package dev.mcdropout.system;

import jakarta.servlet.http.HttpServletRequest;
import org.apache.coyote.ActionCode;
import org.apache.coyote.Request;

/**
 * Whether the client of a request still being worked on is connected. A servlet hears of a closed connection
 * only when it reads or writes, and a prediction does neither while it computes, so {@link ClientDisconnects}
 * asks Tomcat from another thread, a few times a second, for a non-blocking read on the socket.
 *
 * <p>How that read is told apart ({@code Http11InputBuffer.available(true)}, Tomcat 11): once the body has
 * been read to its end, a closed socket makes the read fail, which Tomcat reports as 1 byte available, on
 * every call; bytes of a pipelined next request are buffered by the first call (and kept for that request),
 * after which a second call reports 0. So the connection counts as closed when two probes in a row both report
 * data. A request whose body is not read to the end is never judged (it might just have bytes left).
 */
public final class ClientConnection {

    /** Request attribute under which {@link WebConfig}'s valve leaves Tomcat's own request. */
    static final String COYOTE_REQUEST = ClientConnection.class.getName() + ".coyote";

    /** For requests not served by Tomcat over HTTP/1.x (tests calling services directly): never closed. */
    static final ClientConnection UNKNOWN = new ClientConnection(null);

    private final Request coyote;
    private final Object lock = new Object();
    private volatile boolean closed;
    private boolean released;

    private ClientConnection(Request coyote) {
        this.coyote = coyote;
    }

    static ClientConnection of(HttpServletRequest request) {
        Object coyote = request == null ? null : request.getAttribute(COYOTE_REQUEST);
        String protocol = request == null ? null : request.getProtocol();
        if (coyote instanceof Request r && ("HTTP/1.1".equals(protocol) || "HTTP/1.0".equals(protocol))) {
            return new ClientConnection(r);
        }
        return UNKNOWN;
    }

    /** True once a probe found the client gone; stays true. */
    public boolean closed() {
        return closed;
    }

    /**
     * Probes the socket without blocking. Runs on the watcher's thread while the request's own thread computes;
     * never after {@link #release()}, which the request's thread calls before it writes the response.
     */
    boolean probe() {
        if (coyote == null) {
            return false;
        }
        synchronized (lock) {
            if (released || closed) {
                return closed;
            }
            if (!coyote.isFinished()) {
                return false;
            }
            coyote.action(ActionCode.AVAILABLE, Boolean.TRUE);
            if (coyote.getAvailable() > 0) {
                coyote.action(ActionCode.AVAILABLE, Boolean.TRUE);
                closed = coyote.getAvailable() > 0;
            }
            return closed;
        }
    }

    /** No probe touches the connection after this returns. */
    void release() {
        synchronized (lock) {
            released = true;
        }
    }
}
