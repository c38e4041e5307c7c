package org.bootfarm.sandbox;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What of the host every {@link Sandbox} sees, read-only, in one place with the reason for each
 * entry: the programs ({@code /usr} and the top-level links of a usr-merged host), a minimal
 * {@code /etc}, and for a phase with network the host's resolver configuration and TLS roots.
 * Everything else of the host is absent: {@code /root}, {@code /home}, {@code /var} (the worker's
 * data directory, every repo's package cache), {@code /run}, {@code /sys}, other builds.
 *
 * <p>The lists were found by tracing (strace) and by running hooks, dnf, rpm, mmdebstrap, apt and
 * depmod in a sandbox without each entry (docs/field-notes.md, "Sandboxes").
 */
final class HostView {

  /**
   * The program directories. On a usr-merged host (Debian 12) {@code /bin}, {@code /sbin},
   * {@code /lib} and {@code /lib64} are links into {@code /usr} and are mirrored as the same links;
   * a host with real directories there has them bound read-only. Missing ones are left out.
   */
  static final List<String> PROGRAM_DIRECTORIES =
      List.of("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32");

  /** Host files every sandbox sees in its {@code /etc}, and why. */
  static final Map<String, String> SYSTEM_ETC = ordered(
      "/etc/ld.so.cache", "the dynamic loader finds libraries in the directories /etc/ld.so.conf.d adds",
      "/etc/alternatives", "Debian's awk, pager, editor... in /usr/bin are links through it (awk is"
          + " 'command not found' without it)");

  /**
   * Files bootfarm writes for the sandbox's {@code /etc} instead of taking the host's: names resolve
   * ({@code chown root:root}, {@code ls -l}, rpm's and dpkg's owner lookups outside the chroot) the
   * same on every worker, and none of the worker's accounts show.
   */
  static final Map<String, String> GENERATED_ETC = ordered(
      "passwd", "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
      "group", "root:x:0:\nnogroup:x:65534:\n",
      "nsswitch.conf", "passwd: files\ngroup: files\nshadow: files\ngshadow: files\nhosts: files\n");

  /**
   * Host files a phase with network sees, and why; they are only read. The host's nsswitch.conf
   * replaces the generated one there, for its {@code hosts:} line.
   */
  static final Map<String, String> NETWORK_ETC = ordered(
      "/etc/resolv.conf", "the name servers",
      "/etc/hosts", "names the worker resolves locally",
      "/etc/nsswitch.conf", "the worker's order of host name lookups",
      "/etc/host.conf", "glibc's resolver options",
      "/etc/gai.conf", "address selection (IPv4 or IPv6 first)",
      "/etc/ssl", "TLS roots (ca-certificates) for https mirrors and https key URLs");

  private static Path generatedEtc;

  private HostView() {}

  /** The bwrap arguments that show the host's program directories read-only. */
  static List<String> programArguments() {
    List<String> args = new ArrayList<>();
    for (String name : PROGRAM_DIRECTORIES) {
      Path path = Path.of(name);
      try {
        if (Files.isSymbolicLink(path)) {
          args.addAll(List.of("--symlink", Files.readSymbolicLink(path).toString(), name));
        } else if (Files.isDirectory(path, LinkOption.NOFOLLOW_LINKS)) {
          args.addAll(List.of("--ro-bind", name, name));
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the host's " + name + " for a sandbox: " + e.getMessage(), e);
      }
    }
    return args;
  }

  /** The bwrap arguments of the minimal {@code /etc}; with network the resolver files and TLS roots too. */
  static List<String> etcArguments(boolean network) {
    List<String> args = new ArrayList<>();
    for (String file : SYSTEM_ETC.keySet()) {
      args.addAll(List.of("--ro-bind-try", file, file));
    }
    Path generated = generatedEtc();
    for (String name : GENERATED_ETC.keySet()) {
      if (network && NETWORK_ETC.containsKey("/etc/" + name) && Files.exists(Path.of("/etc", name))) {
        continue;
      }
      args.addAll(List.of("--ro-bind", generated.resolve(name).toString(), "/etc/" + name));
    }
    if (network) {
      for (String file : NETWORK_ETC.keySet()) {
        args.addAll(List.of("--ro-bind-try", file, file));
      }
    }
    return args;
  }

  /**
   * The directory holding the {@link #GENERATED_ETC} files: {@code <tmpdir>/bootfarm-sandbox-etc-<digest
   * of their content>}, made once per machine (the processes of a machine share it; a killed one leaves nothing
   * behind) and trusted only when it is a directory of this user's with mode 0700 holding exactly
   * these files. One that is not (someone else's) is left alone for a private one of this process.
   */
  static synchronized Path generatedEtc() {
    try {
      if (generatedEtc != null && trusted(generatedEtc)) {
        return generatedEtc;
      }
      Path tmp = Path.of(System.getProperty("java.io.tmpdir"));
      Path shared = tmp.resolve("bootfarm-sandbox-etc-" + digest());
      if (!trusted(shared)) {
        Path made = write(Files.createTempDirectory(tmp, "bootfarm-sandbox-etc-new-", OWNER_ONLY));
        try {
          Files.move(made, shared, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException taken) {
          // another process was first (or something else holds the name): keep ours if theirs is not right
          if (!trusted(shared)) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> deleteQuietly(made)));
            generatedEtc = made;
            return made;
          }
          deleteQuietly(made);
        }
      }
      generatedEtc = shared;
      return shared;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the sandbox's /etc files under " + System.getProperty("java.io.tmpdir")
          + ": " + e.getMessage() + "; a process that starts sandboxes needs a writable temporary directory", e);
    }
  }

  private static final java.nio.file.attribute.FileAttribute<java.util.Set<java.nio.file.attribute.PosixFilePermission>>
      OWNER_ONLY = PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------"));

  private static Path write(Path dir) throws IOException {
    for (Map.Entry<String, String> file : GENERATED_ETC.entrySet()) {
      Path path = Files.writeString(dir.resolve(file.getKey()), file.getValue(), StandardCharsets.UTF_8);
      Files.setPosixFilePermissions(path, PosixFilePermissions.fromString("r--r--r--"));
    }
    return dir;
  }

  private static boolean trusted(Path dir) throws IOException {
    if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)
        || !Files.getAttribute(dir, "unix:uid", LinkOption.NOFOLLOW_LINKS).equals(Files.getAttribute(Path.of("/proc/self"), "unix:uid"))
        || !PosixFilePermissions.toString(Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS)).equals("rwx------")) {
      return false;
    }
    try (java.util.stream.Stream<Path> entries = Files.list(dir)) {
      if (entries.count() != GENERATED_ETC.size()) {
        return false;
      }
    }
    for (Map.Entry<String, String> file : GENERATED_ETC.entrySet()) {
      Path path = dir.resolve(file.getKey());
      if (!Files.isRegularFile(path, LinkOption.NOFOLLOW_LINKS)
          || !Files.readString(path, StandardCharsets.UTF_8).equals(file.getValue())) {
        return false;
      }
    }
    return true;
  }

  private static String digest() {
    try {
      java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
      GENERATED_ETC.forEach((name, content) -> sha.update((name + "\0" + content + "\0").getBytes(StandardCharsets.UTF_8)));
      return java.util.HexFormat.of().formatHex(sha.digest()).substring(0, 16);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void deleteQuietly(Path dir) {
    try {
      for (String name : GENERATED_ETC.keySet()) {
        Files.deleteIfExists(dir.resolve(name));
      }
      Files.deleteIfExists(dir);
    } catch (IOException e) {
      // the process is ending; a leftover directory of three small files is harmless
    }
  }

  private static Map<String, String> ordered(String... keysAndValues) {
    Map<String, String> map = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      map.put(keysAndValues[i], keysAndValues[i + 1]);
    }
    return java.util.Collections.unmodifiableMap(map);
  }
}
