package dev.mcdropout;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The service in a JVM of its own (the test class path, {@code McDropoutApplication}): for what a test cannot
 * set inside its own JVM (environment variables such as Kubernetes', a small heap) and for what an
 * orchestrator does to a process (SIGKILL, {@code kill -9}, or SIGTERM). The service listens on a free port,
 * its management endpoints (probes, metrics) on another; output is appended to a log file that failures quote.
 */
public final class ChildService implements AutoCloseable {

    private final Process process;
    private final Path log;
    private final int port;
    private final int managementPort;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private ChildService(Process process, Path log, int port, int managementPort) {
        this.process = process;
        this.log = log;
        this.port = port;
        this.managementPort = managementPort;
    }

    /**
     * Starts the service with {@code jvmOptions}, {@code environment} added to this JVM's, and
     * {@code arguments} after {@code --server.port}, {@code --management.server.port} (free ports) and
     * {@code --spring.jmx.enabled=false}.
     */
    public static ChildService start(Path log, List<String> jvmOptions, Map<String, String> environment,
                                     String... arguments) throws IOException {
        int port = freePort();
        int management = freePort();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>();
        command.add(java);
        command.addAll(jvmOptions);
        command.addAll(List.of("-Djava.awt.headless=true", "-cp", classPath, McDropoutApplication.class.getName(),
                "--server.port=" + port, "--management.server.port=" + management, "--spring.jmx.enabled=false"));
        command.addAll(List.of(arguments));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        builder.environment().putAll(environment);
        return new ChildService(builder.start(), log, port, management);
    }

    /** Starts the service on {@code store}, small and quick to start, with {@code args} ({@code --key=value}) on top. */
    public static ChildService start(Path store, Path log, String... args) throws IOException {
        List<String> arguments = new ArrayList<>(List.of("--mcdropout.store.dir=" + store,
                "--mcdropout.predict.threads=1"));
        arguments.addAll(List.of(args));
        return start(log, List.of("-Xmx512m", "-XX:TieredStopAtLevel=1"), Map.of(),
                arguments.toArray(String[]::new));
    }

    public int port() {
        return port;
    }

    public int managementPort() {
        return managementPort;
    }

    public Process process() {
        return process;
    }

    public URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + port + pathAndQuery);
    }

    public URI management(String path) {
        return URI.create("http://127.0.0.1:" + managementPort + path);
    }

    /** Waits until liveness answers 200 on the management port (the store is loaded by then). */
    public ChildService awaitLive(Duration timeout) throws Exception {
        awaitStatus("/actuator/health/liveness", 200, timeout);
        return this;
    }

    public ChildService awaitReady(Duration timeout) throws Exception {
        awaitStatus("/actuator/health/readiness", 200, timeout);
        return this;
    }

    /**
     * Waits until {@code path} answers {@code status} (on the management port for {@code /actuator} paths);
     * fails with the log if the process exits first.
     */
    public void awaitStatus(String path, int status, Duration timeout) throws Exception {
        URI target = path.startsWith("/actuator") ? management(path) : uri(path);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("the service exited (" + process.exitValue() + "):\n" + tail(60));
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(target).timeout(Duration.ofSeconds(5)).build(),
                        HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == status) {
                    return;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError("no " + status + " from " + path + " within " + timeout + ":\n" + tail(60));
    }

    /** Waits for the process to end on its own; its exit code. */
    public int awaitExit(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new AssertionError("the service did not exit within " + timeout + ": " + tail(60));
        }
        return process.exitValue();
    }

    /** SIGKILL: no shutdown hook, no flush; what is on disk is what a crash leaves. */
    public void kill9() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor();
    }

    /** SIGTERM, as docker stop and Kubernetes send it. */
    public void sigterm() {
        process.destroy();
    }

    public String log() throws IOException {
        return Files.readString(log);
    }

    public String tail(int lines) {
        try {
            List<String> all = Files.readAllLines(log);
            return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            process.destroyForcibly();
            process.waitFor();
        }
    }

    public static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
