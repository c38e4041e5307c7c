package org.bootfarm.worker.archive;

import java.nio.file.Path;

/**
 * One file of an image tree as the deterministic writers see it: everything an archive records
 * about it, already normalised (relative '/'-separated path, numeric owner, clamped mtime).
 *
 * @param path path relative to the tree root, '/'-separated, no leading "./" and no trailing '/'
 * @param type what kind of file it is
 * @param mode permission bits including setuid, setgid and sticky (07777), without the type bits
 * @param uid numeric owner
 * @param gid numeric group
 * @param size bytes of content for regular files, length of the target for symlinks, else 0
 * @param mtime seconds since the epoch, already clamped to SOURCE_DATE_EPOCH
 * @param symlinkTarget the target of a symlink, exactly as stored; null for other types
 * @param rdevMajor device major number for character and block devices, else 0
 * @param rdevMinor device minor number for character and block devices, else 0
 * @param hardLinkTo for the second and later paths of a regular file with several hard links:
 *     the first path of that file in byte order; null otherwise
 * @param source the file on disk this entry was read from
 */
public record TreeEntry(
    String path,
    Type type,
    int mode,
    int uid,
    int gid,
    long size,
    long mtime,
    String symlinkTarget,
    int rdevMajor,
    int rdevMinor,
    String hardLinkTo,
    Path source) {

  /** The kinds of file an image tree holds. */
  public enum Type {
    FILE(0100000),
    DIRECTORY(0040000),
    SYMLINK(0120000),
    CHAR_DEVICE(0020000),
    BLOCK_DEVICE(0060000),
    FIFO(0010000),
    SOCKET(0140000);

    private final int modeBits;

    Type(int modeBits) {
      this.modeBits = modeBits;
    }

    /** The S_IFMT bits of this type, as stat(2) and cpio encode them. */
    public int modeBits() {
      return modeBits;
    }

    /** The type encoded in the S_IFMT bits of a stat mode. */
    public static Type ofMode(int statMode) {
      int format = statMode & 0170000;
      for (Type type : values()) {
        if (type.modeBits == format) {
          return type;
        }
      }
      throw new IllegalArgumentException("unknown file type bits 0" + Integer.toOctalString(format));
    }

    /** The lower-case word used in manifests: file, directory, symlink, char-device, ... */
    public String word() {
      return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
    }
  }

  /** Whether this is the second or later path of a hard-linked regular file. */
  public boolean isHardLink() {
    return hardLinkTo != null;
  }

  /** The mode as stat(2) gives it: type bits and permission bits. */
  public int statMode() {
    return type.modeBits() | mode;
  }
}
