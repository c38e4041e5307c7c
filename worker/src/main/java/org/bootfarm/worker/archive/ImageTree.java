package org.bootfarm.worker.archive;

import org.bootfarm.protocol.build.Manifest;
import org.bootfarm.worker.process.ExternalCommand;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Reads a directory tree into the normalised, ordered list of {@link TreeEntry} every
 * deterministic writer (tar, cpio, manifest) works from, so that they all agree on order,
 * owners, modes and times.
 *
 * <p>Rules: symlinks are never followed; the root itself is not an entry; entries are sorted
 * by the unsigned bytes of their UTF-8 path; owners are numeric only; every mtime becomes
 * {@code min(mtime, sourceDateEpoch)} in whole seconds; directories, devices and fifos have
 * size 0 (a directory's on-disk size depends on the filesystem).
 *
 * <p>Hard links: a regular file with several links is stored once under the first of its
 * paths in byte order; each later path is an entry with {@link TreeEntry#hardLinkTo()} naming
 * that first path (tar writes a hard-link entry, cpio shares the inode number). Links are only
 * recognised between regular files inside the tree; a hard-linked symlink, device or fifo is
 * stored as independent entries.
 *
 * <p>Names are taken as UTF-8: the worker's JVM must run under a UTF-8 locale
 * ({@code LANG=C.UTF-8}); under {@code LC_ALL=C} a non-ASCII name is refused with an error.
 *
 * <p>Sockets cannot be archived: they are skipped and listed in {@link Scan#skippedSockets()}
 * (a daemon a hook started may leave one behind; it means nothing in an image).
 */
public final class ImageTree {

  /** Bytes-of-UTF-8 order, the order every archive is written in (the manifest's order too). */
  public static final Comparator<String> BYTE_ORDER = Manifest.PATH_BYTE_ORDER;

  /**
   * Whether the JVM maps file names to and from UTF-8. Under {@code LC_ALL=C} it does not: a
   * non-ASCII name then turns into '?'s, which {@link #walk} refuses rather than archive.
   */
  static final boolean UTF8_FILE_NAMES =
      "UTF-8".equalsIgnoreCase(System.getProperty("sun.jnu.encoding", "UTF-8"));

  /** The result of a walk: the entries, and the sockets that were left out. */
  public record Scan(List<TreeEntry> entries, List<String> skippedSockets) {}

  private ImageTree() {}

  /** The attributes an entry is made of, read with one lstat. */
  private static final String ATTRIBUTES = "unix:mode,lastModifiedTime,uid,gid,size,nlink,dev,ino,rdev";

  /** The entries of the tree under {@code root}, sockets skipped. */
  public static List<TreeEntry> scan(Path root, long sourceDateEpoch) throws IOException {
    return walk(root, sourceDateEpoch).entries();
  }

  /** Walks the tree under {@code root}; see the class comment for the rules. */
  public static Scan walk(Path root, long sourceDateEpoch) throws IOException {
    if (!Files.isDirectory(root, LinkOption.NOFOLLOW_LINKS)) {
      throw new IOException("image tree " + root + " is not a directory");
    }
    List<Raw> raws = new ArrayList<>();
    List<String> sockets = new ArrayList<>();
    Files.walkFileTree(
        root,
        new SimpleFileVisitor<>() {
          @Override
          public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs)
              throws IOException {
            if (!dir.equals(root)) {
              visit(dir);
            }
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFile(Path file, BasicFileAttributes attrs)
              throws IOException {
            visit(file);
            return FileVisitResult.CONTINUE;
          }

          @Override
          public FileVisitResult visitFileFailed(Path file, IOException e) throws IOException {
            throw new IOException("cannot read " + file + " in image tree: " + e.getMessage(), e);
          }

          private void visit(Path file) throws IOException {
            Map<String, Object> a;
            try {
              // only what an entry is made of: "unix:*" would also look up owner and group names, a user database
              // read per file (ImageTree scans took ~60 µs an entry)
              a = Files.readAttributes(file, ATTRIBUTES, LinkOption.NOFOLLOW_LINKS);
            } catch (IOException | UnsupportedOperationException e) {
              throw new IOException("cannot stat " + file + " in image tree: " + e.getMessage(), e);
            }
            String relative = relativePath(root, file);
            if (!UTF8_FILE_NAMES && !namesRoundTrip(root, relative, file)) {
              throw new IOException(
                  "a file name under " + file.getParent() + " (shown as '" + file.getFileName()
                      + "') cannot be represented in this JVM's file-name encoding "
                      + System.getProperty("sun.jnu.encoding")
                      + ": run the worker with LANG=C.UTF-8 or LC_ALL=C.UTF-8, not LC_ALL=C");
            }
            int statMode = (Integer) a.get("mode");
            TreeEntry.Type type = TreeEntry.Type.ofMode(statMode);
            if (type == TreeEntry.Type.SOCKET) {
              sockets.add(relative);
              return;
            }
            raws.add(new Raw(relative, type, statMode, a, file));
          }
        });
    raws.sort(Comparator.comparing(Raw::path, BYTE_ORDER));
    sockets.sort(BYTE_ORDER);

    Map<String, String> firstPathOfInode = new HashMap<>();
    List<TreeEntry> entries = new ArrayList<>(raws.size());
    for (Raw raw : raws) {
      entries.add(raw.toEntry(sourceDateEpoch, firstPathOfInode));
    }
    return new Scan(List.copyOf(entries), List.copyOf(sockets));
  }

  /**
   * Sets every mtime in the tree (root included, symlinks themselves not their targets) that is
   * later than {@code sourceDateEpoch} to it. Run after the last write to a tree that a tool
   * (xorriso) reads times from.
   */
  public static void clampMtimes(Path root, long sourceDateEpoch) throws IOException {
    FileTime limit = FileTime.from(sourceDateEpoch, TimeUnit.SECONDS);
    List<Path> all = new ArrayList<>();
    try (var paths = Files.walk(root)) {
      paths.forEach(all::add);
    }
    // Java sets times through open(2), which would block on a fifo and open a device node:
    // those and symlinks go to touch -h, which uses utimensat without opening anything.
    List<String> others = new ArrayList<>();
    // children first, so that touching nothing further changes a directory afterwards
    for (int i = all.size() - 1; i >= 0; i--) {
      Path p = all.get(i);
      BasicFileAttributes attrs =
          Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      if (attrs.lastModifiedTime().compareTo(limit) <= 0) {
        continue;
      }
      if (attrs.isRegularFile() || attrs.isDirectory()) {
        try {
          Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
              .setTimes(limit, null, null);
        } catch (IOException e) {
          throw new IOException("cannot clamp the mtime of " + p + ": " + e.getMessage(), e);
        }
      } else {
        others.add(p.toString());
      }
    }
    for (int from = 0; from < others.size(); from += 500) {
      List<String> command =
          new ArrayList<>(List.of("touch", "-h", "-c", "-m", "-d", "@" + sourceDateEpoch, "--"));
      command.addAll(others.subList(from, Math.min(others.size(), from + 500)));
      ExternalCommand.require(command, Map.of(), "clamping mtimes under " + root, "coreutils");
    }
  }

  private static boolean namesRoundTrip(Path root, String relative, Path file) {
    try {
      return root.resolve(relative).equals(file);
    } catch (java.nio.file.InvalidPathException e) {
      return false;
    }
  }

  static String relativePath(Path root, Path file) {
    String relative = root.relativize(file).toString();
    return file.getFileSystem().getSeparator().equals("/")
        ? relative
        : relative.replace(file.getFileSystem().getSeparator(), "/");
  }

  /** Linux's encoding of a dev_t (see gnu_dev_major / gnu_dev_minor). */
  static int major(long rdev) {
    return (int) (((rdev >>> 8) & 0xfffL) | ((rdev >>> 32) & ~0xfffL));
  }

  static int minor(long rdev) {
    return (int) ((rdev & 0xffL) | ((rdev >>> 12) & ~0xffL));
  }

  private record Raw(
      String path, TreeEntry.Type type, int statMode, Map<String, Object> attrs, Path source) {

    TreeEntry toEntry(long sourceDateEpoch, Map<String, String> firstPathOfInode)
        throws IOException {
      long mtime =
          Math.min(((FileTime) attrs.get("lastModifiedTime")).to(TimeUnit.SECONDS), sourceDateEpoch);
      int uid = (Integer) attrs.get("uid");
      int gid = (Integer) attrs.get("gid");
      int perms = statMode & 07777;
      long size = 0;
      String target = null;
      int major = 0;
      int minor = 0;
      String hardLinkTo = null;
      switch (type) {
        case FILE -> {
          size = (Long) attrs.get("size");
          if ((Integer) attrs.get("nlink") > 1) {
            String inode = attrs.get("dev") + ":" + attrs.get("ino");
            String first = firstPathOfInode.putIfAbsent(inode, path);
            if (first != null) {
              hardLinkTo = first;
            }
          }
        }
        case SYMLINK -> {
          target = Files.readSymbolicLink(source).toString();
          size = target.getBytes(StandardCharsets.UTF_8).length;
        }
        case CHAR_DEVICE, BLOCK_DEVICE -> {
          long rdev = (Long) attrs.get("rdev");
          major = major(rdev);
          minor = minor(rdev);
        }
        default -> {}
      }
      return new TreeEntry(
          path, type, perms, uid, gid, size, mtime, target, major, minor, hardLinkTo, source);
    }
  }
}
