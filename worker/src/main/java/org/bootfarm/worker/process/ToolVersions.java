package org.bootfarm.worker.process;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;

/**
 * The versions the tools of this machine report ({@code mmdebstrap --version}, {@code xorriso -version}, ...), each
 * asked in a thread of its own, so a build starts the questions when it knows its tools and takes the answers when
 * a key or a buildinfo needs them: one after the other they took ~0.9 s of a cold debian-12 build (mmdebstrap's perl
 * alone 0.34 s). An answer is kept while the tool's executable on the PATH is the same file (its file key, size and
 * modification time): a worker that lives through a package upgrade asks again. An answer is the Debian package
 * that ships the executable and its full version ({@code xorriso 1.5.4-4}, {@link DebianPackages}) for the tools
 * bootfarm drives ({@link #DEBIAN_PACKAGES}): the first line of {@code xorriso -version} says 1.5.4 for every
 * Debian revision (ADR 0067). Any other executable answers the first non-blank line it printed, or "unknown"
 * ({@link ExternalCommand#firstLine}).
 */
public final class ToolVersions {
  private static final Map<String, CompletableFuture<String>> ASKED = new ConcurrentHashMap<>();

  /** Where the questions run: each is a process start and waits on nothing else. */
  private static final Executor QUESTIONS = Executors.newCachedThreadPool(runnable -> {
    Thread thread = new Thread(runnable, "tool-version");
    thread.setDaemon(true);
    return thread;
  });

  /** The Debian package that ships each tool bootfarm drives, by the tool's executable name. */
  static final Map<String, String> DEBIAN_PACKAGES = Map.of("xorriso", "xorriso", "kmod", "kmod",
      "mmdebstrap", "mmdebstrap", "dpkg", "dpkg", "apt-get", "apt", "rpm", "rpm", "dnf", "dnf");

  private ToolVersions() {}

  /**
   * {@code PACKAGE VERSION} of the Debian package that ships {@code tool} as the build PATH finds it, for a tool of
   * {@link #DEBIAN_PACKAGES}; empty for another tool or an executable no installed package ships (a build of its
   * own in /usr/local).
   */
  public static Optional<String> packaged(String tool) {
    String name = Path.of(tool).getFileName().toString();
    Optional<Path> path = ExternalCommand.onPath(tool);
    if (!DEBIAN_PACKAGES.containsKey(name) || path.isEmpty()) {
      return Optional.empty();
    }
    return DebianPackages.shipping(DEBIAN_PACKAGES.get(name), path.get(), false);
  }

  /**
   * Asks {@code command} (e.g. {@code [apt-get, --version]}), or dpkg for a tool of {@link #DEBIAN_PACKAGES}, unless
   * it was asked already; returns at once.
   */
  public static CompletableFuture<String> ask(List<String> command) {
    List<String> asked = List.copyOf(command);
    return ASKED.computeIfAbsent(String.join(" ", asked) + " @ " + executable(asked.get(0)),
        k -> CompletableFuture.supplyAsync(
            () -> packaged(asked.get(0)).orElseGet(() -> ExternalCommand.firstLine(asked)), QUESTIONS));
  }

  /** Which file {@code tool} is now: its path on the PATH, file key, size and modification time; or "absent". */
  private static String executable(String tool) {
    Optional<Path> path = ExternalCommand.onPath(tool);
    if (path.isEmpty()) {
      return "absent";
    }
    try {
      BasicFileAttributes attributes = Files.readAttributes(path.get(), BasicFileAttributes.class);
      return path.get() + " " + attributes.fileKey() + " " + attributes.size() + " " + attributes.lastModifiedTime();
    } catch (IOException e) {
      return path.get() + " unreadable";
    }
  }

  /** The answer to {@code command}, waiting for it if it is still being asked. */
  public static String of(List<String> command) {
    return ask(command).join();
  }
}
