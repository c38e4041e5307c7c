package org.bootfarm.worker.archive;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.worker.process.DebianPackages;

/**
 * Which zlib compresses the initramfs, for the buildinfo's tools: {@link java.util.zip.Deflater}'s bytes are those
 * of the zlib the JVM runs, and Debian's OpenJDK runs the system's ({@code libz.so.1} of package {@code zlib1g}), so
 * another zlib release may give another initramfs and ISO from the same tree. It is found where the JVM mapped it
 * ({@code /proc/self/maps}), asked once per process: {@code zlib1g 1:1.2.13.dfsg-1} when dpkg says the package ships
 * those bytes; the file's path and sha256 when no package does; {@code bundled with java} when the JVM maps no
 * zlib of its own (a JDK built with its bundled copy, which the java entry's version then pins).
 */
public final class DeflateLibrary {

  /** The Debian package of the system zlib. */
  static final String DEBIAN_PACKAGE = "zlib1g";

  private static CompletableFuture<String> asked;

  private DeflateLibrary() {}

  /**
   * Starts finding out unless it was asked already, dpkg's answer on {@link DebianPackages}' threads (it is a process
   * start); returns at once.
   */
  public static synchronized CompletableFuture<String> ask() {
    if (asked == null) {
      asked = describe(mapped(readMaps()));
    }
    return asked;
  }

  /** What compresses the initramfs in this process, as the buildinfo's {@code tools.zlib} records it. */
  public static String version() {
    return ask().join();
  }

  /** The zlib file among the JVM's mapped files, if any: a file named {@code libz.so} or {@code libz.so.*}. */
  static Optional<Path> mapped(List<String> maps) {
    for (String line : maps) {
      int slash = line.indexOf('/');
      if (slash < 0) {
        continue;
      }
      Path file = Path.of(line.substring(slash).strip());
      String name = file.getFileName().toString();
      if (name.equals("libz.so") || name.startsWith("libz.so.")) {
        return Optional.of(file);
      }
    }
    return Optional.empty();
  }

  /** What {@code library} (the mapped zlib, if any) is, as {@link #version} says it. */
  static CompletableFuture<String> describe(Optional<Path> library) {
    if (library.isEmpty()) {
      return CompletableFuture.completedFuture("bundled with java");
    }
    Path file = library.get();
    return DebianPackages.shippingLater(DEBIAN_PACKAGE, file, true).thenApply(packaged -> packaged.orElseGet(() -> {
      try {
        return file + " sha256:" + Sha256.of(file);
      } catch (IOException e) {
        return file + " unreadable: " + e.getMessage();
      }
    }));
  }

  private static List<String> readMaps() {
    try {
      return Files.readAllLines(Path.of("/proc/self/maps"), StandardCharsets.UTF_8);
    } catch (IOException e) {
      return List.of();
    }
  }
}
