package dev.mcdropout.training;

import dev.mcdropout.training.TrainingDtos.HistoryView;
import dev.mcdropout.training.TrainingDtos.JobStatus;
import dev.mcdropout.training.TrainingDtos.TrainedModel;
import dev.mcdropout.training.TrainingDtos.TrainingJobView;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatusCode;
import org.springframework.http.ProblemDetail;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.json.JsonMapper;

/**
 * Training-job records kept in the model store, so that a job's status, progress, result and error survive a
 * restart: {@code {store}/.jobs/{id}.json}, each written whole to a temp file, fsynced and renamed over the old
 * one (then the directory fsynced), so a crash leaves the previous record or the new one, never a mix.
 *
 * <p>Each process that runs jobs is an <em>owner</em> with a random id, and holds an exclusive lock on
 * {@code .jobs/owners/{owner}.lock} while it lives; the kernel (or the NFSv4 server) releases it when the
 * process dies, however it dies. A record that says QUEUED or RUNNING whose owner's lock can be taken was left
 * by a process that is gone: it is rewritten as FAILED, "interrupted by restart". Processes sharing the store
 * (replicas) see each other's records, and leave each other's live jobs alone.
 *
 * <p>An {@code Idempotency-Key} is claimed by creating {@code .jobs/keys/{sha256 of the key}.json} only if it
 * is absent (a hard link of a complete temp file), so two requests with one key, on one replica or two, make
 * one job.
 */
final class JobRecords implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(JobRecords.class);
    private static final Pattern ID = Pattern.compile("[0-9a-f-]{36}");
    private static final String TEMP_PREFIX = ".tmp-";
    private static final JsonMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

    /** The error of a failed job as stored: the problem's members. */
    record StoredProblem(String type, String title, int status, String detail, List<String> errors) {

        static StoredProblem of(ProblemDetail p) {
            if (p == null) {
                return null;
            }
            Object errors = p.getProperties() == null ? null : p.getProperties().get("errors");
            List<String> list = new ArrayList<>();
            if (errors instanceof List<?> l) {
                l.forEach(e -> list.add(String.valueOf(e)));
            }
            return new StoredProblem(p.getType() == null ? null : p.getType().toString(), p.getTitle(),
                    p.getStatus(), p.getDetail(), list);
        }

        ProblemDetail toProblem() {
            ProblemDetail p = ProblemDetail.forStatusAndDetail(HttpStatusCode.valueOf(status), detail);
            if (type != null) {
                p.setType(URI.create(type));
            }
            p.setTitle(title);
            if (errors != null && !errors.isEmpty()) {
                p.setProperty("errors", List.copyOf(errors));
            }
            return p;
        }
    }

    /** One job as stored: what GET /train/jobs/{id} shows, plus who runs it and the key it was submitted with. */
    record JobRecord(int format, String owner, String idempotencyKey, String fingerprint, String id, String name,
                     JobStatus status, int epoch, int epochs, HistoryView history, TrainedModel model,
                     StoredProblem error, boolean activate, int rows, int features, List<String> classes,
                     Instant createdAt, Instant startedAt, Instant finishedAt) {

        static JobRecord of(TrainingJobView v, String owner, String idempotencyKey, String fingerprint) {
            return new JobRecord(1, owner, idempotencyKey, fingerprint, v.id(), v.name(), v.status(), v.epoch(),
                    v.epochs(), v.history(), v.model(), StoredProblem.of(v.error()), v.activate(), v.rows(),
                    v.features(), v.classes(), v.createdAt(), v.startedAt(), v.finishedAt());
        }

        TrainingJobView view() {
            return new TrainingJobView(id, name, status, epoch, epochs, history == null ? HistoryView.EMPTY : history,
                    model, error == null ? null : error.toProblem(), activate, rows, features, classes, createdAt,
                    startedAt, finishedAt);
        }

        /** The record of a job whose version is in the store although the job died before it said so. */
        JobRecord succeeded(TrainedModel published, HistoryView finalHistory, Instant finished) {
            HistoryView h = finalHistory == null ? history : finalHistory;
            int epochs = h == null ? epoch : Math.max(epoch, h.loss().size());
            return new JobRecord(format, owner, idempotencyKey, fingerprint, id, name, JobStatus.SUCCEEDED, epochs,
                    this.epochs, h, published, null, activate, rows, features, classes, createdAt, startedAt, finished);
        }

        JobRecord interrupted(ProblemDetail problem, Instant now) {
            return new JobRecord(format, owner, idempotencyKey, fingerprint, id, name, JobStatus.FAILED, epoch,
                    epochs, history, model, StoredProblem.of(problem), activate, rows, features, classes, createdAt,
                    startedAt, now);
        }
    }

    /**
     * The claim of an idempotency key: the job it names, the fingerprint of the request that made it, and the
     * process that made it (a claim whose job has no record and whose owner is gone was cut short by a crash).
     */
    record KeyClaim(String jobId, String fingerprint, String owner, Instant claimedAt) {
    }

    private final Path dir;
    private final Path keys;
    private final Path owners;
    private final String owner = UUID.randomUUID().toString();
    private final FileChannel ownerChannel;
    private final FileLock ownerLock;

    JobRecords(Path storeRoot) {
        try {
            this.dir = Files.createDirectories(storeRoot.resolve(".jobs"));
            this.keys = Files.createDirectories(dir.resolve("keys"));
            this.owners = Files.createDirectories(dir.resolve("owners"));
            this.ownerChannel = FileChannel.open(owners.resolve(owner + ".lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            this.ownerLock = ownerChannel.lock();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep training-job records in " + storeRoot.resolve(".jobs"), e);
        }
        removeLeftovers();
    }

    String owner() {
        return owner;
    }

    void write(JobRecord record) throws IOException {
        writeAtomically(file(record.id()), JSON.writeValueAsBytes(record));
    }

    Optional<JobRecord> read(String id) {
        if (!ID.matcher(id).matches()) {
            return Optional.empty();
        }
        try {
            return Optional.of(JSON.readValue(Files.readAllBytes(file(id)), JobRecord.class));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException | JacksonException e) {
            log.warn("ignoring unreadable training-job record {}: {}", file(id), e.toString());
            return Optional.empty();
        }
    }

    /** Every readable record, in no particular order. */
    List<JobRecord> readAll() {
        List<JobRecord> all = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.json")) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                read(name.substring(0, name.length() - ".json".length())).ifPresent(all::add);
            }
        } catch (IOException e) {
            log.warn("cannot list training-job records in {}: {}", dir, e.toString());
        }
        return all;
    }

    void delete(JobRecord record) {
        try {
            Files.deleteIfExists(file(record.id()));
            if (record.idempotencyKey() != null) {
                Files.deleteIfExists(keyFile(record.idempotencyKey()));
            }
        } catch (IOException e) {
            log.warn("could not delete training-job record {}: {}", record.id(), e.toString());
        }
    }

    /**
     * Whether the process that owns a record is alive: this one is; another one is while it holds its lock
     * file (the lock cannot be taken, or is held elsewhere in this JVM).
     */
    boolean ownerAlive(String recordOwner) {
        if (owner.equals(recordOwner)) {
            return true;
        }
        if (recordOwner == null || !ID.matcher(recordOwner).matches()) {
            return false;
        }
        Path lockFile = owners.resolve(recordOwner + ".lock");
        if (!Files.exists(lockFile)) {
            return false;
        }
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.WRITE)) {
            FileLock lock = channel.tryLock();
            if (lock == null) {
                return true;
            }
            lock.release();
            Files.deleteIfExists(lockFile);
            return false;
        } catch (OverlappingFileLockException e) {
            return true;
        } catch (NoSuchFileException e) {
            return false;
        } catch (IOException e) {
            // Cannot tell: assume alive rather than fail another process's job.
            return true;
        }
    }

    /**
     * Claims {@code key} for {@code jobId}; empty when this call made the claim, else the claim already there.
     */
    Optional<KeyClaim> claimKey(String key, KeyClaim claim) throws IOException {
        Path target = keyFile(key);
        Path temp = keys.resolve(TEMP_PREFIX + UUID.randomUUID());
        writeSynced(temp, JSON.writeValueAsBytes(claim));
        try {
            Files.createLink(target, temp);
            fsyncDirectory(keys);
            return Optional.empty();
        } catch (FileAlreadyExistsException e) {
            return Optional.of(readClaim(target));
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    Optional<KeyClaim> findKey(String key) {
        try {
            return Optional.of(readClaim(keyFile(key)));
        } catch (NoSuchFileException e) {
            return Optional.empty();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    void releaseKey(String key) {
        try {
            Files.deleteIfExists(keyFile(key));
        } catch (IOException e) {
            log.warn("could not release idempotency key: {}", e.toString());
        }
    }

    private KeyClaim readClaim(Path file) throws IOException {
        try {
            return JSON.readValue(Files.readAllBytes(file), KeyClaim.class);
        } catch (JacksonException e) {
            throw new IOException("unreadable idempotency-key claim " + file, e);
        }
    }

    private Path file(String id) {
        return dir.resolve(id + ".json");
    }

    /** Keys are client text: only their SHA-256 becomes a file name. */
    private Path keyFile(String key) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return keys.resolve(HexFormat.of().formatHex(hash) + ".json");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void writeAtomically(Path target, byte[] content) throws IOException {
        Path temp = target.resolveSibling(TEMP_PREFIX + UUID.randomUUID());
        writeSynced(temp, content);
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the model store's file system cannot rename atomically", e);
        } finally {
            Files.deleteIfExists(temp);
        }
        fsyncDirectory(target.getParent());
    }

    private static void writeSynced(Path file, byte[] content) throws IOException {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer buffer = ByteBuffer.wrap(content);
            while (buffer.hasRemaining()) {
                channel.write(buffer);
            }
            channel.force(true);
        }
    }

    private static void fsyncDirectory(Path dir) {
        try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
            channel.force(true);
        } catch (IOException e) {
            log.debug("directory fsync not supported for {}: {}", dir, e.toString());
        }
    }

    /** Temp files of writes a crash cut short; a temp file is never read, so removing it loses nothing. */
    private void removeLeftovers() {
        for (Path d : List.of(dir, keys)) {
            try (DirectoryStream<Path> temps = Files.newDirectoryStream(d, TEMP_PREFIX + "*")) {
                for (Path temp : temps) {
                    if (Files.getLastModifiedTime(temp).toInstant().isBefore(Instant.now().minusSeconds(60))) {
                        Files.deleteIfExists(temp);
                    }
                }
            } catch (IOException e) {
                log.warn("cannot clean {}: {}", d, e.toString());
            }
        }
    }

    @Override
    public void close() {
        try {
            ownerLock.release();
            ownerChannel.close();
            Files.deleteIfExists(owners.resolve(owner + ".lock"));
        } catch (IOException e) {
            log.debug("could not release the owner lock: {}", e.toString());
        }
    }
}
