package org.bootfarm.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.bootfarm.worker.process.ExternalCommand;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sandbox every hook, package manager and depmod run goes through, run for real with bwrap:
 * exactly what it shows of the host, the capabilities it keeps, the network per phase, and that
 * stopping the run stops everything in it.
 */
@Tag("tool")
class SandboxTest {

  @TempDir Path tmp;

  @BeforeEach
  void needsRoot() {
    assumeTrue(ExternalCommand.runningAsRoot(), "the worker runs its sandboxes as root");
  }

  /** Runs {@code script} with sh in {@code sandbox}; returns its output lines, failing on a non-zero exit. */
  static List<String> run(Sandbox sandbox, String script) throws IOException {
    List<String> lines = new ArrayList<>();
    ExternalCommand.Result result = ExternalCommand.run(sandbox.command(List.of("sh", "-c", script)), Map.of(), null,
        lines::add);
    assertEquals(0, result.exitCode(), () -> "the sandboxed script failed: " + lines);
    return lines;
  }

  @Test
  void showsTheHostsProgramsAMinimalEtcAPrivateDevAndTmpAndWhatTheCallerNamesOnly() throws Exception {
    Path writable = Files.createDirectories(tmp.resolve("build/rootfs"));
    Path readOnly = Files.writeString(Files.createDirectories(tmp.resolve("keys")).resolve("KEY"), "key\n");

    List<String> lines = run(Sandbox.confined().writable(writable).readOnly(readOnly), String.join("; ",
        "echo \"/: $(ls -A / | tr '\\n' ' ')\"",
        "echo \"etc: $(ls -A /etc | tr '\\n' ' ')\"",
        "echo \"dev: $(ls -A /dev | tr '\\n' ' ')\"",
        "echo \"tmp: $(ls -A /tmp | tr '\\n' ' ')\"",
        "echo \"build: $(ls -A " + tmp.resolve("build") + " | tr '\\n' ' ')\"",
        "echo \"keys: $(ls -A " + tmp.resolve("keys") + " | tr '\\n' ' ')\"",
        "echo \"passwd: $(cut -d: -f1 /etc/passwd | tr '\\n' ' ')\"",
        "echo \"hostname: $(cat /proc/sys/kernel/hostname)\""));

    assertEquals(List.of(
        "/: bin dev etc lib lib64 proc sbin tmp usr ",
        "etc: alternatives group ld.so.cache nsswitch.conf passwd ",
        "dev: core fd full null ptmx pts random shm stderr stdin stdout tty urandom zero ",
        "tmp: " + tmp.getFileName() + " ",
        "build: rootfs ",
        "keys: KEY ",
        "passwd: root nobody ",
        "hostname: bootfarm"), lines);
  }

  /**
   * The kernel's settings, sysrq-trigger and /proc/fs are the whole host's, and uid 0 may write them whatever its
   * capabilities: read-only in the sandbox's /proc and in the /proc it mounts in an image for package scripts. Each
   * setting read is written back, so a sandbox that let the write through would change nothing on this host.
   */
  @Test
  void theHostsKernelSettingsAreReadOnlyInEveryProc() throws Exception {
    Path root = Files.createDirectories(tmp.resolve("build/rootfs"));
    Files.createDirectories(root.resolve("proc"));
    String before = Files.readString(Path.of("/proc/sys/kernel/core_pattern"));
    String attempt = "for p in %1$s/sys/kernel/core_pattern %1$s/sys/vm/stat_interval; do"
        + " v=$(cat $p) && (printf '%%s\\n' \"$v\" > $p) 2>/dev/null && echo \"written $p\" || echo \"refused $p\"; done;"
        + " (printf 'h' > %1$s/sysrq-trigger) 2>/dev/null && echo 'written sysrq' || echo 'refused sysrq'";
    List<String> inSandbox = run(Sandbox.confined().writable(root), String.format(attempt, "/proc"));
    List<String> inImage = run(Sandbox.confined().writable(root).procIn(root), String.format(attempt, root + "/proc"));

    assertEquals(List.of("refused /proc/sys/kernel/core_pattern", "refused /proc/sys/vm/stat_interval", "refused sysrq"),
        inSandbox);
    assertEquals(List.of("refused " + root + "/proc/sys/kernel/core_pattern",
        "refused " + root + "/proc/sys/vm/stat_interval", "refused sysrq"), inImage);
    assertEquals(before, Files.readString(Path.of("/proc/sys/kernel/core_pattern")));
  }

  @Test
  void generatedEtcThatWasTamperedWithIsNotUsed() throws Exception {
    Path shared = HostView.generatedEtc();
    assertEquals("rwx------", java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(shared)));
    Path passwd = shared.resolve("passwd");
    String original = Files.readString(passwd);
    Files.setPosixFilePermissions(passwd, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    Files.writeString(passwd, original + "intruder:x:0:0::/root:/bin/sh\n");
    try {
      Path used = HostView.generatedEtc();
      assertFalse(used.equals(shared), "a passwd with an extra root account was used");
      assertEquals(original, Files.readString(used.resolve("passwd")));
      assertEquals(List.of("passwd: root nobody"), run(Sandbox.confined(), "echo \"passwd: $(cut -d: -f1 /etc/passwd | tr '\\n' ' ' | sed 's/ $//')\""));
    } finally {
      Files.writeString(passwd, original);
      Files.setPosixFilePermissions(passwd, java.nio.file.attribute.PosixFilePermissions.fromString("r--r--r--"));
    }
  }

  @Test
  void aPhaseWithNetworkSeesTheResolverAndTlsRootsToo() throws Exception {
    List<String> lines = run(Sandbox.confined().network(Sandbox.Network.HOST), "ls -A /etc");
    Set<String> expected = new TreeSet<>(List.of("alternatives", "group", "ld.so.cache", "nsswitch.conf", "passwd"));
    for (String file : HostView.NETWORK_ETC.keySet()) {
      if (Files.exists(Path.of(file))) {
        expected.add(Path.of(file).getFileName().toString());
      }
    }
    assertEquals(new ArrayList<>(expected), lines);
  }

  @Test
  void keepsExactlyTheCapabilitiesItIsGivenAndNoNewOnes() throws Exception {
    String none = run(Sandbox.confined(), "grep '^CapEff:' /proc/self/status").get(0);
    assertEquals("CapEff:\t0000000000000000", none);

    Set<Capability> some = EnumSet.of(Capability.SYS_CHROOT, Capability.DAC_OVERRIDE);
    List<String> lines = run(Sandbox.confined().capabilities(some),
        "grep -E '^(CapEff|CapPrm|NoNewPrivs):' /proc/self/status; su -c true root 2>/dev/null || echo 'su refused'");
    long expected = (1L << 18) | (1L << 1);
    assertEquals(List.of(String.format("CapPrm:\t%016x", expected), String.format("CapEff:\t%016x", expected),
        "NoNewPrivs:\t1", "su refused"), lines);
  }

  @Test
  void withoutDacOverrideRootCannotCreateInADirectoryAnotherUserOwnsAsPackageScriptsDo() throws Exception {
    // what Debian's systemd postinst does: /run/systemd/netif belongs to systemd-network, mode 0755
    Path image = Files.createDirectories(tmp.resolve("rootfs/run/systemd/netif"));
    Files.setAttribute(image, "unix:uid", 100);
    String create = "mkdir " + image + "/links 2>/dev/null && echo created || echo refused";

    assertEquals(List.of("refused"), run(Sandbox.confined().writable(tmp.resolve("rootfs"))
        .capabilities(EnumSet.of(Capability.CHOWN, Capability.FOWNER)), create));
    assertEquals(List.of("created"), run(Sandbox.confined().writable(tmp.resolve("rootfs"))
        .capabilities(EnumSet.of(Capability.DAC_OVERRIDE)), create));
  }

  @Test
  void rootDevAndReadOnlyBindsCannotBeWrittenAndWritableBindsAreNosuidNodev() throws Exception {
    Path writable = Files.createDirectories(tmp.resolve("rootfs"));
    Path readOnly = Files.createDirectories(tmp.resolve("definition"));
    List<String> lines = run(Sandbox.confined().capabilities(EnumSet.of(Capability.MKNOD, Capability.DAC_OVERRIDE))
            .writable(writable).readOnly(readOnly), String.join("\n",
        "for f in /x /etc/x /usr/x /dev/x " + readOnly + "/x; do touch $f 2>/dev/null && echo \"wrote $f\" || echo \"refused $f\"; done",
        "touch " + writable + "/x && echo 'wrote rootfs'",
        "grep ' " + writable + " ' /proc/self/mountinfo | grep -q 'nosuid,nodev' && echo 'rootfs nosuid,nodev'",
        "mknod " + writable + "/null c 1 3 && ({ echo x > " + writable + "/null; } 2>/dev/null && echo 'opened node' || echo 'node not opened')"));
    assertEquals(List.of("refused /x", "refused /etc/x", "refused /usr/x", "refused /dev/x", "refused " + readOnly + "/x",
        "wrote rootfs", "rootfs nosuid,nodev", "node not opened"), lines);
  }

  /**
   * The worker passes its proxy settings to the tools; a proxy's URL may hold its credentials. A sandbox without
   * network (every install phase, where package scripts run) has no use for them and does not see them.
   */
  @Test
  void onlyASandboxWithNetworkSeesTheProxySettings() throws Exception {
    String proxy = "http://builder:s3cret@127.0.0.1:3128";
    String print = "echo \"http_proxy=${http_proxy-unset} HTTPS_PROXY=${HTTPS_PROXY-unset}\"";
    Map<String, String> environment = Map.of("http_proxy", proxy, "HTTPS_PROXY", proxy);
    List<String> without = new ArrayList<>();
    List<String> with = new ArrayList<>();
    ExternalCommand.run(Sandbox.confined().command(List.of("sh", "-c", print)), environment, null, without::add);
    ExternalCommand.run(Sandbox.confined().network(Sandbox.Network.HOST).command(List.of("sh", "-c", print)),
        environment, null, with::add);

    assertEquals(List.of("http_proxy=unset HTTPS_PROXY=unset"), without);
    assertEquals(List.of("http_proxy=" + proxy + " HTTPS_PROXY=" + proxy), with);
  }

  @Test
  void withoutNetworkNothingOnTheHostAnswersAndWithTheHostsTheListenerDoes() throws Exception {
    try (ServerSocket listener = new ServerSocket(0, 50, InetAddress.getByName("127.0.0.1"))) {
      String connect = "exec 3<>/dev/tcp/127.0.0.1/" + listener.getLocalPort() + " && echo connected || echo refused";
      bashRun(Sandbox.confined(), connect, "refused");
      listener.setSoTimeout(100); // a connection made would be waiting in the backlog already
      assertThrows(SocketTimeoutException.class, listener::accept, "a sandbox without network reached 127.0.0.1");

      bashRun(Sandbox.confined().network(Sandbox.Network.HOST), connect, "connected");
      try (Socket accepted = listener.accept()) {
        assertTrue(accepted.isConnected(), "the download phase's sandbox has the host's network");
      }
    }
  }

  private static void bashRun(Sandbox sandbox, String script, String expected) throws IOException {
    List<String> lines = new ArrayList<>();
    ExternalCommand.run(sandbox.command(List.of("bash", "-c", script)), Map.of(), null, lines::add);
    assertEquals(List.of(expected), lines.stream().filter(l -> l.equals("connected") || l.equals("refused")).toList(),
        lines::toString);
  }

  @Test
  void interruptingTheRunStopsEverythingInTheSandbox() throws Exception {
    String marker = "302.4715";
    CompletableFuture<Void> started = new CompletableFuture<>();
    CompletableFuture<Throwable> ended = new CompletableFuture<>();
    Thread runner = new Thread(() -> {
      try {
        ExternalCommand.run(Sandbox.confined().command(List.of("sh", "-c",
            "setsid sleep " + marker + " & sleep " + marker + " & echo started; wait")), Map.of(), null, line -> {
              if (line.equals("started")) {
                started.complete(null);
              }
            });
        ended.complete(null);
      } catch (IOException e) {
        ended.complete(e);
      }
    });
    runner.start();
    started.get(30, TimeUnit.SECONDS);
    assertFalse(processesMentioning(marker).isEmpty(), "the sandboxed processes run");

    runner.interrupt();

    assertTrue(ended.get(30, TimeUnit.SECONDS) instanceof InterruptedIOException, "the run was not interrupted");
    assertEquals(List.of(), processesMentioning(marker), "a process of the sandbox survived the interruption");
  }

  /** Live (not zombie) processes whose command line mentions {@code marker}. */
  private static List<String> processesMentioning(String marker) throws IOException {
    List<String> found = new ArrayList<>();
    try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
      for (Path proc : procs.filter(p -> p.getFileName().toString().matches("\\d+")).toList()) {
        try {
          String cmdline = new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8);
          if (cmdline.contains(marker) && !Files.readString(proc.resolve("status")).contains("State:\tZ")) {
            found.add(proc.getFileName() + " " + cmdline.replace('\0', ' '));
          }
        } catch (IOException gone) {
          // ended meanwhile
        }
      }
    }
    return found;
  }
}
