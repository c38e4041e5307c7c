package org.bootfarm.testkit;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

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
  /** Bundles {@link #awaitReached} answered already. */
  private final Set<Path> seen = ConcurrentHashMap.newKeySet();
  /** Bundles whose gate this test opened. */
  private final Set<Path> opened = ConcurrentHashMap.newKeySet();

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
        .until(() -> arrival(root, seen), Optional::isPresent).orElseThrow();
    seen.add(bundle);
    return bundle;
  }

  /** Lets the hook waiting in {@code bundle} (an answer of {@link #awaitReached}) go on. */
  public void open(Path bundle) {
    opened.add(bundle);
    try {
      Files.createFile(bundle.resolve(name + OPEN));
    } catch (FileAlreadyExistsException alreadyOpen) {
      // opened before: nothing to do
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

  /**
   * From now until the answer is closed, lets every hook waiting at this gate under {@code root} go on, the
   * ones {@link #awaitReached} saw and the ones still to come: for the runs of a build whose number the test
   * does not know (a retry, a takeover).
   */
  public AutoCloseable keepOpening(Path root) {
    ScheduledExecutorService opener = Executors.newSingleThreadScheduledExecutor(runnable -> {
      Thread thread = new Thread(runnable, "gate " + name + " opener");
      thread.setDaemon(true);
      return thread;
    });
    opener.scheduleWithFixedDelay(() -> {
      for (Optional<Path> bundle = arrival(root, opened); bundle.isPresent(); bundle = arrival(root, opened)) {
        open(bundle.get());
      }
    }, 0, 100, TimeUnit.MILLISECONDS);
    return opener::shutdownNow;
  }

  /** A bundle under {@code root} whose hook waits at this gate, not one of {@code known}. */
  private Optional<Path> arrival(Path root, Set<Path> known) {
    String marker = name + REACHED;
    List<Path> found = new ArrayList<>();
    try {
      Files.walkFileTree(root, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attributes) {
          // a bundle's image trees hold no marker, and are most of the files under root
          String dirName = dir.getFileName() == null ? "" : dir.getFileName().toString();
          return dirName.equals("rootfs") || dirName.equals("bootfs") ? FileVisitResult.SKIP_SUBTREE
              : FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attributes) {
          if (file.getFileName().toString().equals(marker) && !known.contains(file.getParent())) {
            found.add(file.getParent());
          }
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult visitFileFailed(Path file, IOException e) {
          return FileVisitResult.CONTINUE; // a build's directories come and go while this walks
        }
      });
    } catch (IOException e) {
      throw new UncheckedIOException("cannot look for gate " + name + " under " + root, e);
    }
    return found.stream().findFirst();
  }
}
