package org.bootfarm.worker.pkg;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Predicate;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.build.Lock;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildFailure.Kind;
import org.bootfarm.worker.process.ExternalCommand;

/**
 * Names the package files dnf would install for a build, without downloading or installing one: dnf's own
 * command line, with the options a build's install runs with ({@link DnfDriver#dnfCommand}), against the
 * repo's warm metadata (refreshed first, so a package the repository published since is seen) and an empty
 * installroot, its transaction step replaced by a report of the transaction ({@code dnf-resolve.py}). The
 * action cache keys a build by this report ({@code docs/adr/0048}); it runs in the download phase's sandbox.
 */
final class DnfResolver {
  private static final String SCRIPT = "dnf-resolve.py";
  private static final String MARK = "BOOTFARM-RESOLVED\t";
  private static final String TRANSACTION = "BOOTFARM-TRANSACTION\t";
  /** The repository dnf names for a package given as a file on its command line. */
  static final String COMMAND_LINE = "@commandline";
  private static final String LOCATION = "BOOTFARM-LOCATION\t";
  private static final String VERSION = "BOOTFARM-DNF-VERSION\t";
  private static final String ASK_FETCH = "--bootfarm-ask-fetch";
  private static final String FETCH_QUESTION = "BOOTFARM-FETCH?";
  private static final String FETCHED = "BOOTFARM-FETCHED\t";

  /** The version dnf's Python last reported in this JVM (what {@code dnf --version} prints first); null before. */
  private static volatile String reportedVersion;

  private DnfResolver() {}

  /**
   * One line per package file of each transaction, {@code name evr arch repo checksum-type checksum}, the
   * transactions headed {@code transaction N}; empty when dnf could not resolve them (the build then runs
   * and reports why). {@code session}'s rootfs must be an empty directory. With {@code fetchNow} (else null), once
   * every transaction is reported, the same dnf downloads the first transaction's package files into the cache when
   * {@code fetchNow} accepts the lines, for the install of those packages in this build ({@link DnfPrefetch},
   * docs/adr/0058).
   */
  static Optional<List<String>> resolve(DnfDriver driver, PackageSession session, List<List<String>> transactions,
      Predicate<List<String>> fetchNow) throws BuildFailure {
    DnfDriver.DnfFiles files = driver.prepare(session);
    Path script = files.config().getParent().resolve(SCRIPT);
    try (InputStream in = DnfResolver.class.getResourceAsStream(SCRIPT)) {
      Files.write(script, in.readAllBytes());
    } catch (IOException | NullPointerException e) {
      throw new BuildFailure(Kind.INTERNAL, "cannot write " + script + ": " + e.getMessage(), e);
    }
    List<String> program = new ArrayList<>(List.of("/usr/bin/python3", script.toString()));
    if (fetchNow != null) {
      program.add(ASK_FETCH);
    }
    List<String> options = driver.dnfCommand(session, files, List.of());
    program.addAll(options.subList(1, options.size()));
    program.add("--refresh");
    for (List<String> packages : transactions) {
      program.add("--");
      program.addAll(packages);
    }
    // libdnf takes SOURCE_DATE_EPOCH as "now" when it judges the metadata's age: resolve without it
    Map<String, String> environment = new HashMap<>(driver.environment(files));
    environment.remove("SOURCE_DATE_EPOCH");
    List<String> lines = new ArrayList<>();
    Map<String, String[]> urlsBySha256 = new HashMap<>();
    Path cache = DnfDriver.packageCache(session);
    AtomicBoolean fetching = new AtomicBoolean();
    AtomicBoolean fetched = new AtomicBoolean();
    return DnfDriver.holdingCache(session, () -> {
      Map<Path, DnfCacheFiles.FileState> before = fetchNow == null ? Map.of() : DnfCacheFiles.snapshot(cache);
      ExternalCommand.Result result;
      try {
        result = ExternalCommand.run(driver.sandbox(session, files, DnfDriver.Phase.DOWNLOAD, List.of("install"))
            .command(program), environment, null, line -> {
              if (line.startsWith(MARK)) {
                lines.add(resolvedLine(line.substring(MARK.length())));
              } else if (line.startsWith(TRANSACTION)) {
                lines.add("transaction " + line.substring(TRANSACTION.length()));
              } else if (line.startsWith(LOCATION)) {
                // repo checksum-type checksum url: the lock's origin of that file (DnfResolvedLocations)
                String[] f = line.substring(LOCATION.length()).split("\t", -1);
                if (f.length == 4 && f[1].equals("sha256")) {
                  urlsBySha256.put(f[2], new String[] {f[0], f[3]});
                }
              } else if (line.startsWith(VERSION)) {
                reportedVersion = line.substring(VERSION.length()).strip();
              } else if (line.startsWith(FETCHED)) {
                fetched.set(true);
                session.log().line(session.stage(), "dnf: the action cache has no entry for this key: fetched the "
                    + line.substring(FETCHED.length()) + " package files the base stage installs in this run");
              } else if (!line.equals(FETCH_QUESTION)) {
                session.log().line(session.stage(), line);
              }
            }, line -> {
              if (!line.equals(FETCH_QUESTION)) {
                return null;
              }
              fetching.set(fetchNow.test(List.copyOf(lines)));
              return fetching.get() ? "fetch" : "keep";
            });
      } catch (java.io.InterruptedIOException e) {
        throw new BuildFailure(Kind.CANCELLED, "dnf was stopped while it resolved the packages", e);
      } catch (IOException e) {
        throw new BuildFailure(Kind.TOOL, "cannot run dnf to resolve the packages (" + e.getMessage()
            + "); install Debian packages dnf, rpm and bubblewrap", e);
      }
      if (fetched.get() && result.succeeded()) {
        DnfPrefetch.record(cache, session.log(), transactions.get(0), before);
      } else {
        DnfPrefetch.forget(cache);
        if (fetching.get()) {
          // what a fetch that did not finish left is not known to be whole: the base stage downloads it again
          DnfCacheFiles.discard(session, cache, DnfCacheFiles.added(DnfCacheFiles.snapshot(cache), before),
              java.util.Set.of());
        }
      }
      if (!result.succeeded()) {
        session.log().line(session.stage(), "dnf could not resolve the packages (exit " + result.exitCode() + ")");
        return Optional.<List<String>>empty();
      }
      DnfResolvedLocations.record(cache, urlsBySha256);
      return Optional.of(List.copyOf(lines));
    });
  }

  /** The version dnf's own Python reported when it last resolved in this JVM ({@code dnf --version}'s first line). */
  static Optional<String> reportedVersion() {
    return Optional.ofNullable(reportedVersion).filter(v -> !v.isEmpty());
  }

  /** A reported package; one given as a file (a kernel RPM) is named by its file's sha256 instead of its path. */
  private static String resolvedLine(String reported) {
    String[] fields = reported.split("\t", -1);
    if (fields.length != 6) {
      return String.join(" ", fields);
    }
    if ("None".equals(fields[4]) && fields[5].startsWith("/")) {
      try {
        fields[4] = "sha256";
        fields[5] = Sha256.of(Path.of(fields[5]));
      } catch (IOException e) {
        fields[5] = "unreadable " + fields[5];
      }
    }
    return line(fields[0], fields[1], fields[2], fields[3], fields[4], fields[5]);
  }

  /**
   * A lock's package files (installed and removed) as {@link #resolve} names them, sorted: the repo id is the one
   * {@link DnfOrigins} found the file under, and a package without an origin was installed from a file outside the
   * cache (a kernel RPM), which dnf names repository {@value #COMMAND_LINE}. The checksum is the file's sha256, so
   * a repository whose metadata states another checksum type never matches (docs/adr/0054).
   */
  static List<String> lines(Lock lock) {
    return lock.inputs().stream().map(p -> line(p.name(), p.version(), p.arch(),
        p.origin() == null ? COMMAND_LINE : p.origin().repository(), "sha256", p.sha256())).sorted().toList();
  }

  /**
   * One package file as {@link #resolve} and {@link #lines} name it, {@code name evr arch repo checksum-type
   * checksum}: the one form both are written in, since a build's lock is compared with its resolution line for
   * line ({@link ResolutionCheck}). The evr is dnf's ({@code [epoch:]version-release}, no {@code 0:}), as the lock's.
   */
  private static String line(String name, String evr, String arch, String repo, String checksumType,
      String checksum) {
    return String.join(" ", name, evr, arch, repo, checksumType, checksum);
  }
}
