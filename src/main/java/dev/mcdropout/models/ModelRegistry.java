package dev.mcdropout.models;

import dev.mcdropout.nn.artifact.ArtifactLimitExceededException;
import dev.mcdropout.nn.artifact.InvalidArtifactException;
import dev.mcdropout.nn.artifact.ModelArtifact;
import dev.mcdropout.nn.metrics.EvaluationReport;
import dev.mcdropout.system.McDropoutMetrics;
import dev.mcdropout.system.ProblemException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * The models being served. Each model's active version is one reference in a concurrent map: a
 * prediction reads it once and keeps using that immutable {@link LoadedModel}, and activation replaces it
 * in one step, so readers never lock and never see a half-loaded model. Writers (import, activate, delete,
 * publish) take a per-model lock so that version numbers and the {@code active} pointer change in order.
 * Other processes sharing the store (replicas on one volume) are caught up with by {@link #rescan()}, which
 * {@code StoreRescanner} calls every {@code mcdropout.store.rescan-interval}.
 */
public class ModelRegistry {

    private static final Logger log = LoggerFactory.getLogger(ModelRegistry.class);
    private static final int CACHED_INACTIVE_VERSIONS = 4;
    /** Reports are stored as plain JSON of the engine's records; fields added later are ignored by older readers. */
    private static final JsonMapper REPORTS = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    private final ModelStore store;
    private final ArtifactCodec codec;
    private final McDropoutMetrics metrics;
    private final Map<String, LoadedModel> active = new ConcurrentHashMap<>();
    private final Map<String, ReentrantLock> locks = new ConcurrentHashMap<>();
    private final Map<String, Boolean> gauges = new ConcurrentHashMap<>();
    /** name:version pairs the rescan could not load, so that it does not retry (and log) every interval. */
    private final java.util.Set<String> unloadable = ConcurrentHashMap.newKeySet();
    /** Recently used non-active versions (model:3), so repeated pinned requests do not re-read zips. */
    private final Map<String, LoadedModel> inactiveCache = new LinkedHashMap<>(8, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, LoadedModel> eldest) {
            return size() > CACHED_INACTIVE_VERSIONS;
        }
    };

    /** Loads of versions that are not active (pinned predictions, GET of a version) running at once. */
    private final java.util.concurrent.Semaphore loads;
    private final int maxConcurrentLoads;
    private final java.time.Duration loadWait;
    /** One load per version at a time: callers asking for a version being loaded wait for that load. */
    private final Map<String, java.util.concurrent.CompletableFuture<LoadedModel>> loading = new ConcurrentHashMap<>();

    public ModelRegistry(ModelStore store, ArtifactCodec codec, McDropoutMetrics metrics) {
        this(store, codec, metrics, 2, java.time.Duration.ofSeconds(30));
    }

    /**
     * @param maxConcurrentLoads versions read from the store at once on demand ({@code mcdropout.predict.max-concurrent-loads})
     * @param loadWait           how long a caller waits for a load slot (or another caller's load of the same
     *                           version) before a 503 ({@code mcdropout.predict.queue-timeout})
     */
    public ModelRegistry(ModelStore store, ArtifactCodec codec, McDropoutMetrics metrics, int maxConcurrentLoads,
                         java.time.Duration loadWait) {
        this.store = store;
        this.codec = codec;
        this.metrics = metrics;
        this.maxConcurrentLoads = maxConcurrentLoads;
        this.loads = new java.util.concurrent.Semaphore(maxConcurrentLoads, true);
        this.loadWait = loadWait;
    }

    public ModelStore store() {
        return store;
    }

    /**
     * Loads the active version of every model in the store; a model whose artifact fails is skipped. A model
     * without an active pointer (a crash between storing its first version and activating it) gets its newest
     * loadable version activated, so a restart never leaves it unservable.
     */
    public void loadActiveModels() {
        for (String name : store.modelNames()) {
            OptionalInt version = store.activeVersion(name);
            if (version.isPresent() && store.exists(name, version.getAsInt())) {
                try {
                    swap(load(name, version.getAsInt()));
                    log.info("loaded model {} version {}", name, version.getAsInt());
                } catch (RuntimeException e) {
                    log.error("cannot load model {} version {}: {}", name, version.getAsInt(), e.getMessage());
                }
                continue;
            }
            List<Integer> versions = new ArrayList<>(store.versions(name));
            java.util.Collections.reverse(versions);
            for (int candidate : versions) {
                try {
                    LoadedModel loaded = load(name, candidate);
                    store.setActive(name, candidate);
                    swap(loaded);
                    log.warn("model {} had no usable active version; activated its newest version {}", name, candidate);
                    break;
                } catch (RuntimeException | IOException e) {
                    log.error("cannot load model {} version {}: {}", name, candidate, e.getMessage());
                }
            }
        }
    }

    /**
     * Catches up with other processes sharing the store (replicas on one volume): a model whose {@code active}
     * pointer names another version than the one served here gets that version loaded and swapped in, so a
     * model trained, imported or activated on one replica is served by all of them. Cached inactive versions
     * whose files are gone are forgotten. A model whose writer in this process is busy is left for the next
     * rescan; a version that fails to load is reported once and not retried until the pointer moves again.
     *
     * @return the models swapped
     */
    public int rescan() {
        int swapped = 0;
        for (String name : store.modelNames()) {
            OptionalInt pointer = store.activeVersion(name);
            LoadedModel current = active.get(name);
            if (pointer.isEmpty() || (current != null && current.version() == pointer.getAsInt())) {
                continue;
            }
            ReentrantLock lock = lock(name);
            if (!lock.tryLock()) {
                continue;
            }
            try {
                if (adoptPointer(name)) {
                    swapped++;
                }
            } finally {
                lock.unlock();
            }
        }
        synchronized (inactiveCache) {
            inactiveCache.values().removeIf(m -> !store.exists(m.name(), m.version()));
        }
        return swapped;
    }

    /** With the model's lock held: serves the version the store's pointer names, if it differs and loads. */
    private boolean adoptPointer(String name) {
        OptionalInt pointer = store.activeVersion(name);
        LoadedModel current = active.get(name);
        if (pointer.isEmpty() || (current != null && current.version() == pointer.getAsInt())) {
            return false;
        }
        int version = pointer.getAsInt();
        String key = name + ":" + version;
        if (unloadable.contains(key) || !store.exists(name, version)) {
            return false;
        }
        LoadedModel loaded;
        synchronized (inactiveCache) {
            loaded = inactiveCache.remove(key);
        }
        try {
            if (loaded == null) {
                loaded = load(name, version);
            }
        } catch (RuntimeException e) {
            unloadable.add(key);
            log.error("model {} version {} is active in the store but cannot be loaded here: {}", name, version,
                    e.getMessage());
            return false;
        }
        swap(loaded);
        metrics.recordReload(name);
        log.info("model {}: now serving version {} (the store's active pointer moved{})", name, version,
                current == null ? "" : ", was " + current.version());
        return true;
    }

    public boolean isEmpty() {
        return store.modelNames().isEmpty();
    }

    public boolean anyActive() {
        return !active.isEmpty();
    }

    /** Active version per model name. */
    public Map<String, Integer> activeVersions() {
        Map<String, Integer> versions = new java.util.TreeMap<>();
        active.forEach((name, model) -> versions.put(name, model.version()));
        return versions;
    }

    public Optional<LoadedModel> active(String name) {
        return Optional.ofNullable(active.get(name));
    }

    /**
     * The model to serve: {@code version == null} means the active one. 404 problems for unknown names,
     * versions, or a model without an active version.
     */
    public LoadedModel resolve(String name, Integer version) {
        ModelNames.require(name);
        LoadedModel current = active.get(name);
        if (version == null) {
            if (current != null) {
                return current;
            }
            if (store.versions(name).isEmpty()) {
                throw unknownModel(name);
            }
            throw ProblemException.notFound("no-active-version", "Model has no active version",
                    "model '" + name + "' has versions " + store.versions(name)
                            + " but none is active; activate one with POST /models/" + name + "/versions/{version}/activate");
        }
        ModelNames.requireVersion(version);
        if (current != null && current.version() == version) {
            return current;
        }
        String key = name + ":" + version;
        synchronized (inactiveCache) {
            LoadedModel cached = inactiveCache.get(key);
            if (cached != null) {
                return cached;
            }
        }
        requireVersionExists(name, version);
        LoadedModel loaded;
        try {
            loaded = loadBounded(name, version);
        } catch (UncheckedIOException e) {
            if (e.getCause() instanceof java.nio.file.NoSuchFileException) {
                // deleted between the existence check and the read
                throw ProblemException.notFound("unknown-version", "Unknown model version",
                        "model '" + name + "' has no version " + version);
            }
            throw e;
        } catch (InvalidArtifactException e) {
            throw new ProblemException(HttpStatus.INTERNAL_SERVER_ERROR, "stored-model-invalid",
                    "Stored model cannot be read", "model '" + name + "' version " + version
                    + " is stored but cannot be read: " + e.getMessage());
        }
        return loaded;
    }

    /**
     * A version that is not active, read from the store with at most {@code maxConcurrentLoads} reads at once
     * and one read per version (a second caller waits for the first's), then cached. A caller that cannot get a
     * slot within {@code loadWait} gets a 503: an unzip of a large model is memory and CPU that a flood of
     * requests pinned to cold versions must not multiply.
     */
    private LoadedModel loadBounded(String name, int version) {
        String key = name + ":" + version;
        java.util.concurrent.CompletableFuture<LoadedModel> mine = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CompletableFuture<LoadedModel> running = loading.putIfAbsent(key, mine);
        if (running != null) {
            try {
                return running.get(loadWait.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (java.util.concurrent.ExecutionException e) {
                if (e.getCause() instanceof RuntimeException r) {
                    throw r;
                }
                throw new IllegalStateException(e.getCause());
            } catch (java.util.concurrent.TimeoutException e) {
                throw loadsBusy();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw loadsBusy();
            }
        }
        try {
            boolean admitted;
            try {
                admitted = loads.tryAcquire(loadWait.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                admitted = false;
            }
            if (!admitted) {
                throw loadsBusy();
            }
            LoadedModel loaded;
            try {
                synchronized (inactiveCache) {
                    loaded = inactiveCache.get(key);
                }
                if (loaded == null) {
                    int inFlight = loadsInFlight.incrementAndGet();
                    peakLoads.accumulateAndGet(inFlight, Math::max);
                    try {
                        loaded = load(name, version);
                    } finally {
                        loadsInFlight.decrementAndGet();
                    }
                    loadCount.incrementAndGet();
                    metrics.recordLoad(name);
                    synchronized (inactiveCache) {
                        inactiveCache.put(key, loaded);
                    }
                }
            } finally {
                loads.release();
            }
            mine.complete(loaded);
            return loaded;
        } catch (RuntimeException | Error e) {
            mine.completeExceptionally(e);
            throw e;
        } finally {
            loading.remove(key, mine);
        }
    }

    private ProblemException loadsBusy() {
        return new ProblemException(HttpStatus.SERVICE_UNAVAILABLE, "busy", "Service busy",
                maxConcurrentLoads + " model versions are being loaded; "
                        + "retry shortly (mcdropout.predict.max-concurrent-loads)").retryAfter(java.time.Duration.ofSeconds(1));
    }

    /** Versions read from the store on demand since start (for tests and diagnostics). */
    public long onDemandLoads() {
        return loadCount.get();
    }

    /** Most on-demand loads that ran at once since start (for tests and diagnostics). */
    public int peakConcurrentLoads() {
        return peakLoads.get();
    }

    private final java.util.concurrent.atomic.AtomicLong loadCount = new java.util.concurrent.atomic.AtomicLong();
    private final java.util.concurrent.atomic.AtomicInteger loadsInFlight = new java.util.concurrent.atomic.AtomicInteger();
    private final java.util.concurrent.atomic.AtomicInteger peakLoads = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * Imports a zip streamed from a client as the model's next version: the bytes go to a temp file in the
     * store and are validated by the artifact reader, and only then is the model's lock taken for the short step
     * that makes the file a version. A slow uploader therefore holds no lock: activations, deletions and
     * training jobs publishing into the same model go on while the upload trickles in. The first version of a
     * model is activated at once, so a new model can be used straight away.
     */
    public LoadedModel importArtifact(String name, InputStream body) throws IOException {
        ModelNames.require(name);
        Path temp = store.newTempFile(name);
        boolean committed = false;
        try {
            try (OutputStream out = Files.newOutputStream(temp)) {
                body.transferTo(out);
            }
            if (Files.size(temp) == 0) {
                throw ProblemException.badRequest("empty-artifact", "Empty artifact",
                        "the request body is empty; send the model zip as an application/zip body");
            }
            ModelArtifact artifact;
            try (InputStream in = Files.newInputStream(temp)) {
                artifact = codec.read(in);
            } catch (ArtifactLimitExceededException e) {
                throw new ProblemException(HttpStatus.CONTENT_TOO_LARGE, "artifact-limit-exceeded",
                        "Artifact exceeds a limit", "the upload exceeds what this service accepts: "
                        + e.getMessage(), List.of("mcdropout.limits.max-artifact-body"));
            } catch (InvalidArtifactException e) {
                throw ProblemException.unprocessable("invalid-artifact", "Invalid model artifact",
                        "the upload is not a valid model artifact: " + e.getMessage());
            }
            boolean[] renamed = {false};
            try {
                return locked(name, () -> {
                    int version = store.commit(name, temp);
                    renamed[0] = true;
                    LoadedModel loaded = new LoadedModel(name, version, artifact, store.sha256(name, version),
                            store.size(name, version));
                    // Checked and set under the store's lock: of two replicas importing a new model's first
                    // versions at once, one activates and the other's rescan follows the pointer.
                    if (store.setActiveIfAbsent(name, version) == version) {
                        swap(loaded);
                    }
                    log.info("imported model {} version {}", name, version);
                    return loaded;
                });
            } finally {
                committed = renamed[0];
            }
        } finally {
            if (!committed) {
                store.discard(temp);
            }
        }
    }

    /** Saves an artifact made in this process (startup training, later training jobs) as the next version. */
    public LoadedModel publish(String name, ModelArtifact artifact, boolean activate) throws IOException {
        return publish(name, artifact, activate, null);
    }

    /**
     * As {@link #publish(String, ModelArtifact, boolean)}, with the version's evaluation report (or null) written
     * beside it before the version is activated or returned: whoever sees the version sees its report.
     */
    public LoadedModel publish(String name, ModelArtifact artifact, boolean activate, EvaluationReport report)
            throws IOException {
        return publish(name, artifact, activate, report, null);
    }

    /**
     * As {@link #publish(String, ModelArtifact, boolean, EvaluationReport)}, by training job {@code trainingJob}:
     * the version records the job's id before it appears ({@link ModelStore#commit(String, Path, String)}), so
     * after a crash the job's outcome can be read from the store ({@link ModelStore#versionMadeBy}).
     */
    public LoadedModel publish(String name, ModelArtifact artifact, boolean activate, EvaluationReport report,
                               String trainingJob) throws IOException {
        byte[] reportJson = report == null ? null : REPORTS.writeValueAsBytes(report);
        return addVersion(name, trainingJob, temp -> {
            try (OutputStream out = Files.newOutputStream(temp)) {
                codec.write(artifact, out);
            }
            // Read back what was written before it becomes a version: what is served is what is stored.
            try (InputStream in = Files.newInputStream(temp)) {
                codec.read(in);
            }
            return artifact;
        }, (version, written) -> {
            LoadedModel loaded = load(name, version);
            if (reportJson != null) {
                store.writeReport(name, version, reportJson);
            }
            if (activate) {
                store.setActive(name, version);
                swap(loaded);
            }
            return loaded;
        });
    }

    /** Makes a stored version active: the pointer file is rewritten atomically, then the reference swapped. */
    public LoadedModel activate(String name, int version) {
        return uncheckedLocked(name, () -> {
            requireVersionExists(name, version);
            LoadedModel current = active.get(name);
            if (current != null && current.version() == version) {
                return current;
            }
            LoadedModel loaded = resolve(name, version);
            store.setActive(name, version);
            swap(loaded);
            forgetInactive(name, version);
            log.info("activated model {} version {}", name, version);
            return loaded;
        });
    }

    /** Deletes a version that is not active (409 otherwise). */
    public void delete(String name, int version) {
        uncheckedLocked(name, () -> {
            requireVersionExists(name, version);
            if (!store.deleteUnlessActive(name, version)) {
                throw ProblemException.conflict("version-active", "Version is active",
                        "model '" + name + "' version " + version + " is active and cannot be deleted; "
                                + "activate another version first");
            }
            forgetInactive(name, version);
            log.info("deleted model {} version {}", name, version);
            return null;
        });
    }

    /** A step of a store write; the disk may fail. */
    @FunctionalInterface
    private interface StoreStep<T> {
        T run() throws IOException;
    }

    /** Writes a candidate version into a temp file and returns what it holds, once it is known to be valid. */
    @FunctionalInterface
    private interface TempWrite {
        ModelArtifact write(Path temp) throws IOException;
    }

    /** What follows once the temp file has become {@code version}. */
    @FunctionalInterface
    private interface Committed {
        LoadedModel apply(int version, ModelArtifact artifact) throws IOException;
    }

    /**
     * Writers of one model run one at a time, so version numbers and the {@code active} pointer change in order.
     */
    private <T> T locked(String name, StoreStep<T> step) throws IOException {
        ModelNames.require(name);
        ReentrantLock lock = lock(name);
        lock.lock();
        try {
            return step.run();
        } finally {
            lock.unlock();
        }
    }

    private <T> T uncheckedLocked(String name, StoreStep<T> step) {
        try {
            return locked(name, step);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Adds the next version of a model through a temp file in the store: only a file that was written and read
     * back whole is committed (atomically renamed) into a version; on any failure the temp file is removed.
     */
    private LoadedModel addVersion(String name, String trainingJob, TempWrite write, Committed committed)
            throws IOException {
        return locked(name, () -> {
            Path temp = store.newTempFile(name);
            boolean renamed = false;
            try {
                ModelArtifact artifact = write.write(temp);
                int version = store.commit(name, temp, trainingJob);
                renamed = true;
                return committed.apply(version, artifact);
            } finally {
                if (!renamed) {
                    store.discard(temp);
                }
            }
        });
    }

    private void forgetInactive(String name, int version) {
        synchronized (inactiveCache) {
            inactiveCache.remove(name + ":" + version);
        }
    }

    /** Stored versions, or a 404 problem for an unknown model. */
    public List<Integer> versions(String name) {
        ModelNames.require(name);
        List<Integer> versions = store.versions(name);
        if (versions.isEmpty()) {
            throw unknownModel(name);
        }
        return new ArrayList<>(versions);
    }

    /**
     * The evaluation report stored with a version (training jobs write one for their validation split); empty
     * for versions without one, such as imported ones or those stored before reports existed, and for a report
     * that cannot be read (logged: the version itself stays usable).
     */
    public Optional<EvaluationReport> evaluation(String name, int version) {
        requireVersionExists(name, version);
        try {
            Optional<byte[]> json = store.readReport(name, version);
            return json.map(bytes -> REPORTS.readValue(bytes, EvaluationReport.class));
        } catch (IOException | JacksonException e) {
            log.warn("ignoring unreadable evaluation report of model {} version {}: {}", name, version, e.toString());
            return Optional.empty();
        }
    }

    public InputStream openArtifact(String name, int version) throws IOException {
        requireVersionExists(name, version);
        return store.open(name, version);
    }

    private void requireVersionExists(String name, int version) {
        ModelNames.require(name);
        ModelNames.requireVersion(version);
        if (!store.exists(name, version)) {
            List<Integer> versions = store.versions(name);
            if (versions.isEmpty()) {
                throw unknownModel(name);
            }
            throw ProblemException.notFound("unknown-version", "Unknown model version",
                    "model '" + name + "' has no version " + version + "; it has versions " + versions);
        }
    }

    private static ProblemException unknownModel(String name) {
        return ProblemException.notFound("unknown-model", "Unknown model",
                "there is no model named '" + name + "'; GET /models lists the models");
    }

    private LoadedModel load(String name, int version) {
        try {
            ModelArtifact artifact;
            try (InputStream in = store.open(name, version)) {
                artifact = codec.read(in);
            }
            return new LoadedModel(name, version, artifact, store.sha256(name, version), store.size(name, version));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void swap(LoadedModel model) {
        active.put(model.name(), model);
        gauges.computeIfAbsent(model.name(), n -> {
            Supplier<Number> version = () -> {
                LoadedModel m = active.get(n);
                return m == null ? 0 : m.version();
            };
            metrics.activeVersionGauge(n, version);
            return Boolean.TRUE;
        });
    }

    private ReentrantLock lock(String name) {
        return locks.computeIfAbsent(name, n -> new ReentrantLock());
    }
}
