package org.bootfarm.protocol.repo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.bootfarm.protocol.Sha256;

/**
 * A definition directory as one byte string whose sha256 is the definition's digest
 * ({@link RepoDefinitionLoader#digest}): the archive <em>is</em> the digest's preimage, so the farm's
 * content-addressed store keeps a definition under the digest builds already record, and a build pinned to
 * a digest gets exactly the bytes that were checked at submission (docs/adr/0034).
 *
 * <p>Format: for each entry under the directory, in sorted order of relative path ({@code /}-separated;
 * directories contribute only through their files), {@code file\0REL\0SIZE\0<SIZE bytes>} or, for a
 * symbolic link, {@code link\0REL\0TARGET\0}. {@link #unpack} refuses anything {@link #pack} would not
 * write: unknown kinds, a truncated entry, unsorted or repeated paths, paths leaving the directory, and
 * links (a definition reaches a worker as {@link DefinitionFiles}, which never carried links).
 */
public final class DefinitionArchive {
  private DefinitionArchive() {}

  /** What {@link #unpack} refuses: the archive and what is wrong with it. */
  public static final class MalformedArchiveException extends IOException {
    public MalformedArchiveException(String message) {
      super(message);
    }
  }

  /**
   * The archive of the definition in {@code dir}; its sha256 is {@link RepoDefinitionLoader#digest}{@code (dir)}
   * as long as the directory does not change meanwhile (the catalogue checks that).
   *
   * @throws UncheckedIOException when the directory cannot be read
   */
  public static byte[] pack(Path dir) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    write(dir, out);
    return out.toByteArray();
  }

  /** Writes the archive of {@code dir} to {@code out}: what {@link #pack} returns, and what the digest hashes. */
  static void write(Path dir, OutputStream out) {
    try (Stream<Path> walk = Files.walk(dir)) {
      List<Path> entries = walk
          .filter(p -> !p.equals(dir))
          .filter(p -> !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))
          .sorted((a, b) -> relative(dir, a).compareTo(relative(dir, b)))
          .toList();
      for (Path entry : entries) {
        String rel = relative(dir, entry);
        if (Files.isSymbolicLink(entry)) {
          out.write(("link\0" + rel + "\0" + Files.readSymbolicLink(entry) + "\0").getBytes(StandardCharsets.UTF_8));
        } else {
          byte[] bytes = Files.readAllBytes(entry);
          out.write(("file\0" + rel + "\0" + bytes.length + "\0").getBytes(StandardCharsets.UTF_8));
          out.write(bytes);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read repo definition " + dir + " to archive or digest it", e);
    }
  }

  private static String relative(Path dir, Path p) {
    return dir.relativize(p).toString().replace('\\', '/');
  }

  /** The archive's digest: the definition digest of the directory it was packed from. */
  public static String digest(byte[] archive) {
    return Sha256.of(archive);
  }

  /**
   * The files of an archive, relative path → bytes, in the archive's (sorted) order.
   *
   * @throws MalformedArchiveException naming the entry and what is wrong, for anything {@link #pack} would
   *     not have written
   */
  public static Map<String, byte[]> unpack(byte[] archive) throws MalformedArchiveException {
    Map<String, byte[]> files = new LinkedHashMap<>();
    Set<String> directories = new HashSet<>();
    String previous = null;
    int at = 0;
    while (at < archive.length) {
      int entryStart = at;
      String kind = field(archive, at, "kind", entryStart);
      at += kind.getBytes(StandardCharsets.UTF_8).length + 1;
      if (!kind.equals("file") && !kind.equals("link")) {
        throw malformed(entryStart, "unknown entry kind \"" + kind + "\" (only file and link are written)");
      }
      String rel = field(archive, at, "path", entryStart);
      at += rel.getBytes(StandardCharsets.UTF_8).length + 1;
      checkPath(rel, entryStart);
      if (previous != null && previous.compareTo(rel) >= 0) {
        throw malformed(entryStart, "entry '" + rel + "' " + (previous.equals(rel) ? "appears twice"
            : "comes after '" + previous + "' (entries are in sorted order)"));
      }
      if (kind.equals("link")) {
        String target = field(archive, at, "link target", entryStart);
        throw new MalformedArchiveException("definition archive entry '" + rel + "' is a symbolic link (to "
            + target + "): definitions reach workers without links (DefinitionFiles never carried them);"
            + " replace the link in the definition directory with the file it points to");
      }
      String size = field(archive, at, "size", entryStart);
      at += size.length() + 1;
      if (!size.matches("0|[1-9][0-9]{0,9}")) {
        throw malformed(entryStart, "entry '" + rel + "' has size \"" + size + "\", not a decimal byte count");
      }
      long length = Long.parseLong(size);
      if (length > archive.length - at) {
        throw malformed(entryStart, "entry '" + rel + "' says " + length + " bytes but only "
            + (archive.length - at) + " follow (truncated)");
      }
      if (directories.contains(rel)) {
        throw malformed(entryStart, "entry '" + rel + "' is a file and also a directory of an earlier entry");
      }
      for (int slash = rel.indexOf('/'); slash >= 0; slash = rel.indexOf('/', slash + 1)) {
        String parent = rel.substring(0, slash);
        if (files.containsKey(parent)) {
          throw malformed(entryStart, "entry '" + rel + "' lies under '" + parent + "', which is a file");
        }
        directories.add(parent);
      }
      byte[] bytes = new byte[(int) length];
      System.arraycopy(archive, at, bytes, 0, bytes.length);
      at += bytes.length;
      files.put(rel, bytes);
      previous = rel;
    }
    return files;
  }

  /** The archive's files as a message carries them ({@link DefinitionFiles}): relative path → base64. */
  public static Map<String, String> definitionFiles(byte[] archive) throws MalformedArchiveException {
    Map<String, String> files = new TreeMap<>();
    unpack(archive).forEach((rel, bytes) -> files.put(rel, Base64.getEncoder().encodeToString(bytes)));
    return files;
  }

  /** The text from {@code at} up to the next NUL; refuses a missing NUL (a truncated archive). */
  private static String field(byte[] archive, int at, String what, int entryStart) throws MalformedArchiveException {
    for (int i = at; i < archive.length; i++) {
      if (archive[i] == 0) {
        return new String(archive, at, i - at, StandardCharsets.UTF_8);
      }
    }
    throw malformed(entryStart, "the entry's " + what + " is not terminated (truncated archive)");
  }

  private static void checkPath(String rel, int entryStart) throws MalformedArchiveException {
    if (rel.isEmpty() || rel.startsWith("/") || rel.contains("\\")) {
      throw malformed(entryStart, "entry path '" + rel + "' is not a relative /-separated path inside the"
          + " definition directory");
    }
    for (String segment : rel.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
        throw malformed(entryStart, "entry path '" + rel + "' leaves the definition directory or is not normal"
            + " (empty, . or .. segment)");
      }
    }
  }

  private static MalformedArchiveException malformed(int offset, String what) {
    return new MalformedArchiveException("malformed definition archive at byte " + offset + ": " + what
        + "; the archive is not one bootfarm packed (re-submit the build so the coordinator stores its definition"
        + " again)");
  }
}
