package org.bootfarm.worker.image;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.bootfarm.worker.FileTrees;

/**
 * One image tree (a rootfs or a bootfs) as the worker's own steps see it, and the one way they read,
 * write, move and delete inside it. An image tree is written by packages and hooks nobody here
 * vouches for, so its links lie: every path is resolved inside the root the way
 * {@code openat2(RESOLVE_IN_ROOT)} resolves it (a link, absolute or relative, is followed within the
 * tree, and {@code ..} stops at the root), never out to the host; and what bootfarm places into the
 * image (its init, the components, the kernel, any file or link) <em>replaces</em> whatever is at the
 * last component, a link included, instead of writing through it.
 *
 * <p>Paths are image paths: absolute ({@code /bin/init}) or relative to the image's {@code /}. A host
 * path from {@link #resolve} has no link among its components below the root, so the host may read or
 * write it; {@link #hostPath()} is for tools that run confined to the tree and for walkers that never
 * follow links. Nothing else writes into an image tree: no host code resolves an image path itself.
 * Nothing else runs while these methods do (hooks and package managers have ended, their process
 * namespaces with them), so a resolved path stays what it was.
 */
public final class ImageRoot {
  private static final int MAX_LINKS = 40;
  private static final Set<PosixFilePermission> DIRECTORY_MODE = PosixFilePermissions.fromString("rwxr-xr-x");

  private final Path root;

  private ImageRoot(Path root) {
    this.root = root;
  }

  /**
   * The existing image tree at {@code base/relative}, where {@code base} is a directory the worker made
   * (the build directory) and no component of {@code relative} may be a link ({@code RESOLVE_NO_SYMLINKS}):
   * a hook may write inside a tree but must not swap the tree itself for a link elsewhere.
   *
   * @throws IOException naming the component that is a link or not a directory
   */
  public static ImageRoot open(Path base, String relative) throws IOException {
    Path dir = withoutLinks(base, relative);
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new NotDirectoryException(dir + ": the image tree is missing or not a directory");
    }
    return new ImageRoot(dir);
  }

  /** {@link #open}, creating the tree (mode 0755) and its missing parents first. */
  public static ImageRoot create(Path base, String relative) throws IOException {
    Path dir = withoutLinks(base, relative);
    ImageDirectories.create(dir);
    return open(base, relative);
  }

  /** The existing tree at {@code dir}, which itself must not be a link. */
  public static ImageRoot of(Path dir) throws IOException {
    Path absolute = dir.toAbsolutePath().normalize();
    return open(absolute.getParent(), absolute.getFileName().toString());
  }

  private static Path withoutLinks(Path base, String relative) throws IOException {
    Path current = base.toAbsolutePath().normalize();
    for (String part : relative.split("/")) {
      if (part.isEmpty() || part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        throw new IllegalArgumentException("an image tree is named without '..': " + relative);
      }
      current = current.resolve(part);
      if (Files.isSymbolicLink(current)) {
        throw new FileSystemException(current.toString(), null, "is a symbolic link where the image tree"
            + " must be a directory: something in the build (a hook?) replaced the tree itself, which the"
            + " worker never follows; a hook may change what is inside rootfs/ and bootfs/, not swap them");
      }
    }
    return current;
  }

  /** The tree's directory on the host: for confined tools and for walkers that never follow links. */
  public Path hostPath() {
    return root;
  }

  // ------------------------------------------------------------------------------------------ resolving

  /**
   * The host path of {@code path} with every link followed inside the tree, the last component too:
   * what a process chrooted into the tree opens. It may not exist.
   *
   * @throws IOException when a component in the middle is not a directory, or links loop
   */
  public Path resolve(String path) throws IOException {
    return walk(path, true);
  }

  /**
   * The host path of {@code path} with its parent resolved inside the tree and the last component as
   * it is: a link there stays the link. What a file placed at {@code path} replaces.
   */
  public Path locate(String path) throws IOException {
    return walk(path, false);
  }

  private Path walk(String path, boolean followLast) throws IOException {
    Deque<String> pending = components(path);
    Path current = root;
    int links = 0;
    while (!pending.isEmpty()) {
      String part = pending.removeFirst();
      if (part.equals(".")) {
        continue;
      }
      if (part.equals("..")) {
        if (!current.equals(root)) {
          current = current.getParent();
        }
        continue;
      }
      Path next = current.resolve(part);
      boolean last = pending.isEmpty();
      if ((followLast || !last) && Files.isSymbolicLink(next)) {
        if (++links > MAX_LINKS) {
          throw new FileSystemException(path, null, "too many levels of symbolic links in the image " + root);
        }
        String target = Files.readSymbolicLink(next).toString();
        Deque<String> expanded = components(target);
        while (!expanded.isEmpty()) {
          pending.addFirst(expanded.removeLast());
        }
        if (target.startsWith("/")) {
          current = root;
        }
        continue;
      }
      if (!last && Files.exists(next, LinkOption.NOFOLLOW_LINKS) && !Files.isDirectory(next, LinkOption.NOFOLLOW_LINKS)) {
        throw new NotDirectoryException(path + " in the image " + root + ": " + root.relativize(next)
            + " is not a directory");
      }
      current = next;
    }
    return current;
  }

  private static Deque<String> components(String path) {
    Deque<String> parts = new ArrayDeque<>();
    for (String part : path.split("/")) {
      if (!part.isEmpty()) {
        parts.addLast(part);
      }
    }
    return parts;
  }

  // ------------------------------------------------------------------------------------------ reading

  /** Whether {@code path} exists in the image, its links followed inside the tree. */
  public boolean exists(String path) throws IOException {
    return Files.exists(resolve(path), LinkOption.NOFOLLOW_LINKS);
  }

  /** Whether {@code path}, its links followed inside the tree, is a regular file. */
  public boolean isRegularFile(String path) throws IOException {
    return Files.isRegularFile(resolve(path), LinkOption.NOFOLLOW_LINKS);
  }

  /** Whether {@code path}, its links followed inside the tree, is a directory. */
  public boolean isDirectory(String path) throws IOException {
    return Files.isDirectory(resolve(path), LinkOption.NOFOLLOW_LINKS);
  }

  /** Whether {@code path} itself (not what it points to) is a symbolic link. */
  public boolean isSymbolicLink(String path) throws IOException {
    return Files.isSymbolicLink(locate(path));
  }

  /** Whether {@code path}, its links followed inside the tree, is a regular file the kernel may execute. */
  public boolean isExecutable(String path) throws IOException {
    Path file = resolve(path);
    return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) && Files.isExecutable(file);
  }

  /** The bytes of the regular file at {@code path}, its links followed inside the tree. */
  public byte[] read(String path) throws IOException {
    return Files.readAllBytes(regularFile(path));
  }

  /** The regular file at {@code path}, its links followed inside the tree, open for reading. */
  public InputStream open(String path) throws IOException {
    return Files.newInputStream(regularFile(path), LinkOption.NOFOLLOW_LINKS);
  }

  private Path regularFile(String path) throws IOException {
    Path file = resolve(path);
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) {
      throw new NoSuchFileException(path, null, "no regular file at this path in the image " + root);
    }
    return file;
  }

  /** The names in the directory {@code path} (its links followed inside the tree), sorted; none when it is not one. */
  public List<String> list(String path) throws IOException {
    Path dir = resolve(path);
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return List.of();
    }
    try (Stream<Path> children = Files.list(dir)) {
      return children.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  // ------------------------------------------------------------------------------------------ writing

  /**
   * Creates the directory {@code path} and its missing parents inside the tree, each new one with mode
   * 0755 whatever the umask; existing links on the way are followed inside the tree. Returns its host path.
   */
  public Path createDirectories(String path) throws IOException {
    Path dir = resolve(path);
    Deque<Path> missing = new ArrayDeque<>();
    for (Path p = dir; !p.equals(root) && !Files.exists(p, LinkOption.NOFOLLOW_LINKS); p = p.getParent()) {
      missing.push(p);
    }
    for (Path created : missing) {
      Files.createDirectory(created);
      Files.setPosixFilePermissions(created, DIRECTORY_MODE);
    }
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      throw new NotDirectoryException(path + " in the image " + root + " is not a directory");
    }
    return dir;
  }

  /**
   * Writes a new regular file at {@code path} with exactly {@code mode} ("rwxr-xr-x" form), replacing a
   * file or link that was there (never writing through the link); missing parents are created 0755.
   * Returns its host path.
   */
  public Path write(String path, byte[] content, String mode) throws IOException {
    return write(path, mode, out -> out.write(content));
  }

  /** {@link #write(String, byte[], String)} with the content of the host file {@code source}. */
  public Path copy(Path source, String path, String mode) throws IOException {
    return write(path, mode, out -> {
      try (InputStream in = Files.newInputStream(source)) {
        in.transferTo(out);
      }
    });
  }

  /** Writes content into a stream. */
  @FunctionalInterface
  public interface Content {
    void writeTo(OutputStream out) throws IOException;
  }

  /** {@link #write(String, byte[], String)} with content streamed by {@code content}. */
  public Path write(String path, String mode, Content content) throws IOException {
    Path file = place(path);
    try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE,
        LinkOption.NOFOLLOW_LINKS)) {
      content.writeTo(out);
    }
    Files.getFileAttributeView(file, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
        .setPermissions(PosixFilePermissions.fromString(mode));
    return file;
  }

  /** Makes {@code path} a symbolic link to {@code target} (kept as written), replacing a file or link there. */
  public Path symlink(String path, String target) throws IOException {
    Path link = place(path);
    Files.createSymbolicLink(link, Path.of(target));
    return link;
  }

  /**
   * Replaces the content of the existing regular file at {@code path} (its links followed inside the
   * tree, as a program editing it in a chroot would), keeping its mode and owner.
   */
  public void rewrite(String path, byte[] content) throws IOException {
    Path file = regularFile(path);
    try (OutputStream out = Files.newOutputStream(file, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING, LinkOption.NOFOLLOW_LINKS)) {
      out.write(content);
    }
  }

  /**
   * Moves the regular file at {@code from} (its links followed inside this tree) to {@code to} in
   * {@code target} (another tree or this one), replacing a file or link there; returns the new host path.
   */
  public Path moveTo(String from, ImageRoot target, String to) throws IOException {
    Path source = regularFile(from);
    Path destination = target.place(to);
    Files.move(source, destination);
    return destination;
  }

  /**
   * Deletes {@code path} itself: a link (never what it points to), a file, or a directory with
   * everything in it (links inside removed, not followed). Returns whether there was something.
   */
  public boolean delete(String path) throws IOException {
    Path target = locate(path);
    if (target.equals(root)) {
      throw new IllegalArgumentException("refusing to delete the image root " + root);
    }
    if (!Files.exists(target, LinkOption.NOFOLLOW_LINKS)) {
      return false;
    }
    FileTrees.delete(target);
    return true;
  }

  /**
   * Deletes what is inside the directory {@code path}; nothing when {@code path} is a link or not a
   * directory (a tree elsewhere is never emptied through a link).
   */
  public void deleteChildren(String path) throws IOException {
    Path dir = locate(path);
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    List<Path> children;
    try (Stream<Path> list = Files.list(dir)) {
      children = list.toList();
    }
    for (Path child : children) {
      FileTrees.delete(child);
    }
  }

  /** Sets owner, group and mode of {@code path} itself (a link is not followed). */
  public void setOwnerAndMode(String path, int uid, int gid, int mode) throws IOException {
    Path target = locate(path);
    Files.setAttribute(target, "unix:uid", uid, LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(target, "unix:gid", gid, LinkOption.NOFOLLOW_LINKS);
    Files.setAttribute(target, "unix:mode", mode, LinkOption.NOFOLLOW_LINKS);
  }

  /**
   * Makes room for a new entry at {@code path}: the parent created and resolved inside the tree, a
   * file or link at the last component removed. A directory there is an error: bootfarm places files,
   * and a tree the image keeps under that name is not its to delete.
   */
  private Path place(String path) throws IOException {
    Deque<String> parts = components(path);
    if (parts.isEmpty()) {
      throw new IllegalArgumentException("no file name in image path '" + path + "'");
    }
    String name = parts.removeLast();
    if (name.equals(".") || name.equals("..")) {
      throw new IllegalArgumentException("image path '" + path + "' does not end in a file name");
    }
    Path parent = createDirectories(String.join("/", parts));
    Path target = parent.resolve(name);
    if (Files.isDirectory(target, LinkOption.NOFOLLOW_LINKS)) {
      throw new FileAlreadyExistsException(target.toString(), null, "is a directory in the image, where"
          + " bootfarm places the file " + path + "; the definition's packages or hooks must leave that path free");
    }
    Files.deleteIfExists(target);
    return target;
  }

  /** A short form for messages. */
  @Override
  public String toString() {
    return root.toString();
  }
}
