package org.bootfarm.worker.archive;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("unit")
class ImageTreeTest {

  @TempDir Path temp;

  private Map<String, TreeEntry> scanSample() throws Exception {
    SampleTree.create(temp.resolve("t"), "022", false, "@1800000000");
    return ImageTree.scan(temp.resolve("t"), SampleTree.SDE).stream()
        .collect(Collectors.toMap(TreeEntry::path, Function.identity()));
  }

  @Test
  void mtimesAreClampedToSourceDateEpoch() throws Exception {
    Map<String, TreeEntry> byPath = scanSample();
    assertEquals(SampleTree.SDE, byPath.get("bin/hello").mtime());
    assertEquals(SampleTree.SDE, byPath.get("etc/passwd-link").mtime(), "symlink's own mtime");
    assertEquals(SampleTree.SDE, byPath.get("etc").mtime(), "directory created now");
    assertEquals(1_600_000_000L, byPath.get("etc/passwd").mtime(), "older mtime kept");
    assertEquals(1_600_000_000L, byPath.get("bin/hi").mtime(), "older symlink mtime kept");
  }

  @Test
  void entriesAreSortedByPathBytesWithoutRootOrDotPrefix() throws Exception {
    SampleTree.create(temp.resolve("t"), "022", false, "@1800000000");
    SampleTree.sh("cd " + temp.resolve("t") + " && touch a-b && mkdir a && touch a/b B");
    List<String> paths =
        ImageTree.scan(temp.resolve("t"), SampleTree.SDE).stream().map(TreeEntry::path).toList();
    List<String> sorted = new ArrayList<>(paths);
    sorted.sort(ImageTree.BYTE_ORDER);
    assertEquals(sorted, paths);
    // '-' (0x2d) sorts before '/' (0x2f), upper case before lower case
    assertEquals(List.of("B", "a", "a-b", "a/b"), paths.subList(0, 4));
    assertTrue(paths.stream().noneMatch(p -> p.isEmpty() || p.startsWith("./") || p.startsWith("/")));
  }

  @Test
  void readsOwnersModesDevicesAndSymlinkTargets() throws Exception {
    Map<String, TreeEntry> byPath = scanSample();
    TreeEntry shadow = byPath.get("etc/shadow");
    assertEquals(0640, shadow.mode());
    assertEquals(42, shadow.gid());
    assertEquals(04755, byPath.get("bin/su").mode());
    assertEquals(01777, byPath.get("tmp").mode());
    TreeEntry nul = byPath.get("dev/null");
    assertEquals(TreeEntry.Type.CHAR_DEVICE, nul.type());
    assertEquals(1, nul.rdevMajor());
    assertEquals(3, nul.rdevMinor());
    assertEquals(TreeEntry.Type.BLOCK_DEVICE, byPath.get("dev/sda").type());
    assertEquals(8, byPath.get("dev/sda").rdevMajor());
    assertEquals(TreeEntry.Type.FIFO, byPath.get("dev/initctl").type());
    assertEquals("/etc/passwd", byPath.get("etc/passwd-link").symlinkTarget());
    assertEquals(TreeEntry.Type.SYMLINK, byPath.get("etc/passwd-link").type());
    assertEquals(0, byPath.get("etc").size(), "directory sizes are filesystem noise");
  }

  @Test
  void secondPathOfHardLinkPointsToFirstInByteOrder() throws Exception {
    Map<String, TreeEntry> byPath = scanSample();
    // "big-link.dat" < "big.dat" because '-' < '.'
    assertNull(byPath.get("usr/lib/big-link.dat").hardLinkTo());
    assertEquals("usr/lib/big-link.dat", byPath.get("usr/lib/big.dat").hardLinkTo());
    assertEquals(70000, byPath.get("usr/lib/big.dat").size());
  }

  @Test
  void socketIsSkippedAndReported() throws Exception {
    Path root = temp.resolve("s");
    Files.createDirectories(root.resolve("run"));
    SampleTree.sh(
        "python3 -c \"import socket; socket.socket(socket.AF_UNIX).bind('"
            + root.resolve("run/daemon.sock") + "')\"");
    ImageTree.Scan scan = ImageTree.walk(root, SampleTree.SDE);
    assertEquals(List.of("run/daemon.sock"), scan.skippedSockets());
    assertEquals(List.of("run"), scan.entries().stream().map(TreeEntry::path).toList());
  }

  @Test
  void clampMtimesSetsLateFilesAndSymlinksThemselves() throws Exception {
    Path root = temp.resolve("t");
    SampleTree.create(root, "022", false, "@1800000000");
    ImageTree.clampMtimes(root, SampleTree.SDE);
    for (Path p : List.of(root, root.resolve("bin/hello"), root.resolve("etc/passwd-link"))) {
      assertEquals(
          SampleTree.SDE,
          Files.getLastModifiedTime(p, LinkOption.NOFOLLOW_LINKS).toMillis() / 1000,
          p.toString());
    }
    assertEquals(
        1_600_000_000L, Files.getLastModifiedTime(root.resolve("etc/passwd")).toMillis() / 1000);
  }
}
