package org.bootfarm.protocol.repo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A definition directory as a message can carry it: relative path → base64 of the file, and back.
 * Writing refuses paths that would leave the target directory.
 *
 * <p>One rule gives a definition file its attributes wherever it is written for a build ({@link #mode}: 0755 for
 * {@code *.sh}, else 0644; directories 0755; {@link #normalizedCopy}: every mtime SOURCE_DATE_EPOCH): the digest
 * covers paths and bytes, not attributes, so the attributes hooks see must follow from what it covers, or a hook that
 * copies a definition file with its mode and mtime ({@code cp -p}) makes images that differ under one digest
 * (ADR 0067).
 */
public final class DefinitionFiles {
  private static final Set<PosixFilePermission> DIRECTORY = PosixFilePermissions.fromString("rwxr-xr-x");

  private DefinitionFiles() {}

  /** The mode of definition file {@code relativePath}: 0755 for a {@code *.sh} script, 0644 for any other file. */
  public static Set<PosixFilePermission> mode(String relativePath) {
    return PosixFilePermissions.fromString(relativePath.endsWith(".sh") ? "rwxr-xr-x" : "rw-r--r--");
  }

  /**
   * Copies the definition in {@code from} to {@code to} (which must not exist) as a build sees it: each file with
   * {@link #mode}, each directory 0755, links as they are, and every mtime {@code sourceDateEpoch}; returns
   * {@code definition} with its paths moved there. The copy has {@code from}'s digest.
   */
  public static RepoDefinition normalizedCopy(RepoDefinition definition, Path to, long sourceDateEpoch)
      throws IOException {
    Path from = definition.directory();
    FileTime time = FileTime.from(sourceDateEpoch, TimeUnit.SECONDS);
    List<Path> directories = new ArrayList<>();
    Files.createDirectories(to.getParent());
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : walk.toList()) {
        String rel = from.relativize(p).toString().replace('\\', '/');
        Path target = rel.isEmpty() ? to : to.resolve(rel);
        if (Files.isSymbolicLink(p)) {
          Files.createSymbolicLink(target, Files.readSymbolicLink(p));
          try {
            Files.getFileAttributeView(target, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
                .setTimes(time, null, null);
          } catch (IOException | UnsupportedOperationException e) {
            // a link's own time is no input; where it cannot be set it stays the copy's
          }
        } else if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          Files.createDirectory(target);
          directories.add(target);
        } else if (Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)) {
          Files.copy(p, target, LinkOption.NOFOLLOW_LINKS);
          Files.setPosixFilePermissions(target, mode(rel));
          Files.setLastModifiedTime(target, time);
        }
      }
    }
    for (Path directory : directories) {
      Files.setPosixFilePermissions(directory, DIRECTORY);
      Files.setLastModifiedTime(directory, time);
    }
    return definition.relocatedTo(to);
  }

  /** Every regular file under {@code dir} (symbolic links are not carried). */
  public static Map<String, String> read(Path dir) throws IOException {
    Map<String, String> files = new TreeMap<>();
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path file : walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList()) {
        files.put(dir.relativize(file).toString(), Base64.getEncoder().encodeToString(Files.readAllBytes(file)));
      }
    }
    return files;
  }

  /** Writes the files under {@code dir} with {@link #mode}; refuses escaping paths. */
  public static void write(Map<String, String> files, Path dir) throws IOException {
    Path root = dir.toAbsolutePath().normalize();
    for (Map.Entry<String, String> entry : files.entrySet()) {
      Path target = root.resolve(entry.getKey()).normalize();
      if (entry.getKey().startsWith("/") || !target.startsWith(root) || target.equals(root)) {
        throw new IOException("definition file path '" + entry.getKey() + "' leaves the definition directory");
      }
      Files.createDirectories(target.getParent());
      Files.write(target, Base64.getDecoder().decode(entry.getValue()));
      Files.setPosixFilePermissions(target, mode(entry.getKey()));
    }
  }
}
