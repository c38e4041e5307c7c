package org.bootfarm.worker.process;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;

/**
 * What this machine's dpkg says of one of its files: the installed Debian package that ships it and that package's
 * full version ({@code xorriso 1.5.4-4}), for the buildinfo's tools and host files (ADR 0067). A file is the
 * package's when the package's file list ({@code /var/lib/dpkg/info/PACKAGE[:ARCH].list}) names a path that resolves
 * to the same real path (so {@code /bin/kmod} of a merged-/usr system is {@code /usr/bin/kmod}); and, when asked,
 * when its bytes still have the md5 the package's {@code .md5sums} gives (a file edited or mounted over after the
 * install is no longer the package's). The version is {@code dpkg-query}'s. Reads no other package's files and
 * starts one process; empty on a machine without dpkg.
 */
public final class DebianPackages {
  private static final Path INFO = Path.of("/var/lib/dpkg/info");

  /** Where {@link #shippingLater} asks: each question reads dpkg's files and starts dpkg-query. */
  private static final Executor QUESTIONS = Executors.newCachedThreadPool(runnable -> {
    Thread thread = new Thread(runnable, "debian-package");
    thread.setDaemon(true);
    return thread;
  });

  private DebianPackages() {}

  /** {@link #shipping}, asked on a thread of its own: a build starts it and takes the answer when it writes it. */
  public static CompletableFuture<Optional<String>> shippingLater(String name, Path file, boolean unchangedBytes) {
    return CompletableFuture.supplyAsync(() -> shipping(name, file, unchangedBytes), QUESTIONS);
  }

  /**
   * {@code PACKAGE VERSION} of installed package {@code name} when it ships {@code file} (and, with
   * {@code unchangedBytes}, the file still has the bytes it shipped); empty otherwise.
   */
  public static Optional<String> shipping(String name, Path file, boolean unchangedBytes) {
    try {
      Optional<Path> list = infoFile(name, ".list");
      if (list.isEmpty()) {
        return Optional.empty();
      }
      Path real = file.toRealPath();
      // every path of the list that is this file: a link and its target may both be listed (/usr/bin/dnf, dnf-3)
      List<String> listed = new java.util.ArrayList<>();
      for (String line : Files.readAllLines(list.get(), StandardCharsets.UTF_8)) {
        Path candidate = Path.of(line);
        if (line.startsWith("/") && candidate.getFileName() != null
            && (candidate.getFileName().equals(file.getFileName()) || candidate.getFileName().equals(real.getFileName()))
            && sameFile(candidate, real)) {
          listed.add(line);
        }
      }
      if (listed.isEmpty() || (unchangedBytes && !shippedBytes(name, listed, real))) {
        return Optional.empty();
      }
      List<String> version = ExternalCommand.output(List.of("dpkg-query", "-W", "-f=${Version}\\n", name),
          java.util.Map.of());
      return version.isEmpty() || version.get(0).isBlank() ? Optional.empty()
          : Optional.of(name + " " + version.get(0).strip());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static boolean sameFile(Path candidate, Path real) {
    try {
      return candidate.toRealPath().equals(real);
    } catch (IOException e) {
      return false;
    }
  }

  /** Whether {@code file} has the md5 the package's md5sums file gives for one of its {@code listed} paths. */
  private static boolean shippedBytes(String name, List<String> listed, Path file) throws IOException {
    Optional<Path> sums = infoFile(name, ".md5sums");
    if (sums.isEmpty()) {
      return false;
    }
    String md5 = null;
    for (String line : Files.readAllLines(sums.get(), StandardCharsets.UTF_8)) {
      int space = line.indexOf("  ");
      if (space > 0 && listed.contains("/" + line.substring(space + 2))) {
        md5 = md5 == null ? md5(file) : md5;
        if (line.substring(0, space).equals(md5)) {
          return true;
        }
      }
    }
    return false;
  }

  /** {@code INFO/NAME.SUFFIX}, or {@code INFO/NAME:ARCH.SUFFIX} for a package of a multi-arch system. */
  private static Optional<Path> infoFile(String name, String suffix) throws IOException {
    Path plain = INFO.resolve(name + suffix);
    if (Files.isRegularFile(plain)) {
      return Optional.of(plain);
    }
    try (DirectoryStream<Path> arch = Files.newDirectoryStream(INFO, name + ":*" + suffix)) {
      for (Path p : arch) {
        return Optional.of(p);
      }
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  private static String md5(Path file) throws IOException {
    MessageDigest md5;
    try {
      md5 = MessageDigest.getInstance("MD5");
    } catch (NoSuchAlgorithmException e) {
      throw new IOException("this JVM has no MD5 to compare with dpkg's md5sums", e);
    }
    byte[] buffer = new byte[64 * 1024];
    try (InputStream in = Files.newInputStream(file)) {
      for (int n; (n = in.read(buffer)) > 0; ) {
        md5.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(md5.digest());
  }
}
