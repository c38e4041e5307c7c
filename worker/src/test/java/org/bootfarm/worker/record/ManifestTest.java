package org.bootfarm.worker.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.build.Manifest;
import org.bootfarm.worker.archive.ImageTree;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("unit")
class ManifestTest {

  static final long SDE = 1_700_000_000L;

  @TempDir Path temp;

  private Path tree(String name) throws Exception {
    Path root = temp.resolve(name);
    Files.createDirectories(root.resolve("bin"));
    Files.writeString(root.resolve("bin/init"), "#!/bin/sh\n");
    Files.writeString(root.resolve("bin/tether"), "tether v1\n");
    Files.createSymbolicLink(root.resolve("bin/sh"), Path.of("busybox"));
    Files.writeString(root.resolve("bin/busybox"), "bb");
    return root;
  }

  @Test
  void manifestDiffNamesChangedFile() throws Exception {
    Path a = tree("a");
    Path b = tree("b");
    Files.writeString(b.resolve("bin/tether"), "tether v2 changed\n");
    Files.delete(b.resolve("bin/busybox"));
    Files.writeString(b.resolve("bin/extra"), "new\n");
    Manifest left = TreeManifest.of("initramfs", ImageTree.scan(a, SDE));
    Manifest right = TreeManifest.of("initramfs", ImageTree.scan(b, SDE));

    List<Manifest.Difference> diff = left.diff(right);
    assertEquals(
        List.of("bin/busybox", "bin/extra", "bin/tether"),
        diff.stream().map(Manifest.Difference::path).toList());
    Manifest.Difference tether = diff.get(2);
    assertEquals(10L, tether.leftSize());
    assertEquals(18L, tether.rightSize());
    assertEquals(Sha256.of(a.resolve("bin/tether")), tether.leftSha256());
    assertEquals(Sha256.of(b.resolve("bin/tether")), tether.rightSha256());
    assertEquals("size, sha256", tether.what());
    assertEquals("only left", diff.get(0).what());
    assertNull(diff.get(1).left());
    assertEquals(List.of(), left.diff(TreeManifest.of("initramfs", ImageTree.scan(tree("c"), SDE))));
  }

  @Test
  void modeChangeAloneIsADifference() throws Exception {
    Path a = tree("a");
    Manifest before = TreeManifest.of("iso", ImageTree.scan(a, SDE));
    Files.setPosixFilePermissions(
        a.resolve("bin/init"), java.nio.file.attribute.PosixFilePermissions.fromString("rwxr-xr-x"));
    List<Manifest.Difference> diff = before.diff(TreeManifest.of("iso", ImageTree.scan(a, SDE)));
    assertEquals(1, diff.size());
    assertEquals("mode", diff.get(0).what());
    assertEquals("0755", diff.get(0).right().mode());
  }

  @Test
  void jsonRoundTripKeepsFieldOrderAndEndsWithNewline() throws Exception {
    Path a = tree("a");
    Manifest merged =
        TreeManifest.of("iso", ImageTree.scan(a, SDE))
            .merge(TreeManifest.of("initramfs", ImageTree.scan(a, SDE)));
    assertEquals("initramfs", merged.entries().get(0).image(), "initramfs sorts before iso");
    Path file = temp.resolve("manifest.json");
    TreeManifest.write(merged, file);
    String json = Files.readString(file, StandardCharsets.UTF_8);
    assertTrue(json.endsWith("}\n"), json);
    assertTrue(json.startsWith("{\n  \"entries\" : [\n    {\n      \"image\" : \"initramfs\",\n"
        + "      \"path\" : \"bin\",\n      \"type\" : \"directory\",\n"
        + "      \"mode\" : \"0755\",\n      \"uid\" : 0,\n      \"gid\" : 0,\n"
        + "      \"size\" : 0\n    },\n    {\n"), json);
    assertTrue(json.contains("\"type\" : \"symlink\",\n      \"mode\" : \"0777\",\n"
        + "      \"uid\" : 0,\n      \"gid\" : 0,\n      \"size\" : 7,\n"
        + "      \"target\" : \"busybox\"\n"), json);
    Manifest back = Manifest.readJson(file);
    assertEquals(merged, back);
    assertEquals(List.of(), merged.diff(back));
    Path again = temp.resolve("again.json");
    TreeManifest.write(back, again);
    assertEquals(Sha256.of(file), Sha256.of(again), "same manifest, same bytes");
  }
}
