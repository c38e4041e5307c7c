package org.bootfarm.worker.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.bootfarm.protocol.api.v1.WorkerInfo;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A worker's id is the flag when given, else made once and kept in the data dir, so restarts keep it. */
@Tag("unit")
class WorkerIdentityTest {
  @TempDir Path dir;

  @Test
  void idIsCreatedOnceAsHostnameAndHexAndKept() throws Exception {
    String first = WorkerIdentity.resolve(null, dir.resolve("data"));
    assertTrue(first.matches(WorkerInfo.ID_PATTERN), first);
    assertTrue(first.matches(".+-[0-9a-f]{8}"), first);
    assertTrue(first.startsWith(WorkerIdentity.hostName() + "-"), first);
    assertEquals(first, WorkerIdentity.resolve(null, dir.resolve("data")), "a restart keeps the id");
    assertEquals(first + "\n", Files.readString(dir.resolve("data").resolve(WorkerIdentity.FILE_NAME)));
    assertEquals("build-7.rack_2", WorkerIdentity.resolve("build-7.rack_2", dir.resolve("data")), "the flag wins");
  }

  @Test
  void invalidFlagOrKeptFileIsRefusedSayingWhatAnIdMayHold() throws Exception {
    IllegalArgumentException flag = assertThrows(IllegalArgumentException.class,
        () -> WorkerIdentity.resolve("w/1", dir));
    assertTrue(flag.getMessage().contains("--worker-id 'w/1'"), flag.getMessage());
    assertThrows(IllegalArgumentException.class, () -> WorkerIdentity.resolve("x".repeat(65), dir));
    Files.writeString(dir.resolve(WorkerIdentity.FILE_NAME), "two words\n");
    IllegalArgumentException kept = assertThrows(IllegalArgumentException.class,
        () -> WorkerIdentity.resolve(null, dir));
    assertTrue(kept.getMessage().contains(dir.resolve(WorkerIdentity.FILE_NAME).toString()), kept.getMessage());
  }
}
