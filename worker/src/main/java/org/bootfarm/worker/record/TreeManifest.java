package org.bootfarm.worker.record;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.build.Manifest;
import org.bootfarm.protocol.build.ManifestEntry;
import org.bootfarm.worker.archive.AtomicOutput;
import org.bootfarm.worker.archive.TreeEntry;

/**
 * Makes the {@link Manifest} of an image from its scanned tree and writes {@code manifest.json}
 * atomically: the worker's half of the manifest, which needs the worker's tree types.
 */
public final class TreeManifest {

  private TreeManifest() {}

  /**
   * The manifest of one image from its scanned tree, hashing every regular file (a hard link's
   * later paths are listed as files of their own, with the same sha256).
   */
  public static Manifest of(String image, List<TreeEntry> tree) throws IOException {
    return of(image, tree, Map.of());
  }

  /**
   * As {@link #of(String, List)}, taking a file's sha256 from {@code known} (by path in the image, as its
   * writer hashed it while archiving it) instead of reading the file again.
   */
  public static Manifest of(String image, List<TreeEntry> tree, Map<String, String> known) throws IOException {
    List<ManifestEntry> entries = new ArrayList<>(tree.size());
    for (TreeEntry e : tree) {
      String sha = null;
      if (e.type() == TreeEntry.Type.FILE) {
        sha = known.get(e.path());
        if (sha == null) {
          sha = Sha256.of(e.source());
        }
      }
      String target =
          switch (e.type()) {
            case SYMLINK -> e.symlinkTarget();
            case CHAR_DEVICE, BLOCK_DEVICE -> e.rdevMajor() + ":" + e.rdevMinor();
            default -> null;
          };
      entries.add(
          new ManifestEntry(
              image,
              e.path(),
              e.type().word(),
              String.format("%04o", e.mode()),
              e.uid(),
              e.gid(),
              e.size(),
              sha,
              target));
    }
    return new Manifest(entries);
  }

  /** Writes {@link Manifest#toJson} to a file, through a temporary file moved into place. */
  public static void write(Manifest manifest, Path file) throws IOException {
    AtomicOutput.writeBytes(file, manifest.toJson());
  }
}
