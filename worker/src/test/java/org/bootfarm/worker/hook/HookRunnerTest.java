package org.bootfarm.worker.hook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildLog;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs real hooks through bubblewrap: the original environment, and the sandbox's walls. */
@Tag("tool")
class HookRunnerTest {

  @TempDir Path tmp;
  Path build;
  Path bundle;
  Path repo;
  final List<String> lines = new CopyOnWriteArrayList<>();
  final BuildLog log = (stage, text) -> lines.add(stage + ": " + text);

  @BeforeEach
  void layOutBundle() throws IOException {
    build = Files.createDirectories(tmp.resolve("build"));
    bundle = Files.createDirectories(build.resolve("bundle"));
    Files.createDirectories(bundle.resolve("rootfs"));
    Files.createDirectories(bundle.resolve("bootfs/boot"));
    repo = Files.createDirectories(tmp.resolve("repos/test-1.0"));
  }

  Path hook(String name, String body) throws IOException {
    return Files.writeString(repo.resolve(name), "#!/bin/bash\n" + body);
  }

  void run(Path hook) throws BuildFailure {
    new HookRunner(build, 1_500_000_000L).run("base", hook, repo, bundle, log);
  }

  static Path repoRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("repos")) && Files.isRegularFile(p.resolve("pom.xml"))) {
        return p;
      }
    }
    throw new IllegalStateException("no repos/ above " + Path.of("").toAbsolutePath());
  }

  @Test
  void hookSeesTheOriginalEnvironment() throws Exception {
    Path hook = hook("base.sh", """
        echo "base customizations for $(basename $(dirname $0))"
        out=$(rootfs_dir $PKGDIR)/env.txt
        flags=$-
        {
          echo "PKGDIR=$PKGDIR"
          echo "REPODIR=$REPODIR"
          echo "rootfs=$(rootfs_dir $PKGDIR)"
          echo "bootfs=$(bootfs_dir $PKGDIR)"
          echo "child=$(bash -c 'rootfs_dir /x')"
          echo "LC_ALL=$LC_ALL"
          echo "TZ=$TZ"
          echo "umask=$(umask)"
          echo "SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH"
          echo "bash=${BASH_VERSION:+yes}"
          echo "pwd=$(pwd)"
          echo "hostname=$(cat /proc/sys/kernel/hostname)"
          echo "errexit=${flags//[^e]/}"
        } > "$out"
        """);
    run(hook);
    Map<String, String> env = new java.util.HashMap<>();
    for (String line : Files.readAllLines(bundle.resolve("rootfs/env.txt"))) {
      env.put(line.substring(0, line.indexOf('=')), line.substring(line.indexOf('=') + 1));
    }
    assertEquals(bundle.toString(), env.get("PKGDIR"));
    assertEquals(repo + "/", env.get("REPODIR"));
    assertEquals(bundle + "/rootfs", env.get("rootfs"));
    assertEquals(bundle + "/bootfs", env.get("bootfs"));
    assertEquals("/x/rootfs", env.get("child"));
    assertEquals("C", env.get("LC_ALL"));
    assertEquals("UTC", env.get("TZ"));
    assertEquals("0022", env.get("umask"));
    assertEquals("1500000000", env.get("SOURCE_DATE_EPOCH"));
    assertEquals("yes", env.get("bash"));
    assertEquals(bundle.toString(), env.get("pwd"));
    assertEquals("bootfarm", env.get("hostname"));
    assertEquals("e", env.get("errexit"));
    assertEquals(List.of("base: base customizations for test-1.0"), lines);
  }

  @Test
  void interruptingTheBuildStopsTheHookAndEverythingItStarted() throws Exception {
    String marker = "300.4715";
    Path hook = hook("base.sh", "sleep " + marker + " &\necho started\nsleep " + marker + "\n");
    java.util.concurrent.CompletableFuture<Throwable> ended = new java.util.concurrent.CompletableFuture<>();
    Thread build = new Thread(() -> {
      try {
        run(hook);
        ended.complete(null);
      } catch (BuildFailure e) {
        ended.complete(e);
      }
    });
    build.start();
    Eventually.holds(Duration.ofSeconds(20), Duration.ofMillis(50), () -> lines.contains("base: started"));
    assertTrue(lines.contains("base: started"), lines::toString);
    // the second sleep starts right after the echo
    Eventually.holds(Duration.ofSeconds(10), Duration.ofMillis(50), () -> sleeps(marker).size() >= 2);
    assertEquals(2, sleeps(marker).size(), "both sleeps of the hook run");
    build.interrupt();
    Throwable failure = ended.get(20, TimeUnit.SECONDS);
    assertTrue(failure instanceof BuildFailure f && f.kind() == BuildFailure.Kind.CANCELLED, String.valueOf(failure));
    assertEquals(List.of(), sleeps(marker), "no process of the hook is left");
  }

  /** Live processes running {@code sleep marker}, from /proc. */
  static List<Path> sleeps(String marker) throws IOException {
    try (var procs = Files.list(Path.of("/proc"))) {
      return procs.filter(p -> p.getFileName().toString().matches("\\d+")).filter(p -> {
        try {
          return new String(Files.readAllBytes(p.resolve("cmdline")), java.nio.charset.StandardCharsets.UTF_8)
              .equals("sleep\0" + marker + "\0") && !Files.readString(p.resolve("status")).contains("State:\tZ");
        } catch (IOException gone) {
          return false;
        }
      }).toList();
    }
  }

  @Test
  void hookCannotReachTheNetwork() throws Exception {
    try (ServerSocket server = new ServerSocket(0, 50, java.net.InetAddress.getByName("127.0.0.1"))) {
      server.setSoTimeout(2000);
      int port = server.getLocalPort();
      // the same connection from outside the sandbox reaches the server: the test can see a connect
      Process outside = new ProcessBuilder("bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/" + port).start();
      try (Socket accepted = server.accept()) {
        assertTrue(accepted.isConnected());
      }
      outside.waitFor(10, TimeUnit.SECONDS);

      Path hook = hook("base.sh", """
          if exec 3<>/dev/tcp/127.0.0.1/%d; then echo connected; else echo "no network"; fi
          """.formatted(port));
      run(hook);
      assertThrows(SocketTimeoutException.class, server::accept, "the hook reached 127.0.0.1:" + port);
      assertTrue(lines.contains("base: no network"), lines::toString);
    }
  }

  @Test
  void hookCannotWriteOutsideBuildDir() throws Exception {
    Path outside = Files.createDirectories(tmp.resolve("outside"));
    Path hook = hook("base.sh", """
        touch "%s/escaped" || echo "outside refused"
        touch /etc/bootfarm-hook-escaped || echo "etc refused"
        touch "$(rootfs_dir $PKGDIR)/inside"
        """.formatted(outside));
    run(hook);
    assertFalse(Files.exists(outside.resolve("escaped")));
    assertFalse(Files.exists(Path.of("/etc/bootfarm-hook-escaped")));
    assertTrue(Files.exists(bundle.resolve("rootfs/inside")));
    assertTrue(lines.contains("base: outside refused"), lines::toString);
    assertTrue(lines.contains("base: etc refused"), lines::toString);
    assertTrue(lines.stream().anyMatch(l -> l.contains("Read-only file system")), lines::toString);
  }

  @Test
  void hookCanMknodInRootfs() throws Exception {
    // the real centos-6.9 base.sh: lib64 symlink replaced by a directory, /dev/null by mknod
    Files.createSymbolicLink(bundle.resolve("rootfs/lib64"), Path.of("lib"));
    Path repoDir = repoRoot().resolve("repos/centos-6.9");
    new HookRunner(build, 0).run("base", repoDir.resolve("base.sh"), repoDir, bundle, log);

    Path lib64 = bundle.resolve("rootfs/lib64");
    assertTrue(Files.isDirectory(lib64, LinkOption.NOFOLLOW_LINKS), "lib64 is still a symlink");
    Map<String, Object> devNull = Files.readAttributes(bundle.resolve("rootfs/dev/null"), "unix:*",
        LinkOption.NOFOLLOW_LINKS);
    int mode = (Integer) devNull.get("mode");
    assertEquals(0020000, mode & 0170000, "not a character device");
    assertEquals(0666, mode & 0777);
    assertEquals((1L << 8) | 3, ((Number) devNull.get("rdev")).longValue(), "not device 1,3");
    assertEquals(List.of("base: base customizations for centos-6.9"), lines);
  }

  @Test
  void centosStagingHookRemovesLocaltime() throws Exception {
    Files.createDirectories(bundle.resolve("rootfs/etc"));
    Files.writeString(bundle.resolve("rootfs/etc/localtime"), "TZif");
    Path repoDir = repoRoot().resolve("repos/centos-6.9");
    new HookRunner(build, 0).run("staging", repoDir.resolve("staging.sh"), repoDir, bundle, log);
    assertFalse(Files.exists(bundle.resolve("rootfs/etc/localtime")));
    assertEquals(List.of("staging: staging customizations for centos-6.9"), lines);
  }

  @Test
  void failingHookNamesScriptAndExitCode() throws Exception {
    Path hook = hook("base.sh", """
        echo "preparing rootfs"
        echo "no space for /opt" >&2
        exit 3
        """);
    BuildFailure failure = assertThrows(BuildFailure.class, () -> run(hook));
    assertEquals(BuildFailure.Kind.HOOK, failure.kind());
    assertEquals("base.sh exited 3: preparing rootfs | no space for /opt", failure.getMessage());
    assertEquals(List.of("base: preparing rootfs", "base: no space for /opt"), lines);
  }

  @Test
  void failingCommandStopsTheHookAsUnderSetE() throws Exception {
    Path hook = hook("staging.sh", """
        false
        echo "not reached"
        """);
    BuildFailure failure = assertThrows(BuildFailure.class, () -> run(hook));
    assertEquals("staging.sh exited 1: (no output)", failure.getMessage());
    assertEquals(List.of(), lines);
  }

  @Test
  void hookOverItsTimeIsKilled() throws Exception {
    Path hook = hook("base.sh", "echo waiting\nsleep 600\n"); // behaviour under test: a hook over its time
    long start = System.nanoTime();
    BuildFailure failure = assertThrows(BuildFailure.class, () ->
        new HookRunner(build, 0).withTimeout(Duration.ofSeconds(2)).run("base", hook, repo, bundle, log));
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(30), "the runner waited for sleep 600");
    assertEquals(BuildFailure.Kind.HOOK, failure.kind());
    assertTrue(failure.getMessage().startsWith("base.sh did not finish within PT2S and was killed: waiting"),
        failure.getMessage());
  }

  @Test
  void buildDirectoryReachedThroughASymlinkIsStillWritable() throws Exception {
    Path link = Files.createSymbolicLink(tmp.resolve("build-link"), build);
    Path hook = hook("base.sh", "touch \"$(rootfs_dir $PKGDIR)/through-link\"\necho \"$PKGDIR\"\n");
    new HookRunner(link, 0).run("base", hook, repo, link.resolve("bundle"), log);
    assertTrue(Files.exists(bundle.resolve("rootfs/through-link")));
    assertEquals(List.of("base: " + bundle.toRealPath()), lines);
  }

  @Test
  void homeAndTmpdirLeaveNothingInTheBuildDirectory() throws Exception {
    run(hook("base.sh", "echo x > \"$TMPDIR/t\"; echo x > \"$HOME/h\"\n"));
    try (var list = Files.list(build)) {
      assertEquals(List.of(bundle), list.toList());
    }
  }
}
