package org.bootfarm.worker.cache;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.protocol.repo.RepoSpec;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stage cache's publication and lookup rules on plain files: only a copy that hashes to the given
 * sha256 is published, an entry past its age is discarded, and the base key changes with every input the
 * base stage reads and with none it does not.
 */
@Tag("unit")
class StageCacheTest {
  private static final String KEY = "a".repeat(64);
  /** The sha256 of the bytes {@link #gzipped} compresses, as {@code sha256sum} prints it for "archive bytes". */
  private static final String TAR_SHA256 = Sha256.of("archive bytes".getBytes(java.nio.charset.StandardCharsets.UTF_8));
  @TempDir Path dir;

  /** A gzip file holding {@code content}, standing in for a stage archive (the cache checks the tar's sha256). */
  private Path gzipped(String content) throws IOException {
    Path file = dir.resolve("base.tar.gz");
    try (var out = new java.util.zip.GZIPOutputStream(Files.newOutputStream(file))) {
      out.write(content.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }
    return file;
  }
  private final StringBuilder log = new StringBuilder();

  @Test
  void publishedEntryIsFoundAndAnotherKeyIsNot() throws IOException {
    Path archive = gzipped("archive bytes");
    StageCache cache = new StageCache(dir.resolve("stages"));
    StageCache.Entry entry = cache.publish("base", KEY, archive, TAR_SHA256);
    assertEquals(Optional.of(entry), cache.find("base", KEY, this::line));
    assertEquals(Optional.empty(), cache.find("base", "b".repeat(64), this::line));
    assertEquals(List.of(entry.archive()), files(dir.resolve("stages/base")));
  }

  @Test
  void archiveThatDoesNotHashToItsSha256IsNotPublished() throws IOException {
    Path archive = gzipped("archive bytes");
    StageCache cache = new StageCache(dir.resolve("stages"));
    IOException refused = assertThrows(IOException.class, () -> cache.publish("base", KEY, archive, "0".repeat(64)));
    assertTrue(refused.getMessage().contains("not published"), refused.getMessage());
    assertEquals(List.of(), files(dir.resolve("stages/base")));
  }

  @Test
  void entryWhoseFileIsNotAWholeGzipIsDiscarded() throws IOException {
    Path archive = gzipped("archive bytes");
    StageCache cache = new StageCache(dir.resolve("stages"));
    StageCache.Entry entry = cache.publish("base", KEY, archive, TAR_SHA256);
    byte[] bytes = Files.readAllBytes(entry.archive());
    Files.write(entry.archive(), java.util.Arrays.copyOf(bytes, bytes.length - 6));
    assertEquals(Optional.empty(), cache.find("base", KEY, this::line));
    assertTrue(log.toString().contains("is corrupt (its tar hashes to nothing"), log::toString);
    assertEquals(List.of(), files(dir.resolve("stages/base")));
  }

  @Test
  void entryOlderThanADayIsDiscarded() throws IOException {
    Path archive = gzipped("archive bytes");
    StageCache.Entry entry = new StageCache(dir.resolve("stages")).publish("base", KEY, archive, TAR_SHA256);
    Instant published = Files.getLastModifiedTime(entry.archive()).toInstant();
    StageCache later = new StageCache(dir.resolve("stages"),
        Clock.fixed(published.plus(StageCache.MAX_AGE).plusSeconds(1), ZoneOffset.UTC));
    assertEquals(Optional.empty(), later.find("base", KEY, this::line));
    assertTrue(log.toString().contains("older than 24 h; discarded"), log::toString);
    assertEquals(List.of(), files(dir.resolve("stages/base")));
  }

  @Test
  void publishingDeletesExpiredEntriesOfOtherKeys() throws IOException {
    Path archive = gzipped("archive bytes");
    StageCache cache = new StageCache(dir.resolve("stages"));
    StageCache.Entry old = cache.publish("base", "c".repeat(64), archive, TAR_SHA256);
    Files.setLastModifiedTime(old.archive(), FileTime.from(Instant.now().minus(StageCache.MAX_AGE).minusSeconds(60)));
    StageCache.Entry fresh = cache.publish("base", KEY, archive, TAR_SHA256);
    assertEquals(List.of(fresh.archive()), files(dir.resolve("stages/base")));
  }

  @Test
  void baseKeyFollowsWhatTheBaseStageReadsOnly() throws IOException {
    Path definition = Files.createDirectories(dir.resolve("def"));
    Path baseSh = Files.writeString(definition.resolve("base.sh"), "#!/bin/sh\n");
    Path init = Files.writeString(definition.resolve("init.sh"), "drivers=()\n");
    RepoSpec spec = new RepoSpec("def", "apt", "/bin/init", "linux-image-cloud-amd64",
        Map.of("base", "busybox-static kmod", "bootstrap", "", "appliance", "systemd"), Map.of());
    RepoDefinition plain = new RepoDefinition(definition, spec, List.of(), List.of(), Optional.empty(), init,
        Optional.of(baseSh), Optional.empty());
    Path sources = Files.writeString(dir.resolve("debian.sources"), "Types: deb\n");
    Map<String, String> tools = Map.of("mmdebstrap", "1.3.5", "kmod", "30");
    String key = BaseStageKey.of(BaseStageKey.listing(plain, Optional.of(sources), 1, "bootfarm-dev", tools));

    RepoSpec otherAppliance = new RepoSpec("def", "apt", "/bin/init", "linux-image-cloud-amd64",
        Map.of("base", "busybox-static kmod", "bootstrap", "haveged", "appliance", "systemd dbus"), Map.of("appliance",
        "remove haveged"));
    Files.writeString(init, "drivers=(nf_nat)\n");
    assertEquals(key, BaseStageKey.of(BaseStageKey.listing(new RepoDefinition(definition, otherAppliance, List.of(),
        List.of(), Optional.empty(), init, Optional.of(baseSh), Optional.empty()), Optional.of(sources), 1,
        "bootfarm-dev", tools)), "init.sh, the target lists and staging scripts are not base inputs");

    assertNotEquals(key, BaseStageKey.of(BaseStageKey.listing(plain, Optional.of(sources), 2, "bootfarm-dev", tools)));
    assertNotEquals(key, BaseStageKey.of(BaseStageKey.listing(plain, Optional.of(sources), 1, "bootfarm-1.1", tools)));
    assertNotEquals(key, BaseStageKey.of(BaseStageKey.listing(plain, Optional.of(sources), 1, "bootfarm-dev",
        Map.of("mmdebstrap", "1.4.0", "kmod", "30"))));
    Files.writeString(sources, "Types: deb\nURIs: http://elsewhere/\n");
    assertNotEquals(key, BaseStageKey.of(BaseStageKey.listing(plain, Optional.of(sources), 1, "bootfarm-dev", tools)));
    Files.writeString(sources, "Types: deb\n");
    Files.writeString(baseSh, "#!/bin/sh\ntouch /x\n");
    assertNotEquals(key, BaseStageKey.of(BaseStageKey.listing(plain, Optional.of(sources), 1, "bootfarm-dev", tools)));
  }

  private void line(String stage, String text) {
    log.append(stage).append(": ").append(text).append('\n');
  }

  private static List<Path> files(Path directory) throws IOException {
    if (!Files.isDirectory(directory)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(directory)) {
      return files.sorted().toList();
    }
  }
}
