package org.bootfarm.worker.image;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The rule that keeps image trees safe, checked over the worker's sources: host code reaches a path
 * inside a rootfs or bootfs only through {@link ImageRoot}, never by resolving a path against the
 * tree's host directory itself (which would follow the links a definition planted). The tree's host
 * path ({@code hostPath()}, a package session's {@code rootfs()}) is handed whole to confined tools and
 * link-safe walkers, never extended.
 */
@Tag("unit")
class ImageAccessRuleTest {
  private static final Pattern BYPASS = Pattern.compile(
      "(hostPath\\(\\)|\\.rootfs\\(\\)|\\.bootfs\\(\\)|stageTree\\(\\))\\s*\\.resolve\\(|\\bInRoot\\.");

  @Test
  void noWorkerSourceResolvesAPathAgainstAnImageTreeDirectly() throws IOException {
    Path sources = Path.of("src/main/java");
    List<String> offences = new ArrayList<>();
    try (Stream<Path> files = Files.walk(sources)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".java")).sorted().toList()) {
        if (file.endsWith(Path.of("image/ImageRoot.java"))) {
          continue;
        }
        List<String> lines = Files.readAllLines(file);
        for (int i = 0; i < lines.size(); i++) {
          if (BYPASS.matcher(lines.get(i)).find()) {
            offences.add(sources.relativize(file) + ":" + (i + 1) + ": " + lines.get(i).strip());
          }
        }
      }
    }
    assertEquals(List.of(), offences, "resolve image paths with ImageRoot (resolve, locate, write, delete...)");
  }

  @Test
  void theRuleCatchesWhatItIsFor() {
    for (String bypass : List.of("Files.write(ctx.rootfs().resolve(\"bin/init\"), bytes);",
        "Path p = image.hostPath().resolve(\"etc/passwd\");", "session.rootfs() .resolve(\"var/cache\")",
        "Files.delete(ctx.stageTree().resolve(\"rootfs/x\"));")) {
      assertEquals(true, BYPASS.matcher(bypass).find(), bypass);
    }
    assertEquals(false, BYPASS.matcher("rootfs.write(\"/bin/init\", bytes, \"rwxr-xr-x\");").find());
  }
}
