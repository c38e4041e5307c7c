package org.bootfarm.worker.pkg;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import org.bootfarm.worker.process.ExternalCommand;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * mmdebstrap's first gate, run as mmdebstrap runs it (a setup hook given {@code MMDEBSTRAP_APT_CONFIG}): it holds
 * until the essential files are fetched (here at once, so the gate must also wait for the caches) and meanwhile builds
 * apt's caches of the root's indices with that
 * configuration, so mmdebstrap's own apt reads them instead of parsing the indices after the gate.
 */
@Tag("tool")
class AptBootstrapFetchTest {

  @Test
  void theEssentialGateBuildsAptsCachesWithMmdebstrapsConfigurationWhileItWaits(@TempDir Path dir) throws Exception {
    // a root with the indices of a local repository, as the resolution leaves them, and mmdebstrap's kind of apt.conf
    Path repo = Files.createDirectories(dir.resolve("repo"));
    Files.writeString(repo.resolve("Packages"), "Package: hello\nVersion: 1.0\nArchitecture: all\n"
        + "Filename: ./hello_1.0_all.deb\nSize: 1\nSHA256: " + "0".repeat(64) + "\nDescription: hello\n\n");
    Path root = dir.resolve("root");
    for (String d : List.of("var/lib/apt/lists/partial", "var/cache/apt/archives/partial", "var/lib/dpkg",
        "etc/apt/apt.conf.d", "etc/apt/preferences.d", "etc/apt/sources.list.d")) {
      Files.createDirectories(root.resolve(d));
    }
    Files.writeString(root.resolve("var/lib/dpkg/status"), "");
    Files.writeString(root.resolve("etc/apt/sources.list"), "deb [trusted=yes] file:" + repo + " ./\n");
    Path config = Files.writeString(dir.resolve("mmdebstrap.apt.conf"), "Apt::Architecture \"amd64\";\n"
        + "Apt::Architectures \"amd64\";\nDir \"" + root + "\";\nDir::State::Status \"" + root
        + "/var/lib/dpkg/status\";\npkgCacheGen::ForceEssential \",\";\n");
    ExternalCommand.Result update = ExternalCommand.run(List.of("apt-get", "update", "-o",
        "pkgCacheFile::Generate=false"), Map.of("APT_CONFIG", config.toString()), null, line -> { });
    assertEquals(0, update.exitCode(), () -> update.lastLines(20));
    Path caches = root.resolve("var/cache/apt");
    assertTrue(!Files.exists(caches.resolve("srcpkgcache.bin")), "no cache before the gate");

    Path gates = dir.resolve("gates");
    try (AptBootstrapFetch fetch = AptBootstrapFetch.start(gates, dir.resolve("scratch"), dir.resolve("scratch/late"),
        () -> { }, () -> { })) {
      List<String> hook = fetch.mmdebstrapOptions().stream().filter(o -> o.startsWith("--setup-hook="))
          .map(o -> o.substring("--setup-hook=".length())).toList();
      assertEquals(1, hook.size(), fetch.mmdebstrapOptions()::toString);
      ExternalCommand.Result gate = ExternalCommand.run(List.of("sh", "-c", hook.get(0)),
          Map.of("MMDEBSTRAP_APT_CONFIG", config.toString()), null, line -> { });
      assertEquals(0, gate.exitCode(), () -> gate.lastLines(20));
      fetch.finish();
    }

    assertTrue(Files.size(caches.resolve("srcpkgcache.bin")) > 0, "the gate built apt's source cache");
    // mmdebstrap's apt finds the cache valid: it reads it and does not write another (apt writes a new file and
    // renames it over the old one, so a rewrite is another inode)
    Object built = Files.readAttributes(caches.resolve("srcpkgcache.bin"), BasicFileAttributes.class).fileKey();
    ExternalCommand.Result policy = ExternalCommand.run(List.of("apt-cache", "policy", "hello"),
        Map.of("APT_CONFIG", config.toString()), null, line -> { });
    assertEquals(0, policy.exitCode(), () -> policy.lastLines(20));
    assertTrue(policy.lastLines(20).contains("1.0"), () -> policy.lastLines(20));
    assertEquals(built, Files.readAttributes(caches.resolve("srcpkgcache.bin"), BasicFileAttributes.class).fileKey(),
        "apt rebuilt the cache the gate made");
  }
}
