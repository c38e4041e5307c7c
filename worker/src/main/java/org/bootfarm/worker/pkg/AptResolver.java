package org.bootfarm.worker.pkg;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.build.Lock;
import org.bootfarm.protocol.build.PackageOrigin;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildFailure.Kind;
import org.bootfarm.worker.FileTrees;
import org.bootfarm.worker.process.ToolVersions;

/**
 * Names the package files apt would install for a build of an apt definition, without downloading or installing
 * one (docs/adr/0049): apt's own resolver, with the configuration a fresh root is bootstrapped with
 * ({@link AptDriver#bootstrapConfig}: the build's sources, an empty status but for the merged-usr hook's dummy,
 * the essential set, the definition's packages and {@code usr-is-merged}, {@link AptDriver#bootstrapRequest}),
 * against the repo's warm indices refreshed first ({@code apt-get update}, in the download phase's sandbox; the
 * verified indices are published back to the warm cache as an install publishes them), then
 * {@code apt-get install --print-uris} per transaction into an empty archives directory: every file the install
 * would take, with the SHA256 of the signed index. Each is named with the origin the build's lock will give it
 * ({@link AptOrigins}). The result is memoised under {@code <cache>/apt/resolved/}, keyed by the sha256 of every
 * refreshed index file and the request: while the indices stay the same, a resolution costs the refresh and
 * the hashing, not apt's solver. A memo's first line names its key and the sha256 of its lines: an altered memo
 * is not taken.
 */
final class AptResolver {
  /** Changes whenever what a resolution means changes in a way its memo key does not show. */
  static final String FORMAT = "bootfarm-apt-resolve 1";
  /** Memo entries unused this long are deleted when the next one is written. */
  static final Duration MEMO_IDLE = Duration.ofDays(7);

  private AptResolver() {}

  /**
   * One line per package file of each transaction, {@code name version arch sha256 HEX origin REPOSITORY URL}
   * sorted, the transactions headed {@code transaction N}; empty when apt could not refresh the indices or
   * resolve a transaction (logged with apt's errors; the build then runs and reports them). {@code session}'s
   * rootfs must be an empty directory.
   *
   * @throws BuildFailure PACKAGE for a name that is no Debian package name, as an install would;
   *     CANCELLED when the build was cancelled meanwhile
   */
  static Optional<List<String>> resolve(AptDriver driver, PackageSession session, List<List<String>> transactions)
      throws BuildFailure {
    for (List<String> packages : transactions) {
      AptDriver.checkPackageNames(packages);
    }
    AptSourcesFile sources = AptDriver.sourcesOf(session);
    Path listsCache = session.cacheDir().resolve("apt/lists");
    Path aptDir = null;
    try {
      Files.createDirectories(listsCache);
      aptDir = Files.createTempDirectory(Files.createDirectories(session.workDir()), "apt-resolve-");
      Files.createDirectories(session.rootfs());
      org.bootfarm.worker.image.ImageRoot image = session.image();
      Path lists = image.createDirectories(AptDriver.LISTS);
      image.createDirectories(AptDriver.LISTS + "/partial");
      image.createDirectories("/var/cache/apt/archives/partial");
      AptCacheLock.holding(session.cacheDir(), () -> AptDriver.linkOrCopyFiles(listsCache, lists, ""));
      Path config = driver.bootstrapConfig(session, sources, aptDir);
      // apt's caches stay in memory: nothing reads them again
      Files.writeString(config, "Dir::Cache::pkgcache \"\";\nDir::Cache::srcpkgcache \"\";\n",
          java.nio.file.StandardOpenOption.APPEND);
      Map<String, String> environment = Map.of("APT_CONFIG", config.toString());
      var sandbox = driver.sandbox(session, sources, AptDriver.Phase.DOWNLOAD, aptDir);
      Instant refreshed = Instant.now();
      try {
        driver.runApt(session, sources, AptDriver.withoutPty(List.of("apt-get", "update", "--error-on=any",
            "-o", "pkgCacheFile::Generate=false")), environment, sandbox);
      } catch (BuildFailure e) {
        if (e.kind() == Kind.CANCELLED) {
          throw e;
        }
        session.log().line(session.stage(), "apt: the indices could not be refreshed, so the packages are not"
            + " resolved (" + e.getMessage() + ")");
        return Optional.empty();
      }
      List<List<String>> requests = new ArrayList<>();
      for (List<String> packages : transactions) {
        requests.add(driver.bootstrapRequest(sources, packages));
      }
      String memoKey = Sha256.of(memoListing(driver, sources, requests, lists).getBytes(StandardCharsets.UTF_8));
      // the note vouches for the set published with it
      AptCacheLock.holding(session.cacheDir(), () -> {
        AptDriver.publishLists(lists, listsCache);
        AptIndexRefresh.noteRefreshed(session.cacheDir(), sources.file(), refreshed, memoKey, requests);
      });
      Path memo = session.cacheDir().resolve("apt/resolved").resolve(memoKey);
      Optional<List<String>> remembered = readMemo(memo, memoKey);
      if (remembered.isPresent()) {
        session.log().line(session.stage(), "apt: the indices and the request are those of an earlier resolution"
            + " (memo " + memoKey + "): its package files are taken, apt's solver does not run");
        for (int i = 0; i < requests.size(); i++) {
          touch(listingFile(memo, i));
        }
        return remembered;
      }
      List<List<PrintedFile>> printed = new ArrayList<>();
      List<List<String>> listings = new ArrayList<>();
      for (List<String> request : requests) {
        List<String> listing = new ArrayList<>();
        Optional<List<PrintedFile>> files = printUris(driver, session, sources, sandbox, environment, request,
            listing);
        if (files.isEmpty()) {
          return Optional.empty();
        }
        printed.add(files.get());
        listings.add(listing);
      }
      Optional<List<String>> named = named(printed, lists, sources, session);
      if (named.isPresent()) {
        try {
          for (int i = 0; i < listings.size(); i++) {
            writeMemo(listingFile(memo, i), memoKey, listings.get(i));
          }
          writeMemo(memo, memoKey, named.get());
        } catch (IOException e) {
          session.log().line(session.stage(), "apt: resolution not remembered, " + e.getMessage() + "; check "
              + memo.getParent());
        }
      }
      return named;
    } catch (InterruptedIOException e) {
      throw new BuildFailure(Kind.CANCELLED, "apt was stopped while it resolved the packages", e);
    } catch (IOException e) {
      throw new BuildFailure(Kind.INTERNAL, "apt: cannot resolve the packages in " + session.rootfs() + " (cache "
          + session.cacheDir() + "): " + e.getMessage(), e);
    } finally {
      if (aptDir != null) {
        FileTrees.deleteQuietly(aptDir);
      }
    }
  }

  /** A lock's package files (installed and removed) as {@link #resolve} names them, sorted. */
  static List<String> lines(Lock lock) {
    return lock.inputs().stream().map(p -> line(p.name(), p.version(), p.arch(), p.sha256(), p.origin()))
        .sorted().toList();
  }

  /**
   * One package file as {@link #resolve} and {@link #lines(Lock)} name it, {@code name version arch sha256 HEX origin
   * REPOSITORY URL} ({@code origin unknown} without one): the one form both are written in, since a build's lock is
   * compared with its resolution line for line ({@link ResolutionCheck}).
   */
  private static String line(String name, String version, String arch, String sha256, PackageOrigin origin) {
    return name + " " + version + " " + arch + " sha256 " + sha256 + " origin "
        + (origin == null ? "unknown" : origin.repository() + " " + origin.url());
  }

  /** A file {@code apt-get --print-uris} names: its package, version and architecture, and the URL apt fetches. */
  record PrintedFile(String name, String version, String arch, String url) {
    String archiveName() {
      return AptPackageIndex.archiveName(name, version, arch);
    }
  }

  /**
   * {@code apt-get install --print-uris} of one request: the files it would fetch, their lines added to
   * {@code listing} as apt printed them; empty (apt's errors logged) when apt cannot resolve it.
   */
  private static Optional<List<PrintedFile>> printUris(AptDriver driver, PackageSession session,
      AptSourcesFile sources, org.bootfarm.sandbox.Sandbox sandbox, Map<String, String> environment,
      List<String> request, List<String> listing) throws IOException, BuildFailure {
    List<String> command = new ArrayList<>(List.of("apt-get", "-y", "-qq", "--print-uris", "install"));
    command.addAll(request);
    List<PrintedFile> files = new ArrayList<>();
    AptDriver.ToolRun run = driver.runTool(session, sandbox.command(AptDriver.withoutPty(command)), environment,
        line -> printedFile(line).ifPresentOrElse(file -> {
          files.add(file);
          listing.add(line);
        }, () -> session.log().line(session.stage(), line)), true);
    if (run.exitCode() != 0) {
      session.log().line(session.stage(), "apt could not resolve " + String.join(" ", request) + " (exit "
          + run.exitCode() + "): " + String.join("; ", run.problems()));
      return Optional.empty();
    }
    return Optional.of(files);
  }

  /**
   * A {@code --print-uris} line ({@code 'URL' FILE SIZE HASH}) as the file it names: package, version and
   * architecture from apt's archive name ({@link AptPackageIndex#archiveName}, '%' quoting undone), the URL
   * unquoted. Its hash is not taken: apt prints whichever hash it holds first (MD5Sum for bookworm, none for
   * bookworm-security), so the SHA256 comes from the signed index that lists the file at that URL. Empty for any
   * other line.
   */
  static Optional<PrintedFile> printedFile(String line) {
    Optional<AptFetchPlan.PrintedUri> printed = AptFetchPlan.printedUri(line);
    if (printed.isEmpty() || !printed.get().archiveName().endsWith(".deb")) {
      return Optional.empty();
    }
    String file = printed.get().archiveName();
    String[] parts = file.substring(0, file.length() - ".deb".length()).split("_", -1);
    if (parts.length != 3) {
      return Optional.empty();
    }
    return Optional.of(new PrintedFile(unquote(parts[0]), unquote(parts[1]), unquote(parts[2]),
        unquote(printed.get().uri())));
  }

  private static String unquote(String quoted) {
    return AptOrigins.percentDecoded(quoted);
  }

  /**
   * Each transaction's files as {@code name version arch sha256 HEX origin REPOSITORY URL}, sorted: the SHA256
   * the signed index states for the file at the URL apt would fetch, and the origin the build's lock will record
   * for that very file ({@link AptOrigins}); empty (logged) when an index lists no file at such a URL.
   */
  private static Optional<List<String>> named(List<List<PrintedFile>> transactions, Path lists,
      AptSourcesFile sources, PackageSession session) throws IOException {
    TreeSet<String> wanted = new TreeSet<>();
    transactions.forEach(files -> files.forEach(f -> wanted.add(f.archiveName())));
    AptOrigins origins = AptOrigins.read(lists, sources.uris(), wanted);
    List<String> named = new ArrayList<>();
    List<String> unlisted = new ArrayList<>();
    for (int i = 0; i < transactions.size(); i++) {
      named.add("transaction " + i);
      List<String> lines = new ArrayList<>();
      for (PrintedFile file : transactions.get(i)) {
        Optional<String> sha256 = origins.sha256At(file.url());
        if (sha256.isEmpty()) {
          unlisted.add(file.url());
          continue;
        }
        lines.add(line(file.name(), file.version(), file.arch(), sha256.get(),
            origins.of(file.archiveName(), sha256.get()).orElse(null)));
      }
      lines.stream().sorted().forEach(named::add);
    }
    if (!unlisted.isEmpty()) {
      session.log().line(session.stage(), "apt would fetch files no index in " + lists + " lists with a SHA256: "
          + String.join(", ", unlisted));
      return Optional.empty();
    }
    return Optional.of(named);
  }

  /**
   * What the memo key hashes: the format, apt's version, the architecture and options, the sources file, the
   * requests, and the sha256 of every index file apt kept after the refresh (each {@code InRelease} and the
   * {@code Packages} it vouches for): one changed byte of any runs apt's solver again.
   */
  private static String memoListing(AptDriver driver, AptSourcesFile sources, List<List<String>> requests,
      Path lists) throws IOException, BuildFailure {
    List<String> lines = new ArrayList<>();
    lines.add(FORMAT);
    lines.add("apt " + ToolVersions.of(List.of("apt-get", "--version")));
    lines.add("architecture " + driver.hostArchitecture());
    driver.aptOptions().forEach(o -> lines.add("option " + o));
    lines.add("status " + Sha256.of(AptDriver.MERGED_USR_STATUS.getBytes(StandardCharsets.UTF_8)));
    lines.add("sources " + Sha256.of(sources.file()));
    for (int i = 0; i < requests.size(); i++) {
      lines.add("transaction " + i + " " + String.join(" ", requests.get(i)));
    }
    TreeMap<String, Path> indices = new TreeMap<>();
    try (Stream<Path> files = Files.list(lists)) {
      files.filter(f -> Files.isRegularFile(f, java.nio.file.LinkOption.NOFOLLOW_LINKS))
          .filter(f -> !"lock".equals(f.getFileName().toString()))
          .forEach(f -> indices.put(f.getFileName().toString(), f));
    }
    for (Map.Entry<String, Path> index : indices.entrySet()) {
      lines.add("index " + index.getKey() + " " + Sha256.of(index.getValue()));
    }
    return String.join("\n", lines) + "\n";
  }

  private static Optional<List<String>> readMemo(Path memo, String memoKey) {
    try {
      List<String> lines = Files.readAllLines(memo, StandardCharsets.UTF_8);
      if (lines.isEmpty() || !lines.get(0).equals(header(memoKey, lines.subList(1, lines.size())))) {
        return Optional.empty(); // another format, or altered since it was written: apt resolves again
      }
      Files.setLastModifiedTime(memo, FileTime.from(Instant.now()));
      return Optional.of(List.copyOf(lines.subList(1, lines.size())));
    } catch (IOException e) {
      return Optional.empty(); // none yet, or unreadable: apt resolves
    }
  }

  /**
   * The {@code --print-uris} lines of transaction {@code transaction} of the resolution remembered under
   * {@code memoKey} in the warm cache {@code cacheDir}, as apt printed them into an empty archives directory: every
   * package file that transaction installs, for a bootstrap of the same request from the same indices
   * ({@link AptIndexRefresh}) to fetch without asking apt's solver again. Empty when there is none, or it was
   * altered.
   */
  static Optional<List<String>> savedListing(Path cacheDir, String memoKey, int transaction) {
    return readMemo(listingFile(cacheDir.resolve("apt/resolved").resolve(memoKey), transaction), memoKey);
  }

  private static Path listingFile(Path memo, int transaction) {
    return memo.resolveSibling(memo.getFileName() + ".uris-" + transaction);
  }

  private static void touch(Path file) {
    try {
      Files.setLastModifiedTime(file, FileTime.from(Instant.now()));
    } catch (IOException e) {
      // none: a bootstrap then asks apt's solver
    }
  }

  /** A memo's first line: the format, its key and the sha256 of its other lines, so an altered memo is not taken. */
  private static String header(String memoKey, List<String> lines) {
    return FORMAT + " " + memoKey + " " + Sha256.of((String.join("\n", lines) + "\n").getBytes(StandardCharsets.UTF_8));
  }

  /**
   * Writes a memo (or a transaction's listing) under a temporary name, then renames it; deletes memos idle for
   * {@link #MEMO_IDLE}.
   */
  private static void writeMemo(Path memo, String memoKey, List<String> lines) throws IOException {
    Path dir = Files.createDirectories(memo.getParent());
    Path temporary = Files.createTempFile(dir, "." + memoKey, ".partial");
    try {
      List<String> text = new ArrayList<>();
      text.add(header(memoKey, lines));
      text.addAll(lines);
      Files.write(temporary, text, StandardCharsets.UTF_8);
      Files.move(temporary, memo, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temporary);
    }
    Instant cutoff = Instant.now().minus(MEMO_IDLE);
    try (Stream<Path> files = Files.list(dir)) {
      for (Path old : files.toList()) {
        if (Files.getLastModifiedTime(old).toInstant().isBefore(cutoff)) {
          Files.deleteIfExists(old);
        }
      }
    }
  }
}
