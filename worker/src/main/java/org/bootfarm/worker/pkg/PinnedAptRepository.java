package org.bootfarm.worker.pkg;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildFailure.Kind;

/**
 * The flat apt repository a rebuild from a record installs from: the pinned {@code <sha256>.deb} files
 * ({@link PinnedInputs}) linked into a directory of the build's work dir with a {@code Packages} index (each
 * file's own control stanza plus {@code Filename}, {@code Size} and the {@code SHA256} the original build
 * recorded) and a {@code Release}, and a one-line sources file naming it as
 * {@code deb [trusted=yes] copy:<dir>/ ./}. apt checks every file it takes against the recorded SHA256 in
 * that index; {@code copy:} puts the files into the root's archives directory, as a download would. Why the
 * source carries no signature: docs/adr/0036-apt-rebuilds-from-a-flat-local-repository.md.
 */
public final class PinnedAptRepository {

  /** The suite (Release's Suite and Codename) mmdebstrap is told to bootstrap: the whole pinned set. */
  public static final String SUITE = "bootfarm-pinned";

  private static final String SUFFIX = ".deb";

  private final Path directory;
  private final AptSourcesFile sources;

  private PinnedAptRepository(Path directory, AptSourcesFile sources) {
    this.directory = directory;
    this.sources = sources;
  }

  /**
   * Writes the repository of {@code pinned} into {@code workDir} (which must be empty): {@code repo/} and
   * {@code pinned.list}.
   *
   * @throws BuildFailure INPUT naming the package when its file is missing from {@link PinnedInputs#dir} or
   *     holds another package than the record says
   */
  public static PinnedAptRepository write(PinnedInputs pinned, Path workDir, long sourceDateEpoch)
      throws BuildFailure {
    Path repo = workDir.resolve("repo").toAbsolutePath();
    try {
      Files.createDirectories(repo);
      List<LockedPackage> packages = new ArrayList<>(pinned.packages());
      packages.sort(Comparator.comparing(LockedPackage::name).thenComparing(LockedPackage::arch)
          .thenComparing(LockedPackage::version));
      StringBuilder index = new StringBuilder();
      for (LockedPackage p : packages) {
        Path file = pinned.file(p, SUFFIX).toAbsolutePath();
        if (!Files.isRegularFile(file)) {
          throw new BuildFailure(Kind.INPUT, "pinned inputs: the package file of " + p.describe() + " (sha256 "
              + p.sha256() + ") is not in " + pinned.dir() + " as " + PinnedInputs.fileName(p, SUFFIX)
              + ": fetch the build's inputs again (bootfarm fetch --inputs BUILD_ID)");
        }
        String stanza = DebFile.control(file);
        Map<String, String> control = fields(stanza);
        String holds = control.get("Package") + " " + control.get("Version") + " " + control.get("Architecture");
        if (!holds.equals(p.name() + " " + p.version() + " " + p.arch())) {
          throw new BuildFailure(Kind.INPUT, "pinned inputs: " + file + " holds " + holds + ", but the record says "
              + p.describe() + " has sha256 " + p.sha256() + "; the inputs directory or the record is corrupt");
        }
        String name = PinnedInputs.fileName(p, SUFFIX);
        Path link = repo.resolve(name);
        if (!Files.exists(link, LinkOption.NOFOLLOW_LINKS)) {
          Files.createSymbolicLink(link, file);
        }
        index.append(stanza(stanza, "./" + name, Files.size(file), p.sha256()));
      }
      byte[] packagesBytes = index.toString().getBytes(StandardCharsets.UTF_8);
      Files.write(repo.resolve("Packages"), packagesBytes);
      Files.writeString(repo.resolve("Release"), release(sourceDateEpoch, Sha256.of(packagesBytes),
          packagesBytes.length));
      Path list = workDir.resolve("pinned.list").toAbsolutePath();
      String uri = "copy:" + repo + "/";
      Files.writeString(list, "deb [trusted=yes] " + uri + " ./\n");
      return new PinnedAptRepository(repo, new AptSourcesFile(list, SUITE, List.of(uri), List.of()));
    } catch (IOException e) {
      throw new BuildFailure(Kind.INTERNAL, "apt: cannot write the local repository of the pinned inputs in "
          + repo + ": " + e.getMessage(), e);
    }
  }

  /** The repository's directory (Packages, Release and the links to the pinned files). */
  public Path directory() {
    return directory;
  }

  /** The sources file naming only this repository, with {@link #SUITE} as the suite to bootstrap. */
  public AptSourcesFile sources() {
    return sources;
  }

  /** One index stanza: the control stanza without any field the index itself sets, then those fields. */
  static String stanza(String control, String filename, long size, String sha256) {
    StringBuilder out = new StringBuilder();
    boolean skipping = false;
    for (String line : control.split("\n")) {
      if (line.isBlank()) {
        continue;
      }
      if (!line.startsWith(" ") && !line.startsWith("\t")) {
        String field = line.contains(":") ? line.substring(0, line.indexOf(':')) : line;
        skipping = List.of("Filename", "Size", "MD5sum", "SHA1", "SHA256", "SHA512").stream()
            .anyMatch(f -> f.equalsIgnoreCase(field));
      }
      if (!skipping) {
        out.append(line).append('\n');
      }
    }
    out.append("Filename: ").append(filename).append('\n');
    out.append("Size: ").append(size).append('\n');
    out.append("SHA256: ").append(sha256).append("\n\n");
    return out.toString();
  }

  /** The Release file: dated at the build's SOURCE_DATE_EPOCH (never the clock), listing the index's SHA256. */
  static String release(long sourceDateEpoch, String packagesSha256, long packagesSize) {
    String date = DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'UTC'", Locale.ROOT)
        .format(Instant.ofEpochSecond(sourceDateEpoch).atOffset(ZoneOffset.UTC));
    return "Origin: bootfarm\n"
        + "Label: bootfarm pinned inputs\n"
        + "Suite: " + SUITE + "\n"
        + "Codename: " + SUITE + "\n"
        + "Date: " + date + "\n"
        + "Description: the archived package files of the build being rebuilt\n"
        + "SHA256:\n"
        + " " + packagesSha256 + " " + packagesSize + " Packages\n";
  }

  /** The top-level fields of a control stanza (continuation lines dropped). */
  static Map<String, String> fields(String control) {
    Map<String, String> fields = new LinkedHashMap<>();
    for (String line : control.split("\n")) {
      int colon = line.indexOf(':');
      if (!line.startsWith(" ") && !line.startsWith("\t") && colon > 0) {
        fields.put(line.substring(0, colon), line.substring(colon + 1).trim());
      }
    }
    return fields;
  }
}
