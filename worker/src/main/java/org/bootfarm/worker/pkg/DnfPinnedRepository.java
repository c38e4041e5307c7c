package org.bootfarm.worker.pkg;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bootfarm.protocol.build.Lock;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildFailure.Kind;
import org.bootfarm.worker.FileTrees;
import org.bootfarm.worker.process.ExternalCommand;
import org.bootfarm.sandbox.Sandbox;

/**
 * The local repository a pinned dnf session (a rebuild from a record) installs from: the pinned package
 * files linked into the session's work directory, indexed by createrepo_c, named by a .repo file that
 * is the only repository dnf sees (file:// baseurl, the definition's signature checks kept); {@link PinnedSet}
 * checks what it installed against the pinned set. Nothing of it is inside the
 * image: dnf's cache for it is in the work directory too, never the repo's warm cache (docs/adr/0035).
 */
final class DnfPinnedRepository {
  /** The repo id dnf knows the local repository by; dnf keeps it only in files outside the image. */
  static final String REPO_ID = "bootfarm-pinned";
  static final String SUFFIX = ".rpm";


  private DnfPinnedRepository() {}

  /** Where the local repository is: {@code <work>/dnf-pinned/repo}. */
  static Path directory(PackageSession session) {
    return session.workDir().resolve("dnf-pinned").resolve("repo").toAbsolutePath();
  }

  /** The package files of the pinned session's local repository, sorted. */
  static List<Path> files(PackageSession session) throws BuildFailure {
    try (java.util.stream.Stream<Path> list = Files.list(directory(session))) {
      return list.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).sorted().toList();
    } catch (IOException e) {
      throw new BuildFailure(Kind.INTERNAL, "cannot list the pinned repository " + directory(session) + ": "
          + e.getMessage(), e);
    }
  }

  /** dnf's cache for the pinned session: in the work directory, so the repo's warm cache stays as it was. */
  static Path cache(PackageSession session) {
    return session.workDir().resolve("dnf-pinned").resolve("cache").toAbsolutePath();
  }

  /**
   * Makes the local repository once per session: every pinned rpm linked (or copied) from
   * {@link PinnedInputs#dir} and indexed by createrepo_c, run confined to that directory. The files are named so
   * that createrepo_c lists them in the order dnf saw them upstream ({@link #upstreamOrder}): rpm breaks ties in
   * its transaction order by the order packages are added, and that order shows in the image's rpm database.
   *
   * @throws BuildFailure INPUT naming a pinned package whose file is not in the pinned directory
   */
  static Path make(PackageSession session, PinnedInputs pinned) throws BuildFailure {
    Path repo = directory(session);
    if (Files.isRegularFile(repo.resolve("repodata").resolve("repomd.xml"))) {
      return repo;
    }
    try {
      FileTrees.delete(repo);
      Files.createDirectories(repo);
      List<String> missing = new ArrayList<>();
      List<LockedPackage> ordered = upstreamOrder(session.definition(), pinned.packages());
      for (int rank = 0; rank < ordered.size(); rank++) {
        LockedPackage p = ordered.get(rank);
        Path source = pinned.file(p, SUFFIX);
        if (!Files.isRegularFile(source, LinkOption.NOFOLLOW_LINKS)) {
          missing.add(p.describe() + " (" + source + ")");
          continue;
        }
        Path target = repo.resolve(String.format("%05d-%s", rank, PinnedInputs.fileName(p, SUFFIX)));
        if (Files.exists(target)) {
          continue;
        }
        FileTrees.linkOrCopy(source, target);
      }
      if (!missing.isEmpty()) {
        throw new BuildFailure(Kind.INPUT, "the pinned inputs lack the package file of " + String.join(", ", missing)
            + "; put every package of the recorded lock there as <sha256>" + SUFFIX + " and rebuild");
      }
      ExternalCommand.output(Sandbox.confined().writable(repo).command(List.of("createrepo_c", "--quiet",
          "--no-database", "--workers", "1", repo.toString())), Map.of("LC_ALL", "C", "TZ", "UTC"));
      return repo;
    } catch (IOException e) {
      throw new BuildFailure(Kind.TOOL, "cannot make the local repository of the pinned packages in " + repo + ": "
          + e.getMessage() + "; install the Debian package createrepo-c", e);
    }
  }

  /**
   * The pinned packages in the order dnf loaded them upstream: by repository in the order dnf reads the
   * definition's .repo files (file names sorted, sections in file order), then by URL (the order of the
   * repository's metadata, for repositories whose metadata lists packages sorted by location); packages of no known
   * origin last, by sha256.
   */
  static List<LockedPackage> upstreamOrder(RepoDefinition definition, List<LockedPackage> packages) {
    List<String> repoIds = new ArrayList<>();
    Map<String, Path> byWrittenName = new TreeMap<>();
    for (Path repoFile : definition.repoFiles()) {
      byWrittenName.put(writtenName(repoFile), repoFile);
    }
    Pattern section = Pattern.compile("^\\s*\\[(.+)]\\s*$");
    for (Path repoFile : byWrittenName.values()) {
      try {
        for (String line : Files.readAllLines(repoFile)) {
          Matcher m = section.matcher(line);
          if (m.matches() && !m.group(1).trim().equals("main")) {
            repoIds.add(m.group(1).trim());
          }
        }
      } catch (IOException e) {
        // unreadable: its packages sort after the known repositories'
      }
    }
    java.util.Comparator<LockedPackage> order = java.util.Comparator
        .comparing((LockedPackage p) -> p.origin() == null ? Integer.MAX_VALUE
            : repoIds.contains(p.origin().repository()) ? repoIds.indexOf(p.origin().repository()) : repoIds.size())
        .thenComparing(p -> p.origin() == null ? "" : p.origin().repository())
        .thenComparing(p -> p.origin() == null || p.origin().url() == null ? "" : p.origin().url())
        .thenComparing(LockedPackage::sha256);
    return packages.stream().sorted(order).toList();
  }

  /** The name dnf's repos.d copy of a definition's repo file has ({@code x.repo.local} → {@code x.repo}). */
  static String writtenName(Path repoFile) {
    String name = repoFile.getFileName().toString();
    if (name.endsWith(".local")) {
      name = name.substring(0, name.length() - ".local".length());
    }
    return name.endsWith(".repo") ? name : name + ".repo";
  }

  /**
   * The .repo text of the local repository: its file:// baseurl, gpgcheck as the definition has it, and every
   * key the definition's .repo files name (resolved to its key file).
   *
   * @throws BuildFailure DEFINITION when a key is given by URL (or not found): a rebuild reads no network
   */
  static String repoFile(RepoDefinition definition, Path repo, boolean checkSignatures) throws BuildFailure {
    Map<String, Path> resolved = new TreeMap<>();
    definition.gpgKeys().forEach(k -> resolved.put(k.reference(), k.file().toAbsolutePath()));
    Set<String> keys = new LinkedHashSet<>();
    Set<String> unresolved = new TreeSet<>();
    for (String reference : keyReferences(definition)) {
      Path file = resolved.get(reference);
      if (file != null) {
        keys.add("file://" + file);
      } else {
        unresolved.add(reference);
      }
    }
    if (checkSignatures && !unresolved.isEmpty()) {
      throw new BuildFailure(Kind.DEFINITION, "a rebuild from pinned inputs reads no network, but the .repo files of "
          + definition.name() + " name the signing key " + String.join(", ", unresolved)
          + ", which is no key file on this machine; name it gpgkey=file:///etc/pki/rpm-gpg/<file> and put the key"
          + " in the definition or the keys directory");
    }
    StringBuilder text = new StringBuilder("[" + REPO_ID + "]\nname=pinned inputs of a rebuild\nbaseurl=file://"
        + repo + "\nenabled=1\ngpgcheck=" + (checkSignatures ? 1 : 0) + "\n");
    if (!keys.isEmpty()) {
      text.append("gpgkey=").append(String.join(" ", keys)).append('\n');
    }
    return text.toString();
  }

  /** Every gpgkey= reference of the definition's .repo files, in order. */
  private static List<String> keyReferences(RepoDefinition definition) throws BuildFailure {
    List<String> references = new ArrayList<>();
    for (Path repoFile : definition.repoFiles()) {
      List<String> lines;
      try {
        lines = Files.readAllLines(repoFile);
      } catch (IOException e) {
        throw new BuildFailure(Kind.DEFINITION, "cannot read " + repoFile + ": " + e.getMessage(), e);
      }
      for (String token : RepoFileKeys.references(lines)) {
        if (!references.contains(token)) {
          references.add(token);
        }
      }
    }
    return references;
  }
}
