package org.bootfarm.worker.hook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildLog;
import org.bootfarm.worker.fixture.HostCanaries;
import org.bootfarm.worker.process.ExternalCommand;
import org.bootfarm.sandbox.Capability;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hooks that try to get out of their sandbox: each attack is made for real, is refused, and a canary
 * outside the bundle shows that nothing there was read or changed. The refusal is in the build log.
 */
@Tag("tool")
class HookRunnerAttackTest {

  @TempDir Path tmp;
  Path build;
  Path bundle;
  Path rootfs;
  Path repo;
  final List<String> lines = new CopyOnWriteArrayList<>();
  final BuildLog log = (stage, text) -> lines.add(text);

  @BeforeEach
  void layOutBuild() throws IOException {
    assumeTrue(ExternalCommand.runningAsRoot(), "the worker runs hooks as root; these attacks need root to mean anything");
    build = Files.createDirectories(tmp.resolve("builds/this-build"));
    bundle = Files.createDirectories(build.resolve("stage"));
    rootfs = Files.createDirectories(bundle.resolve("rootfs"));
    Files.createDirectories(bundle.resolve("bootfs"));
    repo = Files.createDirectories(tmp.resolve("repos/hostile-1.0"));
  }

  /** Writes {@code body} as the definition's base.sh and runs it; returns the hook's text. */
  String runHook(String body) throws BuildFailure, IOException {
    String text = "#!/bin/bash\n" + body;
    Path hook = Files.writeString(repo.resolve("base.sh"), text);
    new HookRunner(build, 0).run("base", hook, repo, bundle, log);
    return text;
  }

  String logText() {
    return String.join("\n", lines);
  }

  @Test
  void hookCannotReadRootHomeTheWorkersDataOtherReposCachesOrOtherBuilds() throws Exception {
    try (HostCanaries canaries = new HostCanaries()) {
      List<Path> secrets = List.of(
          canaries.plant(Path.of("/root", HostCanaries.uniqueName())),
          canaries.plant(Path.of("/home", HostCanaries.uniqueName(), "notes")),
          canaries.plant(Path.of("/var/lib/bootfarm", HostCanaries.uniqueName(), "worker-id")),
          canaries.plant(Path.of("/var/cache/bootfarm/repos", HostCanaries.uniqueName(), "dnf/packages/x.rpm")),
          canaries.plant(tmp.resolve("builds/other-build/stage/rootfs/etc/shadow")),
          canaries.plant(build.resolve("work/pkg/dnf/home/.rpmmacros")),
          canaries.plant(build.resolve("out/buildinfo.json")));
      StringBuilder body = new StringBuilder("out=$(rootfs_dir \"$PKGDIR\")/leak.txt\n");
      for (Path secret : secrets) {
        body.append("cat '").append(secret).append("' >> \"$out\" || echo \"refused: ").append(secret).append("\"\n");
      }
      body.append("ls -a /root /home /var /var/cache/bootfarm /var/lib/bootfarm >> \"$out\" 2>&1 || true\n");
      body.append("ls -a \"$PKGDIR/..\" >> \"$out\"\n");

      runHook(body.toString());

      String leaked = Files.readString(rootfs.resolve("leak.txt"));
      canaries.assertNoSecretIn("the hook's output", leaked);
      canaries.assertNoSecretIn("the build log", logText());
      for (Path secret : secrets) {
        assertTrue(lines.contains("refused: " + secret), "no refusal for " + secret + ": " + lines);
      }
      assertTrue(logText().contains("No such file or directory"), logText());
      assertEquals(List.of(".", "..", "stage"), lastLines(leaked, 3),
          "the bundle's parent shows the bundle only, not work/ or out/: " + leaked);
      canaries.assertUntouched();
    }
  }

  @Test
  void hookCannotWriteOutsideItsBundle() throws Exception {
    try (HostCanaries canaries = new HostCanaries()) {
      Path outside = canaries.plant(tmp.resolve("outside/canary"));
      Path work = canaries.plant(build.resolve("work/canary"));
      Path definition = canaries.plant(repo.resolve("repo-spec.json"));
      canaries.watch(outside.getParent());
      canaries.watch(build);
      Files.writeString(repo.resolve("base.sh"), ""); // written for real by runHook
      canaries.watch(repo);
      String escape = HostCanaries.uniqueName();

      String hook = runHook(String.join("\n",
          "for target in '" + outside + "' '" + work + "' '" + definition + "' \"$0\"; do",
          "  echo pwned >> \"$target\" || echo \"refused: $target\"",
          "done",
          "for dir in /etc /usr /usr/bin /tmp/.. \"$REPODIR\"; do",
          "  touch \"$dir/" + escape + "\" || echo \"refused: $dir\"",
          "done",
          // the sandbox's own directory above the bundle: read-only, or in the private /tmp when the
          // build is under /tmp as here; the host's build directory is not there either way (watched)
          "touch \"$PKGDIR/../" + escape + "\" || true",
          "touch /tmp/" + escape + " && echo 'private tmp written'",
          "touch \"$(rootfs_dir \"$PKGDIR\")/inside\"",
          ""));

      for (String target : List.of(outside.toString(), work.toString(), definition.toString(),
          repo.resolve("base.sh").toString(), "/etc", "/usr", "/usr/bin", "/tmp/..", repo + "/")) {
        assertTrue(lines.contains("refused: " + target), "no refusal for " + target + ": " + lines);
      }
      assertTrue(logText().contains("Read-only file system"), logText());
      assertTrue(lines.contains("private tmp written"), logText());
      for (String dir : List.of("/etc", "/usr", "/usr/bin", "/tmp", "/")) {
        assertFalse(Files.exists(Path.of(dir, escape)), "the hook wrote into the host's " + dir);
      }
      assertTrue(Files.exists(rootfs.resolve("inside")), "the bundle is writable");
      assertEquals(hook, Files.readString(repo.resolve("base.sh")), "the hook rewrote itself");
      canaries.assertUntouched();
    }
  }

  @Test
  void hookCannotRemountMountOrChrootAndKeepsOnlyItsCapabilities() throws Exception {
    try (HostCanaries canaries = new HostCanaries()) {
      Path usrCanary = Path.of("/usr", HostCanaries.uniqueName());
      Path hostEtc = canaries.plant(Path.of("/etc", HostCanaries.uniqueName()));

      runHook(String.join("\n",
          "grep -E '^Cap(Eff|Prm|Amb):' /proc/self/status",
          "grep '^NoNewPrivs:' /proc/self/status",
          "mount -o remount,rw / && echo 'REMOUNTED /' || echo 'refused: remount /'",
          "mount -o remount,rw /usr && echo 'REMOUNTED /usr' || echo 'refused: remount /usr'",
          "mount -t tmpfs none /tmp && echo 'MOUNTED' || echo 'refused: mount'",
          "unshare --mount true && echo 'UNSHARED' || echo 'refused: unshare'",
          "chroot / true && echo 'CHROOTED' || echo 'refused: chroot'",
          "touch '" + usrCanary + "' || echo 'refused: write /usr'",
          "echo pwned > '" + hostEtc + "' || echo 'refused: write /etc'",
          ""));

      String caps = String.format("%016x", mask(HookRunner.CAPABILITIES));
      assertTrue(lines.contains("CapEff:\t" + caps), "effective capabilities are not exactly the hook's: " + lines);
      assertTrue(lines.contains("CapPrm:\t" + caps), lines::toString);
      assertTrue(lines.contains("NoNewPrivs:\t1"), lines::toString);
      for (String refusal : List.of("remount /", "remount /usr", "mount", "unshare", "chroot", "write /usr",
          "write /etc")) {
        assertTrue(lines.contains("refused: " + refusal), "not refused: " + refusal + ": " + lines);
      }
      assertFalse(Files.exists(usrCanary));
      canaries.assertUntouched();
    }
  }

  @Test
  void hookCanMakeADeviceNodeButCannotReadTheHostsDisk() throws Exception {
    long device = (Long) Files.getAttribute(tmp, "unix:dev");
    long major = ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfffL);
    long minor = (device & 0xff) | ((device >> 12) & ~0xffL);
    assumeTrue(major != 0, "the test directory is on a block device");

    runHook(String.join("\n",
        "rootfs=$(rootfs_dir \"$PKGDIR\")",
        "for node in \"$rootfs/disk\" /tmp/disk /dev/disk; do",
        "  if mknod \"$node\" b " + major + " " + minor + "; then",
        "    head -c 4096 \"$node\" > \"$rootfs/stolen\" && echo \"READ $node\" || echo \"refused: read $node\"",
        "  else",
        "    echo \"refused: mknod $node\"",
        "  fi",
        "done",
        ""));

    Path node = rootfs.resolve("disk");
    assertTrue(Files.exists(node, LinkOption.NOFOLLOW_LINKS), "mknod in the rootfs works, as centos-6.9 needs");
    assertEquals(device, ((Number) Files.getAttribute(node, "unix:rdev", LinkOption.NOFOLLOW_LINKS)).longValue());
    for (String refusal : List.of("read " + node, "read /tmp/disk", "mknod /dev/disk")) {
      assertTrue(lines.contains("refused: " + refusal), "not refused: " + refusal + ": " + lines);
    }
    assertTrue(logText().contains("Permission denied"), "nodev refuses the open: " + logText());
    assertEquals(0, Files.size(rootfs.resolve("stolen")), "bytes of the host's disk reached the image");
  }

  @Test
  void nothingTheHookStartedOutlivesIt() throws Exception {
    String marker = "301.4715";
    runHook("setsid sleep " + marker + " < /dev/null > /dev/null 2>&1 &\nnohup sleep " + marker
        + " > /dev/null 2>&1 &\necho started\n");
    assertEquals(List.of("started"), lines);
    // the kernel kills what is left in the hook's PID namespace as its init exits, a moment after the hook's
    // shell ended: a few seconds of patience tell that from a process that survives (it would sleep 301 s)
    Eventually.holds(Duration.ofSeconds(5), Duration.ofMillis(50), () -> HookRunnerTest.sleeps(marker).isEmpty());
    assertEquals(List.of(), HookRunnerTest.sleeps(marker), "a process the hook left running survived it");
  }

  private static long mask(java.util.Set<Capability> capabilities) {
    long mask = 0;
    for (Capability capability : capabilities) {
      mask |= 1L << switch (capability) {
        case CHOWN -> 0;
        case DAC_OVERRIDE -> 1;
        case FOWNER -> 3;
        case FSETID -> 4;
        case MKNOD -> 27;
        case SYS_CHROOT -> 18;
        case SETFCAP -> 31;
      };
    }
    return mask;
  }

  private static List<String> lastLines(String text, int n) {
    List<String> all = new ArrayList<>(List.of(text.split("\n")));
    return all.subList(Math.max(0, all.size() - n), all.size());
  }
}
