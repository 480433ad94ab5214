package dev.mcdropout.nn.artifact;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;

/**
 * Reads the entries of a model archive, refusing anything but a plain, self-consistent zip of allow-listed
 * names within the size limits.
 *
 * <p>Two views of a zip exist: the local headers in front of each entry (what {@link ZipInputStream} reads)
 * and the central directory at the end (what {@code unzip}, Python's {@code zipfile} and {@code ZipFile}
 * read). Crafted archives make them disagree, so that what we verify is not what another tool shows. We
 * therefore require both to describe the same entries at the same offsets with the same sizes and CRCs, laid
 * out back to back from offset 0 with nothing in between or after. Uncompressed sizes are counted while
 * inflating, so a zip bomb stops at the limit whatever its headers claim.
 */
final class StrictZip {

    static final String MODEL_JSON = "model.json";
    /** Array files: a plain name ending in .npy, no directories, not starting with a dot. */
    static final Pattern ARRAY_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}\\.npy");

    private static final int LOC_SIG = 0x04034b50;
    private static final int CEN_SIG = 0x02014b50;
    private static final int END_SIG = 0x06054b50;
    private static final int DESCRIPTOR_SIG = 0x08074b50;
    private static final int LOC_HEADER = 30;
    private static final int CEN_HEADER = 46;
    private static final int END_HEADER = 22;

    private StrictZip() {
    }

    /** The entries of {@code archive} by name, in archive order. */
    static Map<String, byte[]> read(byte[] archive, ArtifactLimits limits) {
        if (archive.length > limits.maxArchiveBytes()) {
            throw new ArtifactLimitExceededException("the archive is larger than " + limits.maxArchiveBytes() + " bytes");
        }
        List<CentralEntry> central = centralDirectory(archive, limits);
        Map<String, byte[]> entries = new LinkedHashMap<>();
        long total = 0;
        try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(archive))) {
            for (int i = 0; ; i++) {
                ZipEntry entry = zip.getNextEntry();
                if (entry == null) {
                    if (i != central.size()) {
                        throw new InvalidArtifactException("the archive's entries end after " + i + " of the "
                                + central.size() + " its central directory lists (truncated or tampered)");
                    }
                    break;
                }
                if (i >= central.size()) {
                    throw new InvalidArtifactException("entry " + quote(entry.getName())
                            + " is not in the archive's central directory");
                }
                CentralEntry expected = central.get(i);
                if (!entry.getName().equals(expected.name)) {
                    throw new InvalidArtifactException("entry " + i + " is named " + quote(entry.getName())
                            + " in its local header but " + quote(expected.name) + " in the central directory");
                }
                long entryLimit = MODEL_JSON.equals(expected.name) ? limits.maxModelJsonBytes() : limits.maxEntryBytes();
                ByteArrayOutputStream content = new ByteArrayOutputStream();
                byte[] buffer = new byte[64 * 1024];
                long size = 0;
                for (int n; (n = zip.read(buffer)) > 0; ) {
                    size += n;
                    total += n;
                    if (size > entryLimit) {
                        throw new ArtifactLimitExceededException("entry " + quote(expected.name) + " inflates to more than "
                                + entryLimit + " bytes");
                    }
                    if (total > limits.maxTotalBytes()) {
                        throw new ArtifactLimitExceededException("the archive inflates to more than "
                                + limits.maxTotalBytes() + " bytes in total");
                    }
                    content.write(buffer, 0, n);
                }
                // ZipInputStream has now checked the data against the sizes and CRC of the local header (or
                // data descriptor); those must also be what the central directory says.
                if (entry.getSize() != expected.size || entry.getCompressedSize() != expected.compressedSize
                        || entry.getCrc() != expected.crc || entry.getMethod() != expected.method) {
                    throw new InvalidArtifactException("entry " + quote(expected.name) + " does not match its "
                            + "central directory record (size, compressed size, CRC or method differ)");
                }
                entries.put(expected.name, content.toByteArray());
            }
        } catch (InvalidArtifactException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            // ZipException, EOFException, and IllegalArgumentException for undecodable names all mean a
            // damaged archive.
            throw new InvalidArtifactException("the archive is damaged: " + e.getMessage(), e);
        }
        return entries;
    }

    private record CentralEntry(String name, int method, long crc, long compressedSize, long size, long offset) {
    }

    private static List<CentralEntry> centralDirectory(byte[] zip, ArtifactLimits limits) {
        int end = findEndRecord(zip);
        if (u16(zip, end + 4) != 0 || u16(zip, end + 6) != 0 || u16(zip, end + 8) != u16(zip, end + 10)) {
            throw new InvalidArtifactException("multi-volume archives are not supported");
        }
        int count = u16(zip, end + 10);
        long directorySize = u32(zip, end + 12);
        long directoryOffset = u32(zip, end + 16);
        if (count == 0xffff || directorySize == 0xffffffffL || directoryOffset == 0xffffffffL) {
            throw new InvalidArtifactException("zip64 archives are not supported (a model archive is far below 4 GiB)");
        }
        if (count == 0) {
            throw new InvalidArtifactException("the archive is empty; it needs model.json and the .npy files it names");
        }
        if (count > limits.maxEntries()) {
            throw new ArtifactLimitExceededException("the archive has " + count + " entries; a model of at most "
                    + limits.maxLayers() + " layers has at most " + limits.maxEntries());
        }
        if (directoryOffset + directorySize != end) {
            throw new InvalidArtifactException("the central directory does not end where the end record begins "
                    + "(the archive is truncated, has extra bytes, or was tampered with)");
        }
        List<CentralEntry> entries = new ArrayList<>(count);
        Set<String> seen = new HashSet<>();
        long expectedOffset = 0;
        long declaredTotal = 0;
        int p = (int) directoryOffset;
        for (int i = 0; i < count; i++) {
            if (p + CEN_HEADER > end || u32(zip, p) != CEN_SIG) {
                throw new InvalidArtifactException("central directory record " + i + " is damaged");
            }
            int flags = u16(zip, p + 8);
            int method = u16(zip, p + 10);
            long crc = u32(zip, p + 16);
            long compressedSize = u32(zip, p + 20);
            long size = u32(zip, p + 24);
            int nameLength = u16(zip, p + 28);
            int extraLength = u16(zip, p + 30);
            int commentLength = u16(zip, p + 32);
            long offset = u32(zip, p + 42);
            if (p + CEN_HEADER + nameLength > end) {
                throw new InvalidArtifactException("central directory record " + i + " is damaged");
            }
            String name = new String(zip, p + CEN_HEADER, nameLength, java.nio.charset.StandardCharsets.ISO_8859_1);
            checkName(name, seen);
            if ((flags & 1) != 0) {
                throw new InvalidArtifactException("entry " + quote(name) + " is encrypted, which is not supported");
            }
            if (method != ZipEntry.STORED && method != ZipEntry.DEFLATED) {
                throw new InvalidArtifactException("entry " + quote(name) + " uses compression method " + method
                        + "; only stored (0) and deflated (8) are supported");
            }
            if (compressedSize == 0xffffffffL || size == 0xffffffffL || offset == 0xffffffffL) {
                throw new InvalidArtifactException("entry " + quote(name) + " uses zip64 sizes, which are not "
                        + "supported (a model archive is far below 4 GiB)");
            }
            long limit = MODEL_JSON.equals(name) ? limits.maxModelJsonBytes() : limits.maxEntryBytes();
            if (size > limit) {
                throw new ArtifactLimitExceededException("entry " + quote(name) + " is " + size + " bytes, more than "
                        + limit);
            }
            declaredTotal += size;
            if (declaredTotal > limits.maxTotalBytes()) {
                throw new ArtifactLimitExceededException("the archive's entries add up to more than "
                        + limits.maxTotalBytes() + " bytes");
            }
            if (offset != expectedOffset) {
                throw new InvalidArtifactException("entry " + quote(name) + " is not where the central directory "
                        + "says (the archive has gaps, overlaps or extra data)");
            }
            expectedOffset = localEntryEnd(zip, offset, name, flags, compressedSize, directoryOffset);
            entries.add(new CentralEntry(name, method, crc, compressedSize, size, offset));
            p += CEN_HEADER + nameLength + extraLength + commentLength;
        }
        if (p != end || expectedOffset != directoryOffset) {
            throw new InvalidArtifactException("the archive holds data its central directory does not account for");
        }
        return entries;
    }

    /** Checks the local header at {@code offset} and returns where the next entry must start. */
    private static long localEntryEnd(byte[] zip, long offset, String name, int flags, long compressedSize,
                                      long limit) {
        if (offset + LOC_HEADER > limit || u32(zip, (int) offset) != LOC_SIG) {
            throw new InvalidArtifactException("entry " + quote(name) + " has no local header where the central "
                    + "directory says");
        }
        int at = (int) offset;
        int nameLength = u16(zip, at + 26);
        int extraLength = u16(zip, at + 28);
        if (at + LOC_HEADER + (long) nameLength > limit || !name.equals(
                new String(zip, at + LOC_HEADER, nameLength, java.nio.charset.StandardCharsets.ISO_8859_1))) {
            throw new InvalidArtifactException("entry " + quote(name) + " has a different name in its local header");
        }
        long next = offset + LOC_HEADER + nameLength + extraLength + compressedSize;
        if ((flags & 8) != 0) {
            // Data descriptor after the data: crc, sizes, optionally preceded by its signature.
            next += next + 4 <= limit && u32(zip, (int) next) == DESCRIPTOR_SIG ? 16 : 12;
        }
        if (next > limit) {
            throw new InvalidArtifactException("entry " + quote(name) + " runs into the central directory");
        }
        return next;
    }

    private static int findEndRecord(byte[] zip) {
        // The end record is the last 22 bytes plus a comment of at most 65535 bytes; its comment length must
        // reach exactly to the end of the file.
        for (int p = zip.length - END_HEADER; p >= 0 && p >= zip.length - END_HEADER - 0xffff; p--) {
            if (u32(zip, p) == END_SIG && u16(zip, p + 20) == zip.length - p - END_HEADER) {
                return p;
            }
        }
        throw new InvalidArtifactException("not a zip archive, or a truncated one: it has no end of central "
                + "directory record at its end");
    }

    private static void checkName(String name, Set<String> seen) {
        if (!MODEL_JSON.equals(name) && (!ARRAY_NAME.matcher(name).matches() || name.contains(".."))) {
            throw new InvalidArtifactException("entry " + quote(name) + " is not allowed: a model archive holds only "
                    + "model.json and .npy files with plain names (letters, digits, '_', '-', '.'; no folders)");
        }
        // Case-insensitive, so that extracting the archive on any file system gives the same files.
        if (!seen.add(name.toLowerCase(Locale.ROOT))) {
            throw new InvalidArtifactException("entry " + quote(name) + " appears more than once");
        }
    }

    static byte[] readBounded(InputStream in, long max) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        for (int n; (n = in.read(buffer)) >= 0; ) {
            total += n;
            if (total > max) {
                throw new ArtifactLimitExceededException("the archive is larger than " + max + " bytes");
            }
            out.write(buffer, 0, n);
        }
        return out.toByteArray();
    }

    /** A name from the archive made safe to show: printable ASCII only, at most 120 characters. */
    static String quote(String name) {
        StringBuilder s = new StringBuilder("'");
        for (int i = 0; i < name.length() && i < 120; i++) {
            char c = name.charAt(i);
            if (c >= 0x20 && c < 0x7f) {
                s.append(c);
            } else {
                s.append(String.format("\\x%02x", (int) c & 0xff));
            }
        }
        return s.append(name.length() > 120 ? "...'" : "'").toString();
    }

    private static int u16(byte[] b, int at) {
        if (at < 0 || at + 2 > b.length) {
            throw new InvalidArtifactException("the archive is truncated");
        }
        return (b[at] & 0xff) | (b[at + 1] & 0xff) << 8;
    }

    private static long u32(byte[] b, int at) {
        if (at < 0 || at + 4 > b.length) {
            throw new InvalidArtifactException("the archive is truncated");
        }
        return (b[at] & 0xffL) | (b[at + 1] & 0xffL) << 8 | (b[at + 2] & 0xffL) << 16 | (b[at + 3] & 0xffL) << 24;
    }
}
