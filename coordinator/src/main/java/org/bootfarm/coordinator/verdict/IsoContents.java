package org.bootfarm.coordinator.verdict;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.commons.compress.archivers.cpio.CpioArchiveEntry;
import org.apache.commons.compress.archivers.cpio.CpioArchiveInputStream;
import org.apache.commons.compress.compressors.gzip.GzipCompressorInputStream;

/**
 * Reads chosen small files out of a built ISO: files of the ISO itself, and files of its initramfs
 * ({@code /boot/core.gz}, a gzip-compressed newc cpio, see the worker's {@code assemble/LAYOUT.md}).
 * The ISO is opened by {@code xorriso -osirrox on -indev ISO -extract ...}, run in a sandbox that sees only
 * the ISO and a scratch directory ({@link ExternalTool}); what it leaves there is read without following a
 * link. The initramfs is read with Commons Compress.
 */
final class IsoContents {

  /** The initramfs inside the ISO, as the assemble stage lays it out. */
  static final String INITRAMFS_IN_ISO = "boot/core.gz";

  private static final Duration XORRISO_TIMEOUT = Duration.ofMinutes(2);

  private final ExternalTool xorriso;

  IsoContents(ExternalTool xorriso) {
    this.xorriso = xorriso;
  }

  /**
   * The content of each wanted file that is a regular file of at most {@code maxBytes}: ISO paths
   * and initramfs paths (relative, '/'-separated) each in their own map. A path that is missing or
   * larger is left out.
   *
   * @param scratch an empty directory this may fill (the caller deletes it)
   * @throws IOException when xorriso fails or the initramfs is not a gzip newc cpio, naming the ISO
   */
  Extracted read(Path iso, Set<String> isoPaths, Set<String> initramfsPaths, long maxBytes, Path scratch)
      throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of("-osirrox", "on", "-indev", iso.toString()));
    Map<String, Path> isoTargets = new LinkedHashMap<>();
    Path initramfs = scratch.resolve("core.gz");
    if (!initramfsPaths.isEmpty()) {
      args.addAll(List.of("-extract", "/" + INITRAMFS_IN_ISO, initramfs.toString()));
    }
    int n = 0;
    for (String path : isoPaths) {
      Path target = scratch.resolve("iso-" + n++);
      isoTargets.put(path, target);
      args.addAll(List.of("-extract", "/" + path, target.toString()));
    }
    Map<String, byte[]> fromIso = new LinkedHashMap<>();
    Map<String, byte[]> fromInitramfs = new LinkedHashMap<>();
    if (isoTargets.isEmpty() && initramfsPaths.isEmpty()) {
      return new Extracted(fromIso, fromInitramfs);
    }
    // xorriso stops at the first failed -extract, and a path differing in type may be no file:
    // it still extracts what came before, so read whatever landed.
    ExternalTool.Run run = xorriso.run(args, List.of(iso),
        Map.of("PATH", ExternalTool.SYSTEM_PATH, "LC_ALL", "C", "TZ", "UTC", "HOME", scratch.toString()),
        scratch, XORRISO_TIMEOUT, 64 * 1024);
    if (run.sandboxRefused()) {
      throw new IOException(run.sandboxRefusedNote("xorriso did not read " + iso));
    }
    if (run.timedOut()) {
      throw new IOException("xorriso did not finish reading " + iso + " within " + XORRISO_TIMEOUT.toSeconds()
          + " s; is the file an ISO 9660 image?");
    }
    for (Map.Entry<String, Path> e : isoTargets.entrySet()) {
      Path file = e.getValue();
      // an ISO may hold a symbolic link at that path: what it names on this machine is never read
      if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) && Files.size(file) <= maxBytes) {
        fromIso.put(e.getKey(), Files.readAllBytes(file));
      }
    }
    if (!initramfsPaths.isEmpty()) {
      if (!Files.isRegularFile(initramfs, LinkOption.NOFOLLOW_LINKS)) {
        throw new IOException("xorriso did not extract /" + INITRAMFS_IN_ISO + " from " + iso + " (exit "
            + run.exitCode() + "): " + run.stderrTail());
      }
      readCpio(initramfs, initramfsPaths, maxBytes, fromInitramfs);
    }
    return new Extracted(fromIso, fromInitramfs);
  }

  private static void readCpio(Path gz, Set<String> wanted, long maxBytes, Map<String, byte[]> out)
      throws IOException {
    try (InputStream file = new BufferedInputStream(Files.newInputStream(gz));
         GzipCompressorInputStream gzip = new GzipCompressorInputStream(file, true);
         CpioArchiveInputStream cpio = new CpioArchiveInputStream(gzip)) {
      CpioArchiveEntry entry;
      while ((entry = cpio.getNextEntry()) != null) {
        String path = normalize(entry.getName());
        if (entry.isRegularFile() && wanted.contains(path) && entry.getSize() <= maxBytes) {
          out.put(path, cpio.readNBytes((int) entry.getSize()));
        }
      }
    } catch (IOException e) {
      throw new IOException("cannot read the initramfs /" + INITRAMFS_IN_ISO + " as a gzip newc cpio: "
          + e.getMessage(), e);
    }
  }

  /** A cpio name as the manifest writes paths: no leading "./" or "/". */
  static String normalize(String name) {
    String path = name;
    while (path.startsWith("./") || path.startsWith("/")) {
      path = path.substring(path.startsWith("./") ? 2 : 1);
    }
    return path;
  }

  /**
   * What was read.
   *
   * @param iso       ISO path to content
   * @param initramfs initramfs path to content
   */
  record Extracted(Map<String, byte[]> iso, Map<String, byte[]> initramfs) {}
}
