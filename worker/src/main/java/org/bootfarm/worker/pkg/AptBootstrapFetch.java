package org.bootfarm.worker.pkg;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.FileTrees;

/**
 * The package files of a fresh root, fetched while mmdebstrap starts (docs/adr/0063): first the files its essential
 * phase may need ({@link AptEssentialSet}), then the others. Two gates hold mmdebstrap where it would first read
 * them: its setup hook waits for the first fetch, its first essential hook for both. A gate is a
 * file in {@link #gateDirectory}: {@code NAME.ok} once the files are fetched, {@code NAME.failed}
 * (holding why) when a fetch failed, and the hook then fails mmdebstrap; {@link #failureOr} names the fetch's
 * failure rather than mmdebstrap's. The first fetch puts its files into the root's archives itself, before its gate
 * opens, while no package script runs. The second fetch's files stay in {@link #lateDirectory}: by the time they
 * are fetched the essential packages' scripts run in the root, and the worker touches no tree something else
 * writes (docs/adr/0066), so the second gate copies them into the root from inside mmdebstrap's sandbox, where
 * no link a script made leads anywhere but into the root.
 */
final class AptBootstrapFetch implements AutoCloseable {
  /** The gate mmdebstrap's setup hook waits at: the essential phase's files are in the root's archives. */
  static final String ESSENTIAL = "essential";
  /** The gate its first essential hook waits at: every file is. */
  static final String ALL = "all";
  private static final String GATE_SCRIPT = "gate";

  /** One fetch: its files fetched and moved into the root's archives when it returns. */
  interface Fetch {
    void run() throws BuildFailure, IOException, InterruptedException;
  }

  private final Path gateDir;
  private final Path scratch;
  private final Path lateDir;
  private final ExecutorService threads;
  private Future<?> fetches;
  private volatile BuildFailure failure;

  private AptBootstrapFetch(Path gateDir, Path scratch, Path lateDir) {
    this.gateDir = gateDir;
    this.scratch = scratch;
    this.lateDir = lateDir;
    this.threads = Executors.newSingleThreadExecutor(runnable -> {
      Thread thread = new Thread(runnable, "apt-bootstrap-fetch");
      thread.setDaemon(true);
      return thread;
    });
  }

  /** Submits both fetches, one after the other; a fetch that fails at once waits here ({@link #fail}). */
  private synchronized void begin(Fetch essential, Fetch others) {
    fetches = threads.submit(() -> run(essential, others));
  }

  /**
   * Starts both fetches; the gate script goes into {@code gateDir} (created), {@code others} fetches into
   * {@code lateDir} (inside {@code scratch}), and {@code scratch} (where they fetch to) is deleted by {@link #close}.
   */
  static AptBootstrapFetch start(Path gateDir, Path scratch, Path lateDir, Fetch essential, Fetch others)
      throws IOException {
    Files.createDirectories(gateDir);
    Path script = gateDir.resolve(GATE_SCRIPT);
    Files.writeString(script, """
        #!/bin/sh
        # bootfarm: holds mmdebstrap until the package files it is about to read are fetched (docs/adr/0063); given
        # a root and a directory, then copies the directory's package files into the root's archives, here in
        # mmdebstrap's sandbox, where a link a package script made leads nowhere but into the root (docs/adr/0066)
        dir=$(dirname "$0")
        caches=
        if [ $# -eq 1 ] && [ -n "${MMDEBSTRAP_APT_CONFIG:-}" ]; then
          # apt's caches of the root's indices, built with mmdebstrap's own configuration while the files are
          # fetched: its apt reads them next instead of parsing the indices then (docs/adr/0063)
          APT_CONFIG=$MMDEBSTRAP_APT_CONFIG apt-cache gencaches >/dev/null 2>&1 &
          caches=$!
        fi
        while :; do
          if [ -e "$dir/$1.ok" ]; then
            [ -z "$caches" ] || wait "$caches" || true
            [ $# -ge 3 ] || exit 0
            n=0
            for f in "$3"/*.deb; do
              [ -f "$f" ] || continue
              cp --remove-destination -- "$f" "$2/var/cache/apt/archives/" || exit 1
              n=$((n + 1))
            done
            echo "bootfarm: $n package files put into the root's archives from inside mmdebstrap's sandbox" >&2
            exit 0
          fi
          if [ -e "$dir/$1.failed" ]; then cat "$dir/$1.failed" >&2; exit 1; fi
          sleep 0.05
        done
        """, StandardCharsets.UTF_8);
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
    AptBootstrapFetch fetch = new AptBootstrapFetch(gateDir, scratch, lateDir);
    fetch.begin(essential, others);
    return fetch;
  }

  private Void run(Fetch essential, Fetch others) {
    try {
      essential.run();
      open(ESSENTIAL);
      others.run();
      open(ALL);
    } catch (BuildFailure e) {
      fail(e);
    } catch (IOException e) {
      fail(new BuildFailure(BuildFailure.Kind.INTERNAL, "apt: fetching the package files failed: " + e.getMessage(), e));
    } catch (InterruptedException e) {
      fail(new BuildFailure(BuildFailure.Kind.CANCELLED, "apt: fetching the package files was stopped", e));
    }
    return null;
  }

  private void open(String gate) throws IOException {
    Files.writeString(gateDir.resolve(gate + ".ok"), "");
  }

  private synchronized void fail(BuildFailure e) {
    if (failure == null) {
      failure = e;
    }
    for (String gate : List.of(ESSENTIAL, ALL)) {
      try {
        Files.writeString(gateDir.resolve(gate + ".failed"), "bootfarm: " + failure.getMessage() + "\n");
      } catch (IOException ignored) {
        // the hook then waits until close() stops mmdebstrap's sandbox with the build
      }
    }
  }

  /** The directory the hooks read their gates in: bound read-only into mmdebstrap's sandbox. */
  Path gateDirectory() {
    return gateDir;
  }

  /** Where the second fetch leaves its files for the second gate: bound read-only into mmdebstrap's sandbox. */
  Path lateDirectory() {
    return lateDir;
  }

  /**
   * mmdebstrap's options for the two gates; they must come before its {@code --hook-dir} options. mmdebstrap runs a
   * hook with quotes in it as {@code sh -c HOOK exec ROOT}: {@code "$1"} is the root.
   */
  List<String> mmdebstrapOptions() {
    return List.of("--setup-hook=" + quoted(gateDir.resolve(GATE_SCRIPT)) + " " + ESSENTIAL,
        "--essential-hook=" + quoted(gateDir.resolve(GATE_SCRIPT)) + " " + ALL + " \"$1\" " + quoted(lateDir));
  }

  private static String quoted(Path path) {
    return "'" + path.toAbsolutePath().toString().replace("'", "'\\''") + "'";
  }

  /** The fetch's failure when one failed (then mmdebstrap failed at a gate), else {@code mmdebstrapFailure}. */
  BuildFailure failureOr(BuildFailure mmdebstrapFailure) {
    return failure != null ? failure : mmdebstrapFailure;
  }

  /** Waits for the fetches (done by now when mmdebstrap passed its gates); throws the failure of one that failed. */
  void finish() throws BuildFailure {
    Future<?> started;
    synchronized (this) {
      started = fetches;
    }
    try {
      started.get();
    } catch (java.util.concurrent.ExecutionException e) {
      throw new BuildFailure(BuildFailure.Kind.INTERNAL, "apt: fetching the package files failed: " + e.getCause(), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BuildFailure(BuildFailure.Kind.CANCELLED, "apt: the build was interrupted while it fetched", e);
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** Stops a fetch still running and deletes the scratch directory and the gates. */
  @Override
  public void close() {
    threads.shutdownNow();
    try {
      threads.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    FileTrees.deleteQuietly(scratch);
    FileTrees.deleteQuietly(gateDir);
  }
}
