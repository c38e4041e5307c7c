package org.bootfarm.worker.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Image paths resolve inside the tree as openat2(RESOLVE_IN_ROOT) does, and what the worker places
 * into an image replaces a link instead of writing through it. Every case plants the links a hostile
 * package or hook could plant, and checks a canary on the host side that must not change.
 */
@Tag("unit")
class ImageRootTest {

  @TempDir Path tmp;
  Path build;
  Path host;
  Path canary;
  ImageRoot image;

  @BeforeEach
  void layOut() throws IOException {
    build = Files.createDirectories(tmp.resolve("build"));
    host = Files.createDirectories(tmp.resolve("host"));
    canary = Files.writeString(host.resolve("shadow"), "root:secret:19000::::::\n");
    image = ImageRoot.create(build, "stage/rootfs");
  }

  Path inImage(String relative) {
    return image.hostPath().resolve(relative);
  }

  void assertCanaryUnchanged() throws IOException {
    assertEquals("root:secret:19000::::::\n", Files.readString(canary));
    try (var files = Files.list(host)) {
      assertEquals(List.of(canary), files.toList(), "nothing new appeared in the host directory");
    }
  }

  @Test
  void placingAFileReplacesTheLinkAtItsPathAndLeavesTheLinkTargetAlone() throws IOException {
    Files.createDirectories(inImage("bin"));
    byte[] busybox = "\177ELF multi-call binary".getBytes(StandardCharsets.UTF_8);
    Files.write(inImage("bin/busybox"), busybox);
    Files.createSymbolicLink(inImage("bin/init"), Path.of("busybox"));

    image.write("/bin/init", "#!/bin/bash\necho init\n".getBytes(StandardCharsets.UTF_8), "rwxr-xr-x");

    assertArrayEquals(busybox, Files.readAllBytes(inImage("bin/busybox")), "the multi-call binary was overwritten");
    assertFalse(Files.isSymbolicLink(inImage("bin/init")));
    assertEquals("#!/bin/bash\necho init\n", Files.readString(inImage("bin/init")));
    assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(inImage("bin/init"))));
  }

  @Test
  void aLinkToAHostFileIsReplacedNotWrittenThrough() throws IOException {
    Files.createSymbolicLink(inImage(".tempfs_list"), canary);

    image.write("/.tempfs_list", "/lib/modules/*\n".getBytes(StandardCharsets.UTF_8), "rw-r--r--");

    assertCanaryUnchanged();
    assertEquals("/lib/modules/*\n", Files.readString(inImage(".tempfs_list")));
  }

  @Test
  void anAbsoluteDirectoryLinkIsFollowedInsideTheTreeNeverToTheHost() throws IOException {
    Path bootfs = ImageRoot.create(build, "stage/bootfs").hostPath();
    Files.createSymbolicLink(bootfs.resolve("boot"), host);
    ImageRoot boot = ImageRoot.open(build, "stage/bootfs");

    Path kernel = boot.write("/boot/vmlinuz64", "kernel".getBytes(StandardCharsets.UTF_8), "rw-r--r--");

    assertCanaryUnchanged();
    assertTrue(kernel.startsWith(bootfs), kernel + " is outside the tree");
    assertEquals(bootfs.resolve(tmp.getRoot().relativize(host)).resolve("vmlinuz64"), kernel);
    assertArrayEquals("kernel".getBytes(StandardCharsets.UTF_8), boot.read("/boot/vmlinuz64"));
  }

  @Test
  void dotDotInARelativeLinkStopsAtTheRoot() throws IOException {
    Files.createDirectories(inImage("var"));
    String climb = "../".repeat(image.hostPath().getNameCount() + 3) + host.toString().substring(1);
    Files.createSymbolicLink(inImage("var/cache"), Path.of(climb));

    image.write("/var/cache/apt/archives/x.deb", new byte[] {1}, "rw-r--r--");
    image.deleteChildren("/var/cache");

    assertCanaryUnchanged();
    Path inside = image.resolve("/var/cache/apt/archives/x.deb");
    assertTrue(inside.startsWith(image.hostPath()), inside + " is outside the tree");
  }

  @Test
  void deletingALinkRemovesTheLinkNotWhatItNames() throws IOException {
    Files.createDirectories(inImage("var"));
    Files.createSymbolicLink(inImage("var/cache"), host);
    Files.createSymbolicLink(inImage("hostname"), canary);

    image.deleteChildren("/var/cache");
    assertTrue(image.delete("/var/cache"));
    assertTrue(image.delete("/hostname"));

    assertCanaryUnchanged();
    assertFalse(Files.exists(inImage("var/cache"), LinkOption.NOFOLLOW_LINKS));
  }

  @Test
  void readingFollowsLinksInsideTheTreeOnly() throws IOException {
    Files.createDirectories(inImage("usr/lib"));
    Files.createDirectories(inImage("etc"));
    Files.writeString(inImage("usr/lib/os-release"), "ID=debian\n");
    Files.createSymbolicLink(inImage("etc/os-release"), Path.of("../usr/lib/os-release"));
    Files.createSymbolicLink(inImage("etc/shadow"), canary);

    assertEquals("ID=debian\n", new String(image.read("/etc/os-release"), StandardCharsets.UTF_8));
    assertFalse(image.exists("/etc/shadow"), "a link to a host path names the same path inside the tree");
    assertThrows(NoSuchFileException.class, () -> image.read("/etc/shadow"));
  }

  @Test
  void executableChecksFollowTheImagesOwnLinks() throws IOException {
    Files.createDirectories(inImage("usr/bin"));
    Files.createSymbolicLink(inImage("bin"), Path.of("usr/bin"));
    Files.createDirectories(inImage("lib/systemd"));
    Files.write(inImage("usr/bin/udevadm"), new byte[] {1});
    Files.setPosixFilePermissions(inImage("usr/bin/udevadm"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.createSymbolicLink(inImage("lib/systemd/systemd-udevd"), Path.of("/bin/udevadm"));
    Files.createSymbolicLink(inImage("lib/systemd/systemd"), Path.of("/usr/bin/bash")); // bash is on the host only

    assertTrue(image.isExecutable("/lib/systemd/systemd-udevd"));
    assertFalse(image.isExecutable("/lib/systemd/systemd"));
  }

  @Test
  void aTreeReplacedByALinkIsRefused() throws IOException {
    Path rootfs = image.hostPath();
    Files.delete(rootfs);
    Files.createSymbolicLink(rootfs, host);

    FileSystemException refused = assertThrows(FileSystemException.class, () -> ImageRoot.open(build, "stage/rootfs"));
    assertTrue(refused.getMessage().contains("symbolic link"), refused.getMessage());
    assertCanaryUnchanged();
  }

  @Test
  void linkLoopsEndInAnError() throws IOException {
    Files.createSymbolicLink(inImage("a"), Path.of("b"));
    Files.createSymbolicLink(inImage("b"), Path.of("/a"));

    FileSystemException loop = assertThrows(FileSystemException.class, () -> image.resolve("/a/x"));
    assertTrue(loop.getMessage().contains("too many levels"), loop.getMessage());
  }

  @Test
  void aDirectoryWhereAFileGoesIsAnErrorNamingThePath() throws IOException {
    Files.createDirectories(inImage("bin/init"));

    IOException refused = assertThrows(IOException.class, () -> image.write("/bin/init", new byte[0], "rwxr-xr-x"));
    assertTrue(refused.getMessage().contains("/bin/init"), refused.getMessage());
  }

  @Test
  void newDirectoriesAre0755WhateverTheLinksOnTheWay() throws IOException {
    Files.createDirectories(inImage("usr"));
    Files.createSymbolicLink(inImage("lib"), Path.of("/usr/lib"));

    Path dir = image.createDirectories("/lib/modules/6.1");

    assertEquals(inImage("usr/lib/modules/6.1"), dir);
    assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(inImage("usr/lib"))));
    assertEquals("rwxr-xr-x", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
  }

  @Test
  void movingBetweenTreesTakesTheFileNotALink() throws IOException {
    ImageRoot bootfs = ImageRoot.create(build, "stage/bootfs");
    Files.createDirectories(inImage("boot"));
    Files.writeString(inImage("boot/vmlinuz-6.1"), "kernel");
    Files.createSymbolicLink(bootfs.hostPath().resolve("boot"), host);

    image.moveTo("/boot/vmlinuz-6.1", bootfs, "/boot/vmlinuz64");

    assertCanaryUnchanged();
    assertFalse(Files.exists(inImage("boot/vmlinuz-6.1")));
    assertEquals("kernel", new String(bootfs.read("/boot/vmlinuz64"), StandardCharsets.UTF_8));
  }

  @Test
  void rewritingEditsTheFileAndKeepsItsMode() throws IOException {
    Files.createDirectories(inImage("etc"));
    Path passwd = Files.writeString(inImage("etc/passwd"), "root:x:0:0::/root:/bin/sh\n");
    Files.setPosixFilePermissions(passwd, PosixFilePermissions.fromString("rw-r-----"));

    image.rewrite("/etc/passwd", "root:x:0:0::/root:/bin/bash\n".getBytes(StandardCharsets.UTF_8));

    assertEquals("root:x:0:0::/root:/bin/bash\n", Files.readString(passwd));
    assertEquals("rw-r-----", PosixFilePermissions.toString(Files.getPosixFilePermissions(passwd)));
  }
}
