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

/**
 * The service in a JVM of its own (the test class path, {@code McDropoutApplication}), so that a test can do
 * to it what an orchestrator does: SIGKILL ({@code kill -9}) or SIGTERM. Output goes to a log file.
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

    /** Starts the service on {@code store} with free ports and {@code args} ({@code --key=value}) on top. */
    public static ChildService start(Path store, Path log, String... args) throws IOException {
        int port = freePort();
        int management = freePort();
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        List<String> command = new ArrayList<>(List.of(java, "-Xmx512m", "-XX:TieredStopAtLevel=1", "-cp", classPath,
                McDropoutApplication.class.getName(), "--server.port=" + port, "--management.server.port=" + management,
                "--mcdropout.store.dir=" + store, "--spring.jmx.enabled=false", "--mcdropout.predict.threads=1"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        return new ChildService(process, log, port, management);
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

    public URI uri(String path) {
        return URI.create("http://localhost:" + port + path);
    }

    public URI management(String path) {
        return URI.create("http://localhost:" + managementPort + path);
    }

    /** Waits until liveness answers 200 on the management port (the store is loaded by then). */
    public ChildService awaitLive(Duration timeout) throws Exception {
        return await("/actuator/health/liveness", timeout);
    }

    public ChildService awaitReady(Duration timeout) throws Exception {
        return await("/actuator/health/readiness", timeout);
    }

    private ChildService await(String probe, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new AssertionError("the service exited (" + process.exitValue() + "):\n" + tail(60));
            }
            try {
                HttpResponse<Void> r = http.send(HttpRequest.newBuilder(management(probe)).timeout(Duration.ofSeconds(5))
                        .build(), HttpResponse.BodyHandlers.discarding());
                if (r.statusCode() == 200) {
                    return this;
                }
            } catch (IOException e) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new AssertionError(probe + " not UP within " + timeout + ":\n" + tail(60));
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

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }
}
