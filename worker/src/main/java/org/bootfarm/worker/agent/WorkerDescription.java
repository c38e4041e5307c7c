package org.bootfarm.worker.agent;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.bootfarm.worker.build.BuildEngine;
import org.bootfarm.worker.pkg.PackageDrivers;

/**
 * What a worker tells the coordinator about itself with every heartbeat: the package managers it
 * can run (from its drivers' own checks), its slots, free disk under the cache directory, and the
 * repos whose package caches are warm on it — each {@code <cache-dir>/repos/<repo>} directory,
 * with its size and, as its metadata revision, the newest metadata file's modification time.
 */
public final class WorkerDescription {
  private WorkerDescription() {}

  public static WorkerInfo describe(String workerId, String nodeId, PackageDrivers drivers, Path cacheDir, int slots,
      int busySlots, long heartbeatMillis, List<String> running) throws IOException {
    return new WorkerInfo(workerId, nodeId, BuildEngine.builderVersion(), arch(), drivers.runnablePackageManagers(), slots,
        busySlots, freeBytes(cacheDir), warmCaches(cacheDir), heartbeatMillis, running);
  }

  /** The repo caches under {@code <cache-dir>/repos}, sorted by repo name. */
  public static List<WorkerInfo.WarmCache> warmCaches(Path cacheDir) throws IOException {
    Path repos = cacheDir.resolve("repos");
    List<WorkerInfo.WarmCache> caches = new ArrayList<>();
    if (!Files.isDirectory(repos)) {
      return caches;
    }
    List<Path> dirs;
    try (Stream<Path> list = Files.list(repos)) {
      dirs = list.filter(p -> Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)).sorted().toList();
    }
    for (Path dir : dirs) {
      WorkerInfo.WarmCache cache = describeCache(dir);
      if (cache.sizeBytes() > 0) {
        caches.add(cache);
      }
    }
    return caches;
  }

  /**
   * Bytes in the package cache of {@code repo} ({@code <cache-dir>/repos/<repo>}), 0 when there is none:
   * the worker's cache-size gauge after each build. Walks the directory: call it off the event loop.
   */
  public static long repoCacheBytes(Path cacheDir, String repo) throws IOException {
    Path dir = cacheDir.resolve("repos").resolve(repo);
    return Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS) ? describeCache(dir).sizeBytes() : 0;
  }

  /** One repo cache directory: its bytes and the time of its newest package metadata. */
  private static WorkerInfo.WarmCache describeCache(Path dir) throws IOException {
    long[] size = {0};
    long[] newestMetadata = {0};
    try (Stream<Path> walk = Files.walk(dir)) {
      walk.forEach(p -> {
        try {
          BasicFileAttributes attributes = Files.readAttributes(p, BasicFileAttributes.class,
              LinkOption.NOFOLLOW_LINKS);
          if (attributes.isRegularFile()) {
            size[0] += attributes.size();
            String name = p.getFileName().toString();
            if (name.equals("repomd.xml") || name.endsWith("InRelease") || name.endsWith("Release")) {
              newestMetadata[0] = Math.max(newestMetadata[0], attributes.lastModifiedTime().toMillis());
            }
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    } catch (UncheckedIOException e) {
      throw e.getCause();
    }
    String revision = newestMetadata[0] == 0 ? "" : Instant.ofEpochMilli(newestMetadata[0]).toString();
    return new WorkerInfo.WarmCache(dir.getFileName().toString(), revision, size[0]);
  }

  /** Usable bytes on the file system of the cache directory (or its nearest existing parent). */
  static long freeBytes(Path cacheDir) throws IOException {
    Path existing = cacheDir.toAbsolutePath();
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    FileStore store = Files.getFileStore(existing == null ? Path.of("/") : existing);
    return store.getUsableSpace();
  }

  /** The architecture in the farm's words ({@code x86_64}, {@code aarch64}). */
  static String arch() {
    String arch = System.getProperty("os.arch");
    return switch (arch) {
      case "amd64" -> "x86_64";
      case "arm64" -> "aarch64";
      default -> arch;
    };
  }
}
