package dev.mcdropout.models;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
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
import java.util.OptionalInt;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Model zips on disk: {@code {root}/{name}/{version}.zip}, an {@code active} file holding the active
 * version, and {@code last-version} holding the highest version ever assigned so that numbers are never
 * reused after a delete.
 *
 * <p>Every write goes to a temp file in the same directory, is fsynced, renamed over its target with
 * {@code ATOMIC_MOVE} and followed by an fsync of the directory: after a crash a version is either complete
 * or absent, and leftover temp files are removed at the next start. Names are validated against
 * {@link ModelNames#REGEX} before any path is built, and every resolved path is checked to stay under the
 * root. This class does no locking; {@link ModelRegistry} serialises writers per model.
 */
public final class ModelStore {

    private static final Logger log = LoggerFactory.getLogger(ModelStore.class);
    private static final Pattern VERSION_FILE = Pattern.compile("([1-9][0-9]{0,8})\\.zip");
    private static final String TEMP_PREFIX = ".tmp-";
    private static final String ACTIVE = "active";
    private static final String LAST_VERSION = "last-version";
    /** A version's evaluation report, beside its zip; versions stored before reports existed have none. */
    private static final String REPORT_SUFFIX = ".evaluation.json";

    private final Path root;

    public ModelStore(Path root) {
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

    /** A new empty temp file in the model's directory, for a version being written. */
    public Path newTempFile(String name) throws IOException {
        Path dir = modelDir(name);
        Files.createDirectories(dir);
        return checkInside(dir.resolve(TEMP_PREFIX + UUID.randomUUID() + ".part"));
    }

    /**
     * Makes a fully written temp file the model's next version and returns that version. The temp file
     * must come from {@link #newTempFile(String)} for the same name.
     */
    public int commit(String name, Path temp) throws IOException {
        Path dir = modelDir(name);
        if (!temp.getParent().equals(dir) || !temp.getFileName().toString().startsWith(TEMP_PREFIX)) {
            throw new IllegalArgumentException("not a temp file of model " + name);
        }
        fsync(temp);
        int version = nextVersion(name);
        // Record the number first: a crash after this leaves a gap, never a reused number.
        writeAtomically(dir.resolve(LAST_VERSION), Integer.toString(version));
        move(temp, versionFile(name, version));
        fsyncDirectory(dir);
        return version;
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
        if (!exists(name, version)) {
            throw new NoSuchFileException(versionFile(name, version).toString());
        }
        writeAtomically(modelDir(name).resolve(ACTIVE), Integer.toString(version));
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
        // the report first: a crash in between leaves a version without a report, never a report without one
        Files.deleteIfExists(reportFile(name, version));
        Files.deleteIfExists(versionFile(name, version));
        fsyncDirectory(modelDir(name));
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

    private void removeLeftovers() {
        try (DirectoryStream<Path> dirs = Files.newDirectoryStream(root, Files::isDirectory)) {
            for (Path dir : dirs) {
                if (!ModelNames.isValid(dir.getFileName().toString())) {
                    continue;
                }
                try (DirectoryStream<Path> temps = Files.newDirectoryStream(dir, TEMP_PREFIX + "*")) {
                    for (Path temp : temps) {
                        log.info("removing leftover temp file {}", temp);
                        Files.deleteIfExists(temp);
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
