package org.bootfarm.worker.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;
import org.bootfarm.protocol.Sha256;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The engine's code digest (ADR 0067): a jar stamped with it names it, stamping again changes no byte (the jar stays
 * reproducible), any changed class or resource changes it; run from class directories, a changed file does too.
 */
@Tag("unit")
class EngineCodeTest {
  @TempDir Path dir;

  private Path jar(String name, String classBytes) throws Exception {
    Path jar = dir.resolve(name);
    try (OutputStream file = Files.newOutputStream(jar); ZipOutputStream zip = new ZipOutputStream(file)) {
      for (String[] entry : new String[][] {{"META-INF/MANIFEST.MF", "Manifest-Version: 1.0\n"},
          {"org/bootfarm/worker/A.class", classBytes}, {"org/bootfarm/worker/assemble/bootstrap", "#!/bin/bash\n"}}) {
        ZipEntry e = new ZipEntry(entry[0]);
        e.setTime(1_767_225_600_000L);
        zip.putNextEntry(e);
        zip.write(entry[1].getBytes(StandardCharsets.UTF_8));
        zip.closeEntry();
      }
    }
    return jar;
  }

  @Test
  void aStampedJarNamesItsDigestAndStampingAgainChangesNothing() throws Exception {
    Path jar = jar("bootfarm.jar", "class A v1");
    String digest = EngineCode.ofJar(jar);
    EngineCode.main(new String[] {"stamp", jar.toString(), "2026-01-01T00:00:00Z"});
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      String stamped = new String(zip.getInputStream(zip.getEntry(EngineCode.RESOURCE)).readAllBytes(),
          StandardCharsets.US_ASCII);
      assertEquals(digest + "\n", stamped);
    }
    assertEquals(digest, EngineCode.ofJar(jar), "the stamp is not part of what it digests");
    String once = Sha256.of(jar);
    EngineCode.main(new String[] {"stamp", jar.toString(), "2026-01-01T00:00:00Z"});
    assertEquals(once, Sha256.of(jar), "stamping a stamped jar rewrites it byte for byte");

    Path copy = Files.copy(jar("other.jar", "class A v1"), dir.resolve("again.jar"), StandardCopyOption.REPLACE_EXISTING);
    Thread.sleep(1100); // a stamp that took any time from the clock would differ now
    EngineCode.main(new String[] {"stamp", copy.toString(), "2026-01-01T00:00:00Z"});
    assertEquals(once, Sha256.of(copy), "the same code stamped elsewhere is the same jar");
    assertNotEquals(digest, EngineCode.ofJar(jar("changed.jar", "class A v2")), "another class, another digest");
  }

  @Test
  void runFromClassDirectoriesAChangedFileChangesTheDigest() throws Exception {
    Path classes = Files.createDirectories(dir.resolve("classes/org/bootfarm/worker/assemble"));
    Files.writeString(classes.resolve("bootstrap"), "#!/bin/bash\n");
    String classpath = dir.resolve("classes") + File.pathSeparator + dir.resolve("library-1.0.jar");
    String before = EngineCode.ofClasspath(classpath);
    assertEquals(before, EngineCode.ofClasspath(classpath));
    Files.writeString(classes.resolve("bootstrap"), "#!/bin/bash\n# changed\n");
    assertNotEquals(before, EngineCode.ofClasspath(classpath));
    assertNotEquals(before, EngineCode.ofClasspath(dir.resolve("library-1.1.jar") + File.pathSeparator
        + dir.resolve("classes")));
  }

  @Test
  void theBuilderNamesTheVersionAndTheDigest() {
    assertTrue(EngineCode.builder().matches("bootfarm-(dev|[0-9][^+]*)\\+engine\\.[0-9a-f]{64}"), EngineCode.builder());
    assertEquals(EngineCode.builder(), BuildEngine.builderVersion());
  }
}
