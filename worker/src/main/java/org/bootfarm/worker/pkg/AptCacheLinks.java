package org.bootfarm.worker.pkg;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.function.Consumer;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildFailure.Kind;

/**
 * The warm cache's package files an apt run hard-links into a root, and whether package scripts touched them there
 * (docs/adr/0066). A maintainer script runs as root in that root: it can write a linked file in place, or link it
 * to another name in the image that the worker or a later hook then writes. Each file's inode and change time are
 * noted when it is linked; a file whose change time moved while the run ran (any write, chmod or link changes it,
 * and no program can set it back) is checked against the signed indices read before the run: a file they still
 * vouch for is published again as a new inode, so no link made meanwhile reaches the cache; any other is removed
 * from the cache and fails the build.
 */
final class AptCacheLinks {
  /** No file of the cache linked into the root (a rebuild from pinned inputs, or a remove). */
  static final AptCacheLinks NONE = new AptCacheLinks(Map.of());

  private final Map<String, Noted> noted;

  private AptCacheLinks(Map<String, Noted> noted) {
    this.noted = noted;
  }

  /** What a package file's inode was when it was linked into the root. */
  private record Noted(Path cached, Object inode, FileTime changed) {}

  /** Notes each of {@code linked} (package files of the cache, by archive name) as it is now. */
  static AptCacheLinks note(Map<String, Path> linked) throws IOException {
    Map<String, Noted> noted = new TreeMap<>();
    for (Map.Entry<String, Path> e : linked.entrySet()) {
      Optional<Noted> now = state(e.getValue());
      if (now.isPresent()) {
        noted.put(e.getKey(), now.get());
      }
    }
    return new AptCacheLinks(noted);
  }

  private static Optional<Noted> state(Path cached) throws IOException {
    try {
      Map<String, Object> attributes = Files.readAttributes(cached, "unix:ino,dev,ctime", LinkOption.NOFOLLOW_LINKS);
      return Optional.of(new Noted(cached, List.of(attributes.get("dev"), attributes.get("ino")),
          (FileTime) attributes.get("ctime")));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    }
  }

  /**
   * Checks the noted files once no package script runs any more: a file whose inode changed since it was noted is
   * published again as a new inode when {@code index} (read before the run) vouches for its bytes, and removed from
   * the cache otherwise (also when there is no index); a file the cache no longer holds under that inode is left.
   * Returns the failure naming the removed files, if any; each decision is logged.
   */
  Optional<BuildFailure> recheck(AptPackageIndex index, Consumer<String> log) throws IOException {
    List<String> removed = new ArrayList<>();
    int republished = 0;
    for (Map.Entry<String, Noted> e : noted.entrySet()) {
      Noted before = e.getValue();
      Optional<Noted> now = state(before.cached());
      if (now.isEmpty() || !Objects.equals(now.get().inode(), before.inode())
          || now.get().changed().equals(before.changed())) {
        continue; // gone, replaced by another build's publish, or untouched
      }
      String sha256 = AptDriver.sha256(before.cached());
      if (index != null && index.vouchesFor(e.getKey(), sha256)) {
        AptDriver.publish(before.cached(), before.cached()); // a new inode, no name in any image
        republished++;
      } else {
        Files.deleteIfExists(before.cached());
        removed.add(e.getKey() + " (sha256 " + sha256 + (index == null ? "" : index.sha256(e.getKey())
            .map(s -> ", the signed indices state " + s).orElse(", not in the signed indices")) + ")");
      }
    }
    if (republished > 0) {
      log.accept("apt: " + republished + " package files of the warm cache were linked to or changed in the root"
          + " while the run ran (a package script, or another build of this repo); their bytes are the ones the"
          + " signed indices state, and they are published again as new files, so no link in the image reaches"
          + " the cache");
    }
    if (removed.isEmpty()) {
      return Optional.empty();
    }
    String what = String.join(", ", removed);
    log.accept("apt: removed from the warm cache, changed through their links in the root while the run ran: "
        + what);
    return Optional.of(new BuildFailure(Kind.INTEGRITY, "apt: a package script of this build changed the warm"
        + " cache's package file(s) " + what + " through their links in the root; they are removed from the cache"
        + " and the build fails. A package this definition installs writes into /var/cache/apt/archives: find it"
        + " in the build log and drop it or its repository"));
  }
}
