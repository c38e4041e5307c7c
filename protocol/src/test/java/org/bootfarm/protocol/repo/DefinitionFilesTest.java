package org.bootfarm.protocol.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A definition as a build sees it (ADR 0067): the same modes whoever wrote it (a worker from a message, an operator's
 * checkout), every mtime SOURCE_DATE_EPOCH, the digest unchanged, the record's paths moved into the copy.
 */
@Tag("unit")
class DefinitionFilesTest {
  @TempDir Path tmp;

  @Test
  void aNormalisedCopyHasTheRuleSModesTheEpochAsMtimeAndTheSameDigest() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("checkout/fixture-1.0"));
    Files.writeString(dir.resolve("base.sh"), "#!/bin/bash\n");
    Files.setPosixFilePermissions(dir.resolve("base.sh"), PosixFilePermissions.fromString("rw-------"));
    Files.createDirectories(dir.resolve("files"));
    Files.writeString(dir.resolve("files/tool"), "data\n");
    Files.setPosixFilePermissions(dir.resolve("files/tool"), PosixFilePermissions.fromString("rwx------"));
    Files.setPosixFilePermissions(dir.resolve("files"), PosixFilePermissions.fromString("rwx------"));
    Files.setLastModifiedTime(dir.resolve("files/tool"), FileTime.fromMillis(0));
    RepoDefinition definition = new RepoDefinition(dir, null, List.of(), List.of(
        new RepoDefinition.ResolvedKey("file:///etc/pki/rpm-gpg/KEY", tmp.resolve("keys/KEY"))), Optional.empty(),
        dir.resolve("init.sh"), Optional.of(dir.resolve("base.sh")), Optional.empty());

    Path to = tmp.resolve("build/definition/fixture-1.0");
    RepoDefinition copy = DefinitionFiles.normalizedCopy(definition, to, 1_700_000_000L);

    assertEquals(RepoDefinitionLoader.digest(dir), RepoDefinitionLoader.digest(to));
    for (Map.Entry<String, String> expected : Map.of("base.sh", "rwxr-xr-x", "files/tool", "rw-r--r--", "files",
        "rwxr-xr-x", "", "rwxr-xr-x").entrySet()) {
      Path p = expected.getKey().isEmpty() ? to : to.resolve(expected.getKey());
      assertEquals(expected.getValue(), PosixFilePermissions.toString(Files.getPosixFilePermissions(p)), p::toString);
      assertEquals(1_700_000_000_000L, Files.getLastModifiedTime(p).toMillis(), p::toString);
    }
    assertEquals(DefinitionFiles.mode("base.sh"), Files.getPosixFilePermissions(to.resolve("base.sh")),
        "the rule a worker writes a definition it was sent with");
    assertEquals(to, copy.directory());
    assertEquals(Optional.of(to.resolve("base.sh")), copy.baseHook());
    assertEquals(to.resolve("init.sh"), copy.initScript());
    assertEquals(tmp.resolve("keys/KEY"), copy.gpgKeys().get(0).file(), "a trusted key stays where it was found");
  }
}
