package dev.mcdropout.models;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileLock;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Model zips on disk: {@code {root}/{name}/{version}.zip}, an {@code active} file holding the active
 * version, and {@code last-version} holding the highest version ever assigned so that numbers are never
 * reused after a delete.
 *
 * <p>Every write goes to a temp file in the same directory and is fsynced; the directory is fsynced after it
 * becomes visible: after a crash a version is either complete or absent, and leftover temp files are removed
 * at a later start. Only stale ones: a temp file last written more than {@code staleTempAge} ago
 * ({@code mcdropout.store.stale-temp-age}). In a store shared by replicas, a young temp file may be another
 * live process's upload in progress (its bytes still arriving, or being validated before it becomes a version),
 * and deleting it would fail that upload; an upload's temp file is written to as its bytes arrive, so only a
 * writer that is gone, or one stalled far longer than any connection timeout, leaves one untouched that long. Names are validated against {@link ModelNames#REGEX} before any path is built, and every
 * resolved path is checked to stay under the root.
 *
 * <p>Several processes may share one store (replicas on a ReadWriteMany volume). A version file is created
 * only if absent: the complete temp file is hard-linked to {@code {version}.zip}, which fails if that number
 * exists, so a committed version is never replaced. Allocating the number, the link and {@code last-version}
 * happen under an exclusive lock on {@code {root}/.locks/{name}} (a POSIX record lock, which NFSv4 supports),
 * so processes take numbers in turn and never reuse a deleted one; the link alone would still keep two
 * writers from overwriting each other should the lock be unavailable. In one JVM, {@link ModelRegistry}
 * serialises writers per model, and a JVM-wide lock per lock file keeps two stores on one directory (two
 * applications in one test JVM) in turn as well.
 */
public final class ModelStore {

    private static final Logger log = LoggerFactory.getLogger(ModelStore.class);
    private static final Pattern VERSION_FILE = Pattern.compile("([1-9][0-9]{0,8})\\.zip");
    private static final String TEMP_PREFIX = ".tmp-";
    private static final String ACTIVE = "active";
    private static final String LAST_VERSION = "last-version";
    private static final String LOCKS = ".locks";
    /** In-JVM guard per lock file: a second {@code FileChannel.lock} on a file this JVM holds would throw. */
    private static final Map<Path, ReentrantLock> JVM_LOCKS = new ConcurrentHashMap<>();
    /** A version's evaluation report, beside its zip; versions stored before reports existed have none. */
    private static final String REPORT_SUFFIX = ".evaluation.json";
    /** The id of the training job that made a version, beside its zip; imported versions have none. */
    private static final String ORIGIN_SUFFIX = ".job";

    /** Default of {@code mcdropout.store.stale-temp-age}. */
    public static final java.time.Duration DEFAULT_STALE_TEMP_AGE = java.time.Duration.ofHours(1);

    private final Path root;
    private final java.time.Duration staleTempAge;

    public ModelStore(Path root) {
        this(root, DEFAULT_STALE_TEMP_AGE);
    }

    /** {@code staleTempAge}: how long a temp file must have gone unwritten before a start-up removes it. */
    public ModelStore(Path root, java.time.Duration staleTempAge) {
        if (staleTempAge.isNegative() || staleTempAge.isZero()) {
            throw new IllegalArgumentException("staleTempAge must be positive, got " + staleTempAge);
        }
        this.staleTempAge = staleTempAge;
        try {
            Files.createDirectories(root);
            this.root = root.toRealPath();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create the model store at " + root, e);
        }
        removeLeftovers();
    }

    public Path root() {
        return root;
    }

    /** Names of the models that have at least one version, sorted. */
    public List<String> modelNames() {
        List<String> names = new ArrayList<>();
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, Files::isDirectory)) {
            for (Path dir : dirs) {
                String name = dir.getFileName().toString();
                if (ModelNames.isValid(name) && !versions(name).isEmpty()) {
                    names.add(name);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        names.sort(null);
        return names;
    }

    /** Versions present on disk, ascending; empty for an unknown model. */
    public List<Integer> versions(String name) {
        Path dir = modelDir(name);
        List<Integer> versions = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return versions;
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.zip")) {
            for (Path file : files) {
                Matcher m = VERSION_FILE.matcher(file.getFileName().toString());
                if (m.matches() && Files.isRegularFile(file)) {
                    versions.add(Integer.parseInt(m.group(1)));
                }
            }
        } catch (NoSuchFileException e) {
            return versions;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        versions.sort(null);
        return versions;
    }

    public boolean exists(String name, int version) {
        return Files.isRegularFile(versionFile(name, version));
    }

    public OptionalInt activeVersion(String name) {
        Path file = modelDir(name).resolve(ACTIVE);
        try {
            String text = Files.readString(file, StandardCharsets.US_ASCII).trim();
            return OptionalInt.of(Integer.parseInt(text));
        } catch (NoSuchFileException e) {
            return OptionalInt.empty();
        } catch (IOException | NumberFormatException e) {
            log.warn("ignoring unreadable active pointer {}: {}", file, e.toString());
            return OptionalInt.empty();
        }
    }

    public InputStream open(String name, int version) throws IOException {
        return Files.newInputStream(versionFile(name, version));
    }

    public long size(String name, int version) throws IOException {
        return Files.size(versionFile(name, version));
    }

    public String sha256(String name, int version) throws IOException {
        MessageDigest digest = sha256();
        try (InputStream in = new DigestInputStream(open(name, version), digest)) {
            in.transferTo(OutputStream.nullOutputStream());
        }
        return HexFormat.of().formatHex(digest.digest());
    }

    /**
     * A new empty temp file in the model's directory, for a version being written. Created here, not by its
     * first write: {@link #discard} removes a model directory it leaves empty, and a directory holding a temp
     * file is never empty. Should a discard remove the directory between its creation and the file's, it is
     * created again.
     */
    public Path newTempFile(String name) throws IOException {
        Path dir = modelDir(name);
        Path temp = checkInside(dir.resolve(TEMP_PREFIX + UUID.randomUUID() + ".part"));
        for (int attempt = 1; ; attempt++) {
            Files.createDirectories(dir);
            try {
                return Files.createFile(temp);
            } catch (NoSuchFileException e) {
                if (attempt == 5) {
                    throw e;
                }
            }
        }
    }

    /**
     * Makes a fully written temp file the model's next version and returns that version. The temp file
     * must come from {@link #newTempFile(String)} for the same name. Never replaces an existing version, even
     * one committed by another process on the same directory.
     */
    public int commit(String name, Path temp) throws IOException {
        return commit(name, temp, null);
    }

    /**
     * As {@link #commit(String, Path)}, recording that training job {@code trainingJob} (null: none, an import)
     * made the version: {@code {version}.job} holds the job's id and is written, fsynced, before the version
     * file appears, so a version a job published always names its job, even when the process dies the instant
     * after (a restart then reports the job SUCCEEDED rather than interrupted, see {@link #versionMadeBy}). A
     * {@code .job} file without its version (the process died between the two) names nothing: it is read only
     * beside an existing version and is replaced or removed by the next commit of that number.
     */
    public int commit(String name, Path temp, String trainingJob) throws IOException {
        Path dir = modelDir(name);
        if (!temp.getParent().equals(dir) || !temp.getFileName().toString().startsWith(TEMP_PREFIX)) {
            throw new IllegalArgumentException("not a temp file of model " + name);
        }
        fsync(temp);
        return withStoreLock(name, () -> {
            int version = nextVersion(name);
            while (true) {
                Path target = versionFile(name, version);
                if (Files.exists(target)) {
                    version = Math.addExact(version, 1);
                    ModelNames.requireVersion(version);
                    continue;
                }
                // Under the store lock the number is ours: its origin first, so that the version never exists
                // without it (a leftover of an earlier attempt that died before its link is replaced or removed).
                Path origin = originFile(name, version);
                if (trainingJob == null) {
                    Files.deleteIfExists(origin);
                } else {
                    writeAtomically(origin, trainingJob);
                }
                try {
                    // link(2) creates the name only if it is absent: create-if-absent, atomic, and the file is
                    // complete the moment it appears.
                    Files.createLink(target, temp);
                    Files.delete(temp);
                    break;
                } catch (FileAlreadyExistsException e) {
                    // a writer that did not take the lock got there first; take the next number
                } catch (UnsupportedOperationException | FileSystemException e) {
                    // A file system without hard links: the lock alone keeps writers apart, and the number is
                    // checked to be free under it before the rename.
                    if (!Files.exists(target)) {
                        move(temp, target);
                        break;
                    }
                }
                version = Math.addExact(version, 1);
                ModelNames.requireVersion(version);
            }
            fsyncDirectory(dir);
            // A crash between the link and this write leaves last-version behind, but the version file itself
            // counts in nextVersion, so the number is not reused.
            writeAtomically(dir.resolve(LAST_VERSION), Integer.toString(version));
            return version;
        });
    }

    public void discard(Path temp) {
        try {
            Files.deleteIfExists(temp);
            Path dir = temp.getParent();
            // A model that never got a version leaves no directory behind.
            try (DirectoryStream<Path> rest = Files.newDirectoryStream(dir)) {
                if (!rest.iterator().hasNext()) {
                    Files.deleteIfExists(dir);
                }
            }
        } catch (IOException e) {
            log.warn("could not remove temp file {}: {}", temp, e.toString());
        }
    }

    public void setActive(String name, int version) throws IOException {
        withStoreLock(name, () -> {
            if (!exists(name, version)) {
                throw new NoSuchFileException(versionFile(name, version).toString());
            }
            writeAtomically(modelDir(name).resolve(ACTIVE), Integer.toString(version));
            return null;
        });
    }

    /**
     * Points {@code active} at {@code version} unless a stored version is already active (set by this process
     * or by another one on the same store); returns the version that is active afterwards.
     */
    public int setActiveIfAbsent(String name, int version) throws IOException {
        return withStoreLock(name, () -> {
            OptionalInt current = activeVersion(name);
            if (current.isPresent() && exists(name, current.getAsInt())) {
                return current.getAsInt();
            }
            if (!exists(name, version)) {
                throw new NoSuchFileException(versionFile(name, version).toString());
            }
            writeAtomically(modelDir(name).resolve(ACTIVE), Integer.toString(version));
            return version;
        });
    }

    /**
     * Deletes a version unless it is the active one, checked under the store lock so that another process
     * cannot activate it in between; false if it is active.
     */
    public boolean deleteUnlessActive(String name, int version) throws IOException {
        return withStoreLock(name, () -> {
            OptionalInt current = activeVersion(name);
            if (current.isPresent() && current.getAsInt() == version) {
                return false;
            }
            Files.deleteIfExists(reportFile(name, version));
            Files.deleteIfExists(originFile(name, version));
            Files.deleteIfExists(versionFile(name, version));
            fsyncDirectory(modelDir(name));
            return true;
        });
    }

    /** Writes (atomically, fsynced) the evaluation report of a stored version. */
    public void writeReport(String name, int version, byte[] json) throws IOException {
        if (!exists(name, version)) {
            throw new NoSuchFileException(versionFile(name, version).toString());
        }
        writeAtomically(reportFile(name, version), json);
    }

    /** The evaluation report stored beside a version, if it has one. */
    public java.util.Optional<byte[]> readReport(String name, int version) throws IOException {
        try {
            return java.util.Optional.of(Files.readAllBytes(reportFile(name, version)));
        } catch (NoSuchFileException e) {
            return java.util.Optional.empty();
        }
    }

    public void delete(String name, int version) throws IOException {
        withStoreLock(name, () -> {
            // the report first: a crash in between leaves a version without a report, never a report without one
            Files.deleteIfExists(reportFile(name, version));
            Files.deleteIfExists(originFile(name, version));
            Files.deleteIfExists(versionFile(name, version));
            fsyncDirectory(modelDir(name));
            return null;
        });
    }

    /** A step that runs while this process holds the model's store lock. */
    @FunctionalInterface
    private interface Locked<T> {
        T run() throws IOException;
    }

    /**
     * Runs {@code step} holding the model's lock file exclusively: writers in other processes on the same
     * directory wait. The lock file lives outside the model directory, so a model that never got a version
     * still leaves no directory behind.
     */
    private <T> T withStoreLock(String name, Locked<T> step) throws IOException {
        Path locks = root.resolve(LOCKS);
        Files.createDirectories(locks);
        Path file = checkInside(locks.resolve(ModelNames.require(name)));
        ReentrantLock jvmLock = JVM_LOCKS.computeIfAbsent(file, f -> new ReentrantLock());
        jvmLock.lock();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = channel.lock()) {
            return step.run();
        } finally {
            jvmLock.unlock();
        }
    }

    private int nextVersion(String name) throws IOException {
        int max = versions(name).stream().mapToInt(Integer::intValue).max().orElse(0);
        Path last = modelDir(name).resolve(LAST_VERSION);
        try {
            max = Math.max(max, Integer.parseInt(Files.readString(last, StandardCharsets.US_ASCII).trim()));
        } catch (NoSuchFileException e) {
            // first version of this model
        } catch (NumberFormatException e) {
            log.warn("ignoring unreadable {}", last);
        }
        return Math.addExact(max, 1);
    }

    Path modelDir(String name) {
        return checkInside(root.resolve(ModelNames.require(name)));
    }

    Path versionFile(String name, int version) {
        ModelNames.requireVersion(version);
        return checkInside(modelDir(name).resolve(version + ".zip"));
    }

    /**
     * The stored version that training job {@code jobId} published, if any: the newest version whose
     * {@code .job} file names it (see {@link #commit(String, Path, String)}).
     */
    public OptionalInt versionMadeBy(String name, String jobId) {
        if (!ModelNames.isValid(name)) {
            return OptionalInt.empty();
        }
        List<Integer> versions = versions(name);
        for (int i = versions.size() - 1; i >= 0; i--) {
            int version = versions.get(i);
            try {
                if (jobId.equals(Files.readString(originFile(name, version), StandardCharsets.US_ASCII).trim())
                        && exists(name, version)) {
                    return OptionalInt.of(version);
                }
            } catch (NoSuchFileException e) {
                // imported, or stored before versions named their job
            } catch (IOException e) {
                log.warn("cannot read {}: {}", originFile(name, version), e.toString());
            }
        }
        return OptionalInt.empty();
    }

    Path originFile(String name, int version) {
        ModelNames.requireVersion(version);
        return checkInside(modelDir(name).resolve(version + ORIGIN_SUFFIX));
    }

    Path reportFile(String name, int version) {
        ModelNames.requireVersion(version);
        return checkInside(modelDir(name).resolve(version + REPORT_SUFFIX));
    }

    private Path checkInside(Path path) {
        Path normalized = path.normalize();
        if (!normalized.startsWith(root) || normalized.equals(root)) {
            throw new IllegalArgumentException("path escapes the model store: " + path);
        }
        return normalized;
    }

    private void writeAtomically(Path target, String content) throws IOException {
        writeAtomically(target, content.getBytes(StandardCharsets.US_ASCII));
    }

    private void writeAtomically(Path target, byte[] content) throws IOException {
        Path dir = target.getParent();
        Path temp = dir.resolve(TEMP_PREFIX + UUID.randomUUID() + ".part");
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
        try {
            move(temp, target);
        } finally {
            Files.deleteIfExists(temp);
        }
        fsyncDirectory(dir);
    }

    private static void move(Path from, Path to) throws IOException {
        try {
            Files.move(from, to, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the model store's file system cannot rename atomically", e);
        }
    }

    private static void fsync(Path file) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            channel.force(true);
        }
    }

    private static void fsyncDirectory(Path dir) {
        // Makes the rename durable on Linux; some platforms cannot open a directory, which is fine there.
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            log.debug("directory fsync not supported for {}: {}", dir, e.toString());
        }
    }

    /**
     * Removes the temp files that crashed writers left, and only those: a temp file written within
     * {@code staleTempAge} may belong to a live writer in another process sharing the store, so it stays (a
     * leftover of a crash that recent is removed by a later start; it is never listed as a version meanwhile).
     */
    private void removeLeftovers() {
        java.time.Instant staleBefore = java.time.Instant.now().minus(staleTempAge);
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, Files::isDirectory)) {
            for (Path dir : dirs) {
                if (!ModelNames.isValid(dir.getFileName().toString())) {
                    continue;
                }
                try (DirectoryStream<Path> temps = Files.newDirectoryStream(dir, TEMP_PREFIX + "*")) {
                    for (Path temp : temps) {
                        java.time.Instant written;
                        try {
                            written = Files.getLastModifiedTime(temp).toInstant();
                        } catch (NoSuchFileException e) {
                            continue; // its writer committed or discarded it meanwhile
                        }
                        if (written.isBefore(staleBefore)) {
                            log.info("removing leftover temp file {} (last written {})", temp, written);
                            Files.deleteIfExists(temp);
                        } else {
                            log.info("leaving temp file {}: written {}, within mcdropout.store.stale-temp-age ({}), "
                                    + "so possibly another process's write in progress", temp, written, staleTempAge);
                        }
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the model store at " + root, e);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
