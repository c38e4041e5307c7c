package org.bootfarm.testkit;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;

/**
 * A gate a fixture hook waits at, so that a test catches a build mid-run for as long as it needs and then
 * lets it go: no hook sleeps a fixed time hoping the test is quick enough.
 *
 * <p>A hook runs sandboxed and sees, writable, only its bundle directory ({@code $PKGDIR}), which the
 * worker makes under its own data directory on this machine. So {@link #hookLines()} writes a
 * {@code <name>.gate-reached} marker there and waits until the test creates {@code <name>.gate-open} beside
 * it ({@link #open}); the test finds the marker by walking the directory it gave the workers
 * ({@link #awaitReached}). Both files are gone when the hook goes on. A gate nobody opens lets the hook go
 * after {@link #LIMIT}, so a forgotten gate slows a test down but never hangs it.
 */
public final class Gate {

  /** How long a hook waits at a gate nobody opens. */
  public static final Duration LIMIT = Duration.ofMinutes(5);

  private static final String REACHED = ".gate-reached";
  private static final String OPEN = ".gate-open";

  private final String name;
  private final Set<Path> seen = new HashSet<>();

  /** A gate called {@code name} (letters, digits and dashes: it names files). */
  public Gate(String name) {
    if (!name.matches("[A-Za-z0-9-]+")) {
      throw new IllegalArgumentException("a gate's name names files: use letters, digits and dashes, not " + name);
    }
    this.name = name;
  }

  /** Shell lines to append to a hook ({@code base.sh}, {@code staging.sh}): mark, wait for the test, clean up. */
  public String hookLines() {
    String reached = "\"$PKGDIR/" + name + REACHED + "\"";
    String open = "\"$PKGDIR/" + name + OPEN + "\"";
    long ticks = LIMIT.toMillis() / 100;
    return "\n# testkit Gate " + name + ": wait until the test opens the gate (at most " + LIMIT.toSeconds() + " s)\n"
        + ": > " + reached + "\n"
        + "for _ in $(seq 1 " + ticks + "); do [ -e " + open + " ] && break; sleep 0.1; done\n"
        + "rm -f " + reached + " " + open + "\n";
  }

  /**
   * Waits until a hook under {@code root} (the directory holding the workers' data directories) reaches
   * this gate for a time not seen by an earlier call, and answers the bundle directory it waits in.
   */
  public Path awaitReached(Path root, Duration atMost) {
    Path bundle = await("hook at gate " + name + " under " + root).atMost(atMost)
        .pollInterval(Duration.ofMillis(100))
        .until(() -> newArrival(root), Optional::isPresent).orElseThrow();
    seen.add(bundle);
    return bundle;
  }

  /** Lets the hook waiting in {@code bundle} (an answer of {@link #awaitReached}) go on. */
  public void open(Path bundle) {
    try {
      Files.createFile(bundle.resolve(name + OPEN));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot open gate " + name + " in " + bundle, e);
    }
  }

  /** Waits for the next hook to reach this gate under {@code root} and lets it go on. */
  public Path pass(Path root, Duration atMost) {
    Path bundle = awaitReached(root, atMost);
    open(bundle);
    return bundle;
  }

  private Optional<Path> newArrival(Path root) {
    String marker = name + REACHED;
    for (int attempt = 0; ; attempt++) {
      // a build's directories come and go while this walks: walk again when one vanishes underneath
      try (Stream<Path> files = Files.find(root, 12, (path, attributes) -> path.getFileName() != null
          && path.getFileName().toString().equals(marker))) {
        List<Path> bundles = files.map(Path::getParent).filter(bundle -> !seen.contains(bundle)).toList();
        return bundles.stream().findFirst();
      } catch (IOException | UncheckedIOException e) {
        if (attempt == 3) {
          return Optional.empty();
        }
      }
    }
  }
}
