package org.bootfarm.worker.archive;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bootfarm.protocol.Sha256;

/**
 * Writes an initramfs: the tree as a "newc" (SVR4, no CRC) cpio archive, gzip'd, as the Linux
 * kernel unpacks it at boot — byte for byte the same for the same tree.
 *
 * <p>How: entries come from {@link ImageTree} (byte-sorted, mtimes clamped to
 * SOURCE_DATE_EPOCH, numeric owners; the root directory itself is not an entry); inode numbers
 * are renumbered from 1 in entry order; the device of every entry is 0:0; only device nodes
 * carry an rdev; a directory's link count is 2 plus its subdirectories. Hard-linked files
 * share one inode number and link count, and their data is stored once, on the last of their
 * paths (the convention of GNU cpio, which the kernel's unpacker also accepts). The archive ends
 * with {@code TRAILER!!!} padded to 512 bytes, then gzip with no name and mtime 0.
 */
public final class InitramfsWriter {

  private static final long MAX_FIELD = 0xFFFFFFFFL;
  private static final String TRAILER = "TRAILER!!!";

  private InitramfsWriter() {}

  /**
   * Writes the tree under {@code root} to {@code outCpioGz} (temporary name, then moved into
   * place) and returns the sha256 of the .gz file.
   */
  public static String write(Path root, Path outCpioGz, long sourceDateEpoch, int gzipLevel)
      throws IOException {
    return writeHashed(root, outCpioGz, sourceDateEpoch, gzipLevel).sha256();
  }

  /**
   * What {@link #writeHashed} wrote: the sha256 of the .gz file, the entries archived, and the sha256
   * of every regular file's content by path (a hard link's every path), taken while the file was read
   * into the archive, so a manifest of the same tree need not read it again.
   */
  public record Written(String sha256, List<TreeEntry> entries, Map<String, String> fileSha256) {}

  /** As {@link #write}, hashing every file's content while archiving it. */
  public static Written writeHashed(Path root, Path outCpioGz, long sourceDateEpoch, int gzipLevel)
      throws IOException {
    List<TreeEntry> entries = ImageTree.scan(root, sourceDateEpoch);
    Map<String, String> hashes = new HashMap<>();
    String sha256 = AtomicOutput.writeGzip(outCpioGz, gzipLevel, out -> writeCpio(entries, out, hashes));
    return new Written(sha256, entries, Map.copyOf(hashes));
  }

  /** Writes the uncompressed newc archive of {@code entries} to {@code out}. */
  public static void writeCpio(List<TreeEntry> entries, OutputStream out) throws IOException {
    writeCpio(entries, out, new HashMap<>());
  }

  /** As {@link #writeCpio(List, OutputStream)}, putting each regular file's sha256 by path into {@code hashes}. */
  private static void writeCpio(List<TreeEntry> entries, OutputStream out, Map<String, String> hashes)
      throws IOException {
    Map<String, Integer> linkCount = new HashMap<>();
    Map<String, String> lastPathOfFile = new HashMap<>();
    Map<String, Integer> subdirectories = new HashMap<>();
    for (TreeEntry e : entries) {
      if (e.type() == TreeEntry.Type.FILE) {
        String first = e.isHardLink() ? e.hardLinkTo() : e.path();
        linkCount.merge(first, 1, Integer::sum);
        lastPathOfFile.put(first, e.path());
      } else if (e.type() == TreeEntry.Type.DIRECTORY) {
        int slash = e.path().lastIndexOf('/');
        if (slash > 0) {
          subdirectories.merge(e.path().substring(0, slash), 1, Integer::sum);
        }
      }
    }

    Map<String, Long> inodeOfFile = new HashMap<>();
    Map<String, String> hashOfFile = new HashMap<>();
    long nextInode = 1;
    CountingOutput counting = new CountingOutput(out);
    for (TreeEntry e : entries) {
      long inode;
      long nlink;
      long size = 0;
      byte[] inlineData = null;
      boolean copyFile = false;
      switch (e.type()) {
        case FILE -> {
          String first = e.isHardLink() ? e.hardLinkTo() : e.path();
          Long known = inodeOfFile.get(first);
          if (known == null) {
            known = nextInode++;
            inodeOfFile.put(first, known);
          }
          inode = known;
          nlink = linkCount.get(first);
          if (lastPathOfFile.get(first).equals(e.path())) {
            size = e.size();
            copyFile = true;
          }
        }
        case DIRECTORY -> {
          inode = nextInode++;
          nlink = 2 + subdirectories.getOrDefault(e.path(), 0);
        }
        case SYMLINK -> {
          inode = nextInode++;
          nlink = 1;
          inlineData = e.symlinkTarget().getBytes(StandardCharsets.UTF_8);
          size = inlineData.length;
        }
        default -> {
          inode = nextInode++;
          nlink = 1;
        }
      }
      if (size > MAX_FIELD) {
        throw new IOException(
            e.source() + " is " + size + " bytes: a newc cpio entry holds at most 4 GiB - 1");
      }
      header(
          counting,
          e.path(),
          inode,
          e.statMode(),
          e.uid(),
          e.gid(),
          nlink,
          Math.max(0, e.mtime()),
          size,
          e.rdevMajor(),
          e.rdevMinor());
      if (copyFile) {
        MessageDigest digest = Sha256.newDigest();
        long copied;
        try (InputStream in = Files.newInputStream(e.source())) {
          copied = in.transferTo(new DigestOutputStream(counting, digest));
        }
        hashOfFile.put(e.isHardLink() ? e.hardLinkTo() : e.path(), Sha256.hex(digest));
        if (copied != size) {
          throw new IOException(
              e.source() + " changed size while being archived (" + size + " -> " + copied
                  + " bytes): nothing may write to a tree while it is archived");
        }
      } else if (inlineData != null) {
        counting.write(inlineData);
      }
      pad(counting, 4);
    }
    for (TreeEntry e : entries) {
      if (e.type() == TreeEntry.Type.FILE) {
        hashes.put(e.path(), hashOfFile.get(e.isHardLink() ? e.hardLinkTo() : e.path()));
      }
    }
    header(counting, TRAILER, 0, 0, 0, 0, 1, 0, 0, 0, 0);
    pad(counting, 512);
    counting.flush();
  }

  private static void header(
      CountingOutput out,
      String name,
      long inode,
      long mode,
      long uid,
      long gid,
      long nlink,
      long mtime,
      long size,
      long rdevMajor,
      long rdevMinor)
      throws IOException {
    byte[] nameBytes = name.getBytes(StandardCharsets.UTF_8);
    StringBuilder h = new StringBuilder(110).append("070701");
    for (long field :
        new long[] {
          inode, mode, uid, gid, nlink, Math.min(mtime, MAX_FIELD), size, 0, 0, rdevMajor,
          rdevMinor, nameBytes.length + 1L, 0
        }) {
      String hex = Long.toHexString(field & MAX_FIELD);
      h.append("00000000", 0, 8 - hex.length()).append(hex);
    }
    out.write(h.toString().getBytes(StandardCharsets.US_ASCII));
    out.write(nameBytes);
    out.write(0);
    pad(out, 4);
  }

  private static void pad(CountingOutput out, int alignment) throws IOException {
    long remainder = out.count() % alignment;
    if (remainder != 0) {
      out.write(new byte[(int) (alignment - remainder)]);
    }
  }

  /** Counts the bytes written, for cpio's 4-byte alignment. */
  private static final class CountingOutput extends OutputStream {
    private final OutputStream out;
    private long count;

    CountingOutput(OutputStream out) {
      this.out = out;
    }

    long count() {
      return count;
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }
  }
}
