package org.bootfarm.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A farm process's own directories are its user's alone: made 0700, set 0700 when others could enter them. */
@Tag("unit")
class PrivateDirectoryTest {
  @TempDir Path dir;

  static String mode(Path path) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }

  @Test
  void aMissingDirectoryIsMadeForItsUserAloneWithItsParents() throws Exception {
    Path data = dir.resolve("var/lib/bootfarm");
    assertEquals(data, PrivateDirectory.ensure(data, "the test's data directory"));
    assertEquals("rwx------", mode(data));
  }

  @Test
  void anExistingDirectoryOthersMayReadIsClosedAndItsContentKept() throws Exception {
    Path data = Files.createDirectories(dir.resolve("data"));
    Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwxr-xr-x"));
    Path records = Files.writeString(data.resolve("builds.sqlite"), "records");
    PrivateDirectory.ensure(data, "the test's data directory");
    assertEquals("rwx------", mode(data));
    assertEquals("records", Files.readString(records));
    Files.setPosixFilePermissions(data, PosixFilePermissions.fromString("rwx------"));
    PrivateDirectory.ensure(data, "the test's data directory");
    assertEquals("rwx------", mode(data), "a private one stays as it is");
  }

  @Test
  void aSharedStickyDirectoryIsLeftAsItIs() throws Exception {
    Path shared = Files.createDirectories(dir.resolve("tmp"));
    new ProcessBuilder("chmod", "1777", shared.toString()).start().waitFor();
    PrivateDirectory.ensure(shared, "the test's data directory");
    assertEquals("rwxrwxrwx", mode(shared), "a /tmp-like directory is everybody's: only warned about");
  }
}
