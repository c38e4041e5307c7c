package org.bootfarm.worker.archive;

import java.util.Map;
import org.bootfarm.worker.process.ExternalCommand;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import org.bootfarm.protocol.Sha256;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.zip.GZIPInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;
import org.apache.commons.compress.archivers.tar.TarConstants;

/**
 * Stage archives and stage hashes: a directory tree as a gzip'd POSIX (pax) tar whose bytes depend only on
 * the tree's content, names, modes, numeric owners and clamped mtimes — not on where it lives, the
 * inode numbers, the device it is on, the user name table or the clock. A stage's sha256 is its tar's
 * ({@link #digest}, with no file written, or what {@link #write} returns; docs/adr/0062).
 *
 * <p>How: entries come from {@link ImageTree} (byte-sorted, mtimes clamped, hard links as
 * links to their first path); each header carries numeric uid/gid with empty user and group
 * names, device major/minor only for device nodes, no atime/ctime; long names, long link
 * targets and files over 8 GiB get pax extended headers (named {@code ./PaxHeaders.X/...},
 * no pid or time in them); gzip has no name and mtime 0 ({@link ReproducibleGzipOutputStream}).
 *
 * <p>Extraction ({@link #extract}) checks every entry first and refuses hostile paths, then
 * lets GNU tar restore owners, modes, device nodes, hard links and symlinks exactly.
 */
public final class DeterministicTar {

  /**
   * The gzip level of stage archives: they are intermediate, speed matters more than size. Level 1 deflates
   * debian-12's 174 MB base tar in 0.95 s on 2 cores against 2.7 s at level 6, for 8.6 % more bytes
   * (docs/adr/0059). The initramfs, which the guest unpacks, keeps level 6.
   */
  public static final int GZIP_LEVEL = 1;

  private DeterministicTar() {}

  /**
   * Writes the tree under {@code root} to {@code outTarGz} (through a temporary name in the same
   * directory, moved into place when complete) and returns the sha256 of its tar, the bytes the gzip holds:
   * the same as {@link #digest} of the tree (docs/adr/0062).
   */
  public static String write(Path root, Path outTarGz, long sourceDateEpoch) throws IOException {
    List<TreeEntry> entries = ImageTree.scan(root, sourceDateEpoch);
    MessageDigest tarDigest = Sha256.newDigest();
    AtomicOutput.writeGzip(outTarGz, GZIP_LEVEL, out -> {
      DigestOutputStream hashing = new DigestOutputStream(out, tarDigest);
      writeEntries(entries, hashing);
      hashing.flush();
    });
    return Sha256.hex(tarDigest);
  }

  /**
   * The sha256 of the tar {@link #write} would write for the tree under {@code root}, with no file written and
   * nothing compressed: a stage's identity when nothing will read its archive (docs/adr/0062).
   */
  public static String digest(Path root, long sourceDateEpoch) throws IOException {
    List<TreeEntry> entries = ImageTree.scan(root, sourceDateEpoch);
    DigestOutputStream hashing = Sha256.hashing(OutputStream.nullOutputStream());
    BufferedOutputStream buffered = new BufferedOutputStream(hashing, 1 << 16);
    writeEntries(entries, buffered);
    buffered.flush();
    return Sha256.hex(hashing.getMessageDigest());
  }

  /**
   * The sha256 of the tar inside the stage archive {@code tarGz}: what {@link #write} returned for it. Throws an
   * {@link IOException} when the file is not a whole gzip stream.
   */
  public static String tarSha256(Path tarGz) throws IOException {
    try (InputStream in = new GZIPInputStream(Files.newInputStream(tarGz), 1 << 16)) {
      return Sha256.of(in);
    }
  }

  /** Writes already-scanned entries as a (not yet gzip'd) tar to {@code out}. */
  static void writeEntries(List<TreeEntry> entries, OutputStream out) throws IOException {
    TarArchiveOutputStream tar = new TarArchiveOutputStream(out, StandardCharsets.UTF_8.name());
    tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
    tar.setBigNumberMode(TarArchiveOutputStream.BIGNUMBER_POSIX);
    tar.setAddPaxHeadersForNonAsciiNames(true);
    for (TreeEntry e : entries) {
      TarArchiveEntry header = header(e);
      tar.putArchiveEntry(header);
      if (e.type() == TreeEntry.Type.FILE && !e.isHardLink()) {
        long copied;
        try (InputStream in = Files.newInputStream(e.source())) {
          copied = in.transferTo(tar);
        }
        if (copied != e.size()) {
          throw new IOException(
              e.source() + " changed size while being archived (" + e.size() + " -> " + copied
                  + " bytes): nothing may write to a tree while it is archived");
        }
      }
      tar.closeArchiveEntry();
    }
    tar.finish();
    tar.flush();
  }

  private static TarArchiveEntry header(TreeEntry e) {
    TarArchiveEntry h;
    switch (e.type()) {
      case DIRECTORY -> h = new TarArchiveEntry(e.path() + "/", TarConstants.LF_DIR);
      case FILE -> {
        if (e.isHardLink()) {
          h = new TarArchiveEntry(e.path(), TarConstants.LF_LINK);
          h.setLinkName(e.hardLinkTo());
        } else {
          h = new TarArchiveEntry(e.path(), TarConstants.LF_NORMAL);
          h.setSize(e.size());
        }
      }
      case SYMLINK -> {
        h = new TarArchiveEntry(e.path(), TarConstants.LF_SYMLINK);
        h.setLinkName(e.symlinkTarget());
      }
      case CHAR_DEVICE -> h = new TarArchiveEntry(e.path(), TarConstants.LF_CHR);
      case BLOCK_DEVICE -> h = new TarArchiveEntry(e.path(), TarConstants.LF_BLK);
      case FIFO -> h = new TarArchiveEntry(e.path(), TarConstants.LF_FIFO);
      default -> throw new IllegalArgumentException("cannot archive " + e.type() + " " + e.path());
    }
    if (e.type() == TreeEntry.Type.CHAR_DEVICE || e.type() == TreeEntry.Type.BLOCK_DEVICE) {
      h.setDevMajor(e.rdevMajor());
      h.setDevMinor(e.rdevMinor());
    }
    h.setMode(e.mode());
    h.setUserId(e.uid());
    h.setGroupId(e.gid());
    h.setUserName("");
    h.setGroupName("");
    h.setLastModifiedTime(FileTime.from(e.mtime(), TimeUnit.SECONDS));
    return h;
  }

  /**
   * Extracts a stage archive into {@code dest} (created if absent), restoring numeric owners,
   * modes, mtimes, device nodes, hard links and symlinks. Every entry is checked before anything
   * is written: an absolute path, a {@code ..} component, or a path through a symlink the
   * archive itself created is refused with an {@link IOException} naming the entry, and then
   * nothing is extracted.
   */
  public static void extract(Path tarGz, Path dest) throws IOException {
    checkEntries(tarGz);
    Files.createDirectories(dest);
    ExternalCommand.require(
        List.of("tar", "--numeric-owner", "--same-owner", "-xpzf", tarGz.toAbsolutePath().toString(),
            "-C", dest.toAbsolutePath().toString()), Map.of(),
        "extracting " + tarGz + " into " + dest, "tar");
  }

  /** Refuses archives whose entries would write outside the destination. */
  static void checkEntries(Path tarGz) throws IOException {
    Set<String> symlinks = new HashSet<>();
    try (InputStream file = new BufferedInputStream(Files.newInputStream(tarGz), 1 << 16);
        TarArchiveInputStream tar =
            new TarArchiveInputStream(new GZIPInputStream(file, 1 << 16), StandardCharsets.UTF_8.name())) {
      for (TarArchiveEntry e; (e = tar.getNextEntry()) != null; ) {
        String name = checkedPath(tarGz, e.getName(), "entry");
        refuseThroughSymlink(tarGz, e.getName(), name, symlinks);
        if (e.isLink()) {
          String target =
              checkedPath(tarGz, e.getLinkName(), "hard-link target of '" + e.getName() + "', which");
          refuseThroughSymlink(tarGz, e.getLinkName(), target, symlinks);
        }
        if (e.isSymbolicLink()) {
          symlinks.add(name);
        }
      }
    }
  }

  private static void refuseThroughSymlink(
      Path tarGz, String raw, String name, Set<String> symlinks) throws IOException {
    for (int slash = name.indexOf('/'); slash > 0; slash = name.indexOf('/', slash + 1)) {
      if (symlinks.contains(name.substring(0, slash))) {
        throw new IOException(
            "hostile archive " + tarGz + ": '" + raw + "' goes through the symlink '"
                + name.substring(0, slash) + "' created by the same archive; refusing to extract");
      }
    }
  }

  private static String checkedPath(Path tarGz, String raw, String what) throws IOException {
    String name = raw;
    while (name.startsWith("./")) {
      name = name.substring(2);
    }
    while (name.endsWith("/")) {
      name = name.substring(0, name.length() - 1);
    }
    if (raw.startsWith("/")) {
      throw new IOException(
          "hostile archive " + tarGz + ": " + what + " '" + raw + "' is an absolute path; refusing to extract");
    }
    for (String part : name.split("/")) {
      if (part.equals("..")) {
        throw new IOException(
            "hostile archive " + tarGz + ": " + what + " '" + raw + "' climbs out with '..'; refusing to extract");
      }
    }
    return name;
  }
}
