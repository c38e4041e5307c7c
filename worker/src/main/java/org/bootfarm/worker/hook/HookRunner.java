package org.bootfarm.worker.hook;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Collections;
import java.util.Deque;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.bootfarm.worker.process.ExternalCommand;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildLog;
import org.bootfarm.sandbox.Capability;
import org.bootfarm.sandbox.Sandbox;

/**
 * Runs a repo definition's {@code base.sh} or {@code staging.sh} on the host side, the way the
 * original VIC build sourced them, inside a {@link Sandbox} that shows the hook only what it needs.
 *
 * <p>The hook sees what the original scripts expect: {@code PKGDIR} (the bundle directory holding
 * {@code rootfs/} and {@code bootfs/}), {@code REPODIR} (the definition directory, with a trailing
 * slash), the shell functions {@code rootfs_dir DIR} and {@code bootfs_dir DIR} (echo
 * {@code DIR/rootfs} and {@code DIR/bootfs}, exported to child bash processes too), and {@code $0}
 * the hook's own path. It is sourced by {@code bash} with {@code set -e}, as the original
 * {@code isos/base.sh} did, in a fixed environment: {@code LC_ALL=C}, {@code TZ=UTC},
 * {@code umask 022}, {@code SOURCE_DATE_EPOCH}, a standard {@code PATH}, and {@code HOME} and
 * {@code TMPDIR} in the sandbox's private {@code /tmp}, which is gone when the hook ends.
 *
 * <p>What the hook sees: {@code PKGDIR} writable; {@code REPODIR} (and so the hook) read-only; the
 * host's programs and a minimal {@code /etc} read-only; a private {@code /proc}, {@code /dev} and
 * {@code /tmp}; nothing else of the host (not {@code /root}, {@code /home}, the worker's data
 * directory, any package cache, the build's other directories or other builds); no network. As root
 * it keeps {@link #CAPABILITIES} only: it can make device nodes in the rootfs (centos-6.9's base.sh)
 * but not open one, and it can neither remount nor chroot. Output lines (stdout and stderr merged) go
 * to the {@link BuildLog} as they come; a non-zero exit becomes a {@link BuildFailure.Kind#HOOK}
 * failure naming the script, its exit code and its last lines.
 */
public final class HookRunner {

  /** The sandbox program this runner drives. */
  public static final String BWRAP = Sandbox.BWRAP;

  /** How many trailing output lines a failure message quotes. */
  static final int LAST_LINES = 5;

  /**
   * What a hook keeps as root: file-system work on the rootfs it owns. No {@code CAP_DAC_OVERRIDE}
   * (the seed definitions' hooks, VIC's included, work on files root owns) and no
   * {@code CAP_SYS_CHROOT}.
   */
  public static final Set<Capability> CAPABILITIES = Collections.unmodifiableSet(EnumSet.of(
      Capability.MKNOD, Capability.CHOWN, Capability.FOWNER, Capability.FSETID, Capability.SETFCAP));

  /** Where HOME and TMPDIR point: the sandbox's private tmpfs. */
  static final String SCRATCH = "/tmp";

  /** Sourced before the hook: the functions and settings of the original build scripts. */
  private static final String PRELUDE = String.join("\n",
      "rootfs_dir() { echo \"$1/rootfs\"; }",
      "bootfs_dir() { echo \"$1/bootfs\"; }",
      "export -f rootfs_dir bootfs_dir",
      "umask 022",
      "set -e",
      "cd \"$PKGDIR\"",
      ". \"$0\"",
      "");

  private final Path buildDir;
  private final long sourceDateEpoch;
  private final Duration timeout;

  /**
   * @param buildDir        the build directory; every bundle given to {@link #run} must be inside
   *                        it, and the bundle is all of it a hook sees
   * @param sourceDateEpoch the build's SOURCE_DATE_EPOCH, passed to the hook
   */
  public HookRunner(Path buildDir, long sourceDateEpoch) {
    this(buildDir, sourceDateEpoch, Duration.ofMinutes(30));
  }

  private HookRunner(Path buildDir, long sourceDateEpoch, Duration timeout) {
    this.buildDir = buildDir.toAbsolutePath().normalize();
    this.sourceDateEpoch = sourceDateEpoch;
    this.timeout = timeout;
  }

  /** The same runner with a different limit on a hook's run time (default 30 minutes). */
  public HookRunner withTimeout(Duration limit) {
    return new HookRunner(buildDir, sourceDateEpoch, limit);
  }

  /**
   * Runs one hook to completion.
   *
   * @param stage   the stage the hook's output lines are attributed to ({@code base}, {@code staging})
   * @param script  the hook, e.g. {@code repos/centos-6.9/base.sh}
   * @param repoDir the definition directory ({@code REPODIR})
   * @param pkgDir  the bundle directory holding {@code rootfs/} and {@code bootfs/} ({@code PKGDIR});
   *                must be inside the build directory
   * @param log     receives every output line
   * @throws BuildFailure {@code HOOK} when the hook exits non-zero or runs out of time, {@code TOOL}
   *                      when bwrap is missing or cannot start
   */
  public void run(String stage, Path script, Path repoDir, Path pkgDir, BuildLog log) throws BuildFailure {
    Path hook = script.toAbsolutePath().normalize();
    Path repo = repoDir.toAbsolutePath().normalize();
    String name = hook.getFileName().toString();
    if (!Files.isRegularFile(hook)) {
      throw new BuildFailure(BuildFailure.Kind.DEFINITION, name + " not found at " + hook);
    }
    Path build;
    Path bundle;
    try {
      // real paths: the sandbox binds directories, and a symlinked path would bind elsewhere
      build = Files.createDirectories(buildDir).toRealPath();
      bundle = pkgDir.toRealPath();
    } catch (IOException e) {
      throw new BuildFailure(BuildFailure.Kind.INTERNAL, "cannot prepare " + name + ": bundle "
          + pkgDir + " or build directory " + buildDir + " is not usable: " + e.getMessage(), e);
    }
    if (!bundle.startsWith(build)) {
      throw new IllegalArgumentException("bundle " + bundle + " is outside the build directory " + build);
    }
    runSandboxed(stage, name, command(hook, repo, bundle), log);
  }

  /** The bwrap command line running {@code hook} for {@code bundle}. */
  List<String> command(Path hook, Path repo, Path bundle) {
    Sandbox sandbox = Sandbox.confined()
        .capabilities(CAPABILITIES)
        .readOnly(repo)
        .writable(bundle);
    if (!hook.startsWith(repo)) {
      sandbox.readOnly(hook);
    }
    Map<String, String> environment = new LinkedHashMap<>();
    environment.put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
    environment.put("LC_ALL", "C");
    environment.put("TZ", "UTC");
    environment.put("SOURCE_DATE_EPOCH", Long.toString(sourceDateEpoch));
    environment.put("HOME", SCRATCH);
    environment.put("TMPDIR", SCRATCH);
    environment.put("PKGDIR", bundle.toString());
    environment.put("REPODIR", repo + "/");
    return sandbox.environment(environment).workingDirectory(bundle)
        .command(List.of("bash", "--noprofile", "--norc", "-c", PRELUDE, hook.toString()));
  }

  private void runSandboxed(String stage, String name, List<String> cmd, BuildLog log) throws BuildFailure {
    Process process;
    try {
      process = new ProcessBuilder(cmd)
          .redirectErrorStream(true)
          .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
          .start();
    } catch (IOException e) {
      throw new BuildFailure(BuildFailure.Kind.TOOL, "cannot run " + name + ": the sandbox program "
          + BWRAP + " is missing or not executable on this worker (" + e.getMessage()
          + "); install the Debian package bubblewrap", e);
    }
    // the output is read on a thread of its own, so this one waits interruptibly: a cancelled build's
    // interrupt stops the sandbox and everything in it at once
    Deque<String> last = new ArrayDeque<>();
    AtomicReference<String> firstLine = new AtomicReference<>();
    AtomicReference<IOException> lost = new AtomicReference<>();
    Thread reader = new Thread(() -> {
      try (BufferedReader out = new BufferedReader(
          new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        for (String line; (line = out.readLine()) != null; ) {
          log.line(stage, line);
          firstLine.compareAndSet(null, line);
          last.addLast(line);
          if (last.size() > LAST_LINES) {
            last.removeFirst();
          }
        }
      } catch (IOException e) {
        lost.set(e);
      }
    }, "hook-output-" + name);
    reader.setDaemon(true);
    reader.start();
    boolean timedOut;
    int exit;
    try {
      timedOut = !process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (timedOut) {
        process.destroyForcibly();
      }
      exit = process.waitFor();
      reader.join(); // until the sandbox's last process closed the output
    } catch (InterruptedException e) {
      ExternalCommand.stop(process);
      try {
        reader.join(ExternalCommand.STOP_GRACE.toMillis());
      } catch (InterruptedException again) {
        // stopping already
      }
      Thread.currentThread().interrupt();
      throw new BuildFailure(BuildFailure.Kind.CANCELLED, name + " was stopped: its build was interrupted", e);
    }
    if (lost.get() != null) {
      process.destroyForcibly();
      throw new BuildFailure(BuildFailure.Kind.INTERNAL, "lost the output of " + name + ": " + lost.get().getMessage(),
          lost.get());
    }
    String first = firstLine.get();
    String tail = last.isEmpty() ? "(no output)" : String.join(" | ", last);
    if (timedOut) {
      throw new BuildFailure(BuildFailure.Kind.HOOK, name + " did not finish within " + timeout
          + " and was killed: " + tail);
    }
    if (exit != 0 && first != null && first.startsWith(BWRAP + ": ")) {
      throw new BuildFailure(BuildFailure.Kind.TOOL, "the sandbox for " + name + " could not start: "
          + first + " (bwrap needs user or mount namespaces; run the worker as root or allow them)");
    }
    if (exit != 0) {
      throw new BuildFailure(BuildFailure.Kind.HOOK, name + " exited " + exit + ": " + tail);
    }
  }

}
