package org.bootfarm.worker.pkg;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bootfarm.worker.BuildFailure;

/**
 * How the package files of one apt install are fetched on several connections at once: apt-get fetches the files
 * of a mirror one after the other on one connection (13 MB/s from Debian's mirror here), while three connections
 * fetched debian-12's 53 MB in 1.6 s against 4.2 s on one (docs/adr/0059). The plan reads what
 * {@code apt-get --print-uris install} would fetch, takes each file's SHA256 from the signed indices, and splits
 * the files into {@link #CONNECTIONS} shards of about equal cost, each fetched by one {@code apt-helper
 * download-file}: apt's own transports (http, https, file, copy), the apt configuration the build generated and
 * apt's hash check, one connection per process.
 */
final class AptFetchPlan {
  /** Connections to the mirror at once: more gave no more here, and a mirror owes one client only so many. */
  static final int CONNECTIONS = 3;

  /**
   * The worker's environment variable that sets the connections a build opens to a mirror at once, 1 to
   * {@link #MAX_CONNECTIONS}: 1 for a proxy or mirror that allows one connection per client.
   */
  static final String CONNECTIONS_VARIABLE = "BOOTFARM_APT_CONNECTIONS";

  static final int MAX_CONNECTIONS = 16;

  /** apt's own downloader of given URIs, with a hash check (package apt). */
  static final String APT_HELPER = "/usr/lib/apt/apt-helper";

  /**
   * One line of {@code apt-get --print-uris}: the quoted URI, the archive file name, the size and apt's choice of
   * hash, which may be empty (apt prints whichever hash it holds first: MD5Sum for bookworm, none for
   * bookworm-security), so it is never taken: the SHA256 comes from the signed indices.
   */
  private static final Pattern URI_LINE = Pattern.compile("'([^']+)' (\\S+) (\\d+)(?: \\S*)?");

  /** What one {@code --print-uris} line names: the URI as apt printed it (percent-quoted), the archive file name, the size. */
  record PrintedUri(String uri, String archiveName, long size) {}

  /** One package file to fetch: where from, its name in apt's archives directory, its size and SHA256. */
  record PackageFile(String uri, String archiveName, long size, String sha256) {}

  private AptFetchPlan() {}

  /**
   * The files {@code apt-get -qq --print-uris install} listed, with the SHA256 the signed indices state for each;
   * empty when a line is not such a listing, or the indices state no single SHA256 for a file: then apt-get
   * fetches them itself.
   */
  static Optional<List<PackageFile>> read(List<String> printUrisLines, AptPackageIndex index) {
    List<PackageFile> files = new ArrayList<>();
    for (String line : printUrisLines) {
      if (line.isBlank()) {
        continue;
      }
      Optional<PrintedUri> printed = printedUri(line);
      Optional<String> sha256 = printed.flatMap(p -> index.sha256(p.archiveName()));
      if (sha256.isEmpty()) {
        return Optional.empty();
      }
      files.add(new PackageFile(printed.get().uri(), printed.get().archiveName(), printed.get().size(), sha256.get()));
    }
    return Optional.of(List.copyOf(files));
  }

  /**
   * The connections a build opens at once: {@link #CONNECTIONS_VARIABLE} of the worker's {@code environment}, else
   * {@link #CONNECTIONS}.
   *
   * @throws BuildFailure TOOL (this worker's setting, another worker may do) when the value is no number from 1 to
   *     {@link #MAX_CONNECTIONS}
   */
  static int connections(Map<String, String> environment) throws BuildFailure {
    String value = environment.get(CONNECTIONS_VARIABLE);
    if (value == null || value.isBlank()) {
      return CONNECTIONS;
    }
    try {
      int connections = Integer.parseInt(value.strip());
      if (connections >= 1 && connections <= MAX_CONNECTIONS) {
        return connections;
      }
    } catch (NumberFormatException e) {
      // said below
    }
    throw new BuildFailure(BuildFailure.Kind.TOOL, CONNECTIONS_VARIABLE + "=" + value + " on this worker is no number"
        + " from 1 to " + MAX_CONNECTIONS + ": set it to how many connections a build may open to an apt mirror at once"
        + " (1 fetches one file after another, as apt-get does), or unset it for " + CONNECTIONS);
  }

  /** The archive file names a print-uris listing names, for reading only their entries of the indices. */
  static List<String> archiveNames(List<String> printUrisLines) {
    return printUrisLines.stream().flatMap(line -> printedUri(line).stream()).map(PrintedUri::archiveName).toList();
  }

  /** A {@code --print-uris} line as what it names; empty for any other line, or a file name with a '/'. */
  static Optional<PrintedUri> printedUri(String line) {
    Matcher m = URI_LINE.matcher(line.strip());
    if (!m.matches() || m.group(2).contains("/")) {
      return Optional.empty();
    }
    return Optional.of(new PrintedUri(m.group(1), m.group(2), Long.parseLong(m.group(3))));
  }

  /**
   * What a file costs a connection beyond its bytes: a request's round trip, counted in bytes. On Debian's mirror
   * from the build machine a small file took 45-70 ms of a connection while the 26.7 MB kernel package came at
   * more than 60 MB/s, so by bytes alone the kernel's shard finished in 0.4 s and the others in 2.2-2.8 s; with
   * 4 MiB a file the three shards ended within 0.2 s of each other, 1.6-1.8 s in all (docs/benchmarks.md). On a
   * mirror next door it costs a shard of small files a few files too many.
   */
  static final long FILE_COST_BYTES = 4L << 20;

  /**
   * {@code files} split into at most {@code connections} non-empty shards of about equal cost (bytes plus
   * {@link #FILE_COST_BYTES} a file): largest file first into the cheapest shard so far (ties to the first), so a
   * big kernel package does not wait behind a shard of small ones, nor its connection idle while they come. The
   * same files always give the same shards.
   */
  static List<List<PackageFile>> shards(List<PackageFile> files, int connections) {
    int n = Math.max(1, Math.min(connections, files.size()));
    List<List<PackageFile>> shards = new ArrayList<>();
    long[] bytes = new long[n];
    for (int i = 0; i < n; i++) {
      shards.add(new ArrayList<>());
    }
    List<PackageFile> bySize = new ArrayList<>(files);
    bySize.sort(Comparator.comparingLong(PackageFile::size).reversed().thenComparing(PackageFile::archiveName));
    for (PackageFile file : bySize) {
      int lightest = 0;
      for (int i = 1; i < n; i++) {
        if (bytes[i] < bytes[lightest]) {
          lightest = i;
        }
      }
      shards.get(lightest).add(file);
      bytes[lightest] += file.size() + FILE_COST_BYTES;
    }
    shards.removeIf(List::isEmpty);
    return shards;
  }

  /** The apt-helper command fetching {@code shard} into {@code partialDir} (a host path), each file checked. */
  static List<String> helperCommand(List<PackageFile> shard, String partialDir) {
    List<String> cmd = new ArrayList<>(List.of(APT_HELPER, "download-file"));
    for (PackageFile file : shard) {
      cmd.add(file.uri());
      cmd.add(partialDir + "/" + file.archiveName());
      cmd.add("SHA256:" + file.sha256());
    }
    return cmd;
  }
}
