package org.bootfarm.worker.stage;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.bootfarm.worker.image.ImageRoot;

/**
 * Writes {@code /.tempfs_list} and {@code /.tempfs_size} into a bootstrap rootfs: the patterns of
 * the files the bootstrap copies into tether's tmpfs, and the tmpfs size in MiB that holds them
 * with 20 % headroom (LAYOUT.md §2). The size counts apparent sizes rounded up to 4 KiB pages, so
 * it does not depend on the build host's filesystem.
 */
final class TempfsLayout {
  /** The same for every repo; a pattern that matches nothing counts nothing. */
  static final List<String> PATTERNS = List.of(
      "/lib/modules/*", "/bin/tether", "/bin/unpack",
      "/sbin/*tables*", "/usr/sbin/*tables*",
      "/lib/libxtables*", "/lib64/libxtables*", "/usr/lib64/libxtables*", "/usr/lib/x86_64-linux-gnu/libxtables*",
      "/lib/libip*tc*", "/lib64/libip*tc*", "/usr/lib64/libip*tc*", "/usr/lib/x86_64-linux-gnu/libip*tc*",
      "/lib/xtables", "/lib64/xtables", "/usr/lib64/xtables", "/usr/lib/iptables", "/usr/lib/x86_64-linux-gnu/xtables",
      "/lib64/ld-*", "/usr/lib/x86_64-linux-gnu/ld-linux*",
      "/lib/libc.so*", "/lib/libc-*", "/lib64/libc.so*", "/lib64/libc-*", "/usr/lib/x86_64-linux-gnu/libc.so*",
      "/lib/libm.so*", "/lib/libm-*", "/lib64/libm.so*", "/lib64/libm-*", "/usr/lib/x86_64-linux-gnu/libm.so*",
      "/lib/libgcc_s*", "/lib64/libgcc_s*", "/lib/libdl*", "/lib64/libdl*",
      "/usr/sbin/haveged", "/sbin/haveged", "/lib/libhavege*", "/lib64/libhavege*", "/usr/lib/x86_64-linux-gnu/libhavege*",
      "/sbin/rngd", "/usr/sbin/rngd");
  private static final long PAGE = 4096;
  private static final long MIB = 1024 * 1024;

  private TempfsLayout() {}

  /** Writes both files (mode 0644) after the components are in place; returns the size in MiB. */
  static long write(ImageRoot rootfs) throws IOException {
    long bytes = listedBytes(rootfs);
    long mib = (bytes + MIB - 1) / MIB;
    long size = mib + mib / 5;
    rootfs.write("/.tempfs_list", (String.join(" ", PATTERNS) + "\n").getBytes(StandardCharsets.UTF_8), "rw-r--r--");
    rootfs.write("/.tempfs_size", (size + "\n").getBytes(StandardCharsets.UTF_8), "rw-r--r--");
    return size;
  }

  /** The page-rounded bytes of every regular file the patterns reach, each file counted once. */
  static long listedBytes(ImageRoot rootfs) throws IOException {
    Set<Object> seen = new HashSet<>();
    long total = 0;
    for (String pattern : PATTERNS) {
      for (Path match : expand(rootfs, pattern)) {
        for (Path file : regularFilesOf(match)) {
          if (seen.add(Files.getAttribute(file, "unix:ino", LinkOption.NOFOLLOW_LINKS))) {
            long size = Files.size(file);
            total += (size + PAGE - 1) / PAGE * PAGE;
          }
        }
      }
    }
    return total;
  }

  /** Expands a shell-style pattern inside the rootfs; links in the directory part are followed in the image. */
  private static List<Path> expand(ImageRoot rootfs, String pattern) throws IOException {
    List<String> current = List.of("");
    String[] parts = pattern.substring(1).split("/");
    for (String part : parts) {
      List<String> next = new ArrayList<>();
      for (String base : current) {
        Path dir = rootfs.resolve(base.isEmpty() ? "/" : base);
        if (!Files.isDirectory(dir)) {
          continue;
        }
        if (part.contains("*") || part.contains("?")) {
          PathMatcher matcher = FileSystems.getDefault().getPathMatcher("glob:" + part);
          try (Stream<Path> children = Files.list(dir)) {
            children.map(p -> p.getFileName().toString()).sorted()
                .filter(name -> !name.startsWith(".") && matcher.matches(Path.of(name)))
                .forEach(name -> next.add(base + "/" + name));
          }
        } else {
          next.add(base + "/" + part);
        }
      }
      current = next;
    }
    List<Path> matches = new ArrayList<>();
    for (String imagePath : current) {
      Path host = rootfs.locate(imagePath);
      if (Files.exists(host, LinkOption.NOFOLLOW_LINKS)) {
        matches.add(host);
      }
    }
    return matches;
  }

  /** A regular file itself; every regular file under a directory (links not followed); else nothing. */
  private static List<Path> regularFilesOf(Path match) throws IOException {
    if (Files.isSymbolicLink(match)) {
      return List.of();
    }
    if (Files.isDirectory(match, LinkOption.NOFOLLOW_LINKS)) {
      try (Stream<Path> walk = Files.walk(match)) {
        return walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
      }
    }
    return Files.isRegularFile(match, LinkOption.NOFOLLOW_LINKS) ? List.of(match) : List.of();
  }
}
