package org.bootfarm.protocol.repo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Base64;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * A definition directory as a message can carry it: relative path → base64 of the file, and back.
 * Writing refuses paths that would leave the target directory.
 */
public final class DefinitionFiles {
  private DefinitionFiles() {}

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

  /** Writes the files under {@code dir} (mode 0644, 0755 for {@code *.sh}); refuses escaping paths. */
  public static void write(Map<String, String> files, Path dir) throws IOException {
    Path root = dir.toAbsolutePath().normalize();
    for (Map.Entry<String, String> entry : files.entrySet()) {
      Path target = root.resolve(entry.getKey()).normalize();
      if (entry.getKey().startsWith("/") || !target.startsWith(root) || target.equals(root)) {
        throw new IOException("definition file path '" + entry.getKey() + "' leaves the definition directory");
      }
      Files.createDirectories(target.getParent());
      Files.write(target, Base64.getDecoder().decode(entry.getValue()));
      Files.setPosixFilePermissions(target, PosixFilePermissions.fromString(
          entry.getKey().endsWith(".sh") ? "rwxr-xr-x" : "rw-r--r--"));
    }
  }
}
