package org.bootfarm.worker.pkg;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bootfarm.protocol.build.Lock;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.protocol.build.PackageOrigin;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildFailure.Kind;

/**
 * Says where each package of a dnf lock came from: the repo id is the cache directory dnf downloaded the
 * file into ({@code <cache>/<repoid>-<16 hex>/packages/<file>}), the URL is what dnf itself answers,
 * offline from that cache, for the package in that repository ({@code repoquery -C --location}): the
 * repository's baseurl (variables substituted, first mirror) joined with the package's location_href.
 */
final class DnfOrigins {
  private static final Pattern REPO_CACHE_DIR = Pattern.compile("^(.+)-[0-9a-f]{16}$");

  /** Asks dnf for the download URL of each of {@code nevras} in repository {@code repoId}, one URL a line. */
  interface Query {
    List<String> locations(String repoId, List<String> nevras) throws BuildFailure;
  }

  private DnfOrigins() {}

  /**
   * {@code lock} with the origin of every package whose file is in {@code cache}: from {@code known} (by sha256,
   * what the resolution read, {@link DnfResolvedLocations}) or else from {@code query}, which is asked only for the
   * repositories of the others; a package installed from a file outside the cache (an operator's kernel RPM)
   * keeps no origin.
   *
   * @throws BuildFailure TOOL when dnf cannot answer, INTERNAL when it names no URL for a cached package
   */
  static Lock add(Lock lock, Map<String, Path> filesBySha256, Path cache, Map<String, PackageOrigin> known,
      Query query) throws BuildFailure {
    Map<String, List<LockedPackage>> byRepo = new TreeMap<>();
    Map<String, PackageOrigin> origins = new HashMap<>();
    for (LockedPackage p : lock.packages()) {
      java.util.Optional<String> repo = repoId(cache, filesBySha256.get(p.sha256()));
      if (repo.isPresent() && known.containsKey(p.sha256()) && known.get(p.sha256()).repository().equals(repo.get())) {
        origins.put(p.sha256(), known.get(p.sha256()));
      } else {
        repo.ifPresent(r -> byRepo.computeIfAbsent(r, k -> new ArrayList<>()).add(p));
      }
    }
    for (Map.Entry<String, List<LockedPackage>> repo : byRepo.entrySet()) {
      Map<String, String> urlByFileName = new HashMap<>();
      for (String url : query.locations(repo.getKey(), repo.getValue().stream().map(LockedPackage::describe).toList())) {
        String trimmed = url.trim();
        if (!trimmed.isEmpty()) {
          urlByFileName.put(trimmed.substring(trimmed.lastIndexOf('/') + 1), trimmed);
        }
      }
      for (LockedPackage p : repo.getValue()) {
        String fileName = filesBySha256.get(p.sha256()).getFileName().toString();
        String url = urlByFileName.get(fileName);
        if (url == null) {
          throw new BuildFailure(Kind.INTERNAL, "dnf names no location of " + p.describe() + " (" + fileName
              + ") in repository " + repo.getKey() + " although its file is in that repository's cache;"
              + " the cache changed during the build, build again");
        }
        origins.put(p.sha256(), new PackageOrigin(repo.getKey(), url));
      }
    }
    return new Lock(lock.engine(), lock.packages().stream()
        .map(p -> origins.containsKey(p.sha256()) ? p.withOrigin(origins.get(p.sha256())) : p).toList());
  }

  /** The repo id of a file in {@code <cache>/<repoid>-<hash>/packages/}, empty for any other file. */
  static java.util.Optional<String> repoId(Path cache, Path file) {
    if (file == null || !file.toAbsolutePath().startsWith(cache.toAbsolutePath())) {
      return java.util.Optional.empty();
    }
    Path packages = file.getParent();
    if (packages == null || !packages.getFileName().toString().equals("packages") || packages.getParent() == null) {
      return java.util.Optional.empty();
    }
    Matcher m = REPO_CACHE_DIR.matcher(packages.getParent().getFileName().toString());
    return m.matches() ? java.util.Optional.of(m.group(1)) : java.util.Optional.empty();
  }
}
