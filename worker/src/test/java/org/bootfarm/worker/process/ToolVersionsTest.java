package org.bootfarm.worker.process;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A tool's version is asked once while its executable is the same file, and again once a package upgrade (or
 * anything) has put another file there; a tool that is not there answers "unknown".
 */
@Tag("unit")
class ToolVersionsTest {
  @TempDir Path dir;

  private Path tool(String name, String version) throws Exception {
    Path script = dir.resolve(name + ".new");
    Files.writeString(script, "#!/bin/sh\necho run >> " + dir.resolve("runs") + "\necho '" + version + "'\n");
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    return Files.move(script, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  private long runs() throws Exception {
    return Files.exists(dir.resolve("runs")) ? Files.readAllLines(dir.resolve("runs")).size() : 0;
  }

  @Test
  void askedOnceWhileTheExecutableStaysAndAgainWhenItIsReplaced() throws Exception {
    Path tool = tool("frob", "frob 1.0");
    List<String> command = List.of(tool.toString(), "--version");

    ToolVersions.ask(command);
    assertEquals("frob 1.0", ToolVersions.of(command));
    assertEquals("frob 1.0", ToolVersions.of(command));
    assertEquals(1, runs(), "asked once");

    tool("frob", "frob 2.0 (upgraded)");
    assertEquals("frob 2.0 (upgraded)", ToolVersions.of(command));
    assertEquals(2, runs());
  }

  @Test
  void aToolThatIsNotThereIsUnknown() {
    assertEquals("unknown", ToolVersions.of(List.of(dir.resolve("absent").toString(), "--version")));
  }
}
