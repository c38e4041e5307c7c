package org.bootfarm.worker.pkg;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which of a fresh root's package files mmdebstrap's essential phase may need before its essential hooks run: the
 * packages marked {@code Essential: yes} among them and everything those pre-depend on, depend on or recommend,
 * every alternative and every provider of a virtual package followed, within the files of the bootstrap. apt picks
 * the essential set only along those relations, so this is a superset of what it picks: the fetch may hold back
 * the other files (the kernel, the definition's own packages) until the essential hook (docs/adr/0063). A file is
 * never left out by a guess; at worst one is fetched early.
 */
final class AptEssentialSet {
  private AptEssentialSet() {}

  /**
   * The archive names among the packages of {@code index} that the essential phase may need. Read it
   * {@link AptPackageIndex#readWithRelations} for every file the bootstrap installs, those to fetch and those already
   * in the root's archives: a relation through a file already there counts as much as one through a file to fetch.
   */
  static Set<String> of(AptPackageIndex index) {
    return closure(index.relations().values());
  }

  /** The closure from the essential packages of {@code packages} over their relations, as archive names. */
  static Set<String> closure(Iterable<AptPackageIndex.Relations> packages) {
    Map<String, Set<AptPackageIndex.Relations>> byName = new HashMap<>();
    Deque<AptPackageIndex.Relations> pending = new ArrayDeque<>();
    for (AptPackageIndex.Relations p : packages) {
      byName.computeIfAbsent(p.pkg(), k -> new HashSet<>()).add(p);
      for (String provided : names(p.provides())) {
        byName.computeIfAbsent(provided, k -> new HashSet<>()).add(p);
      }
      if ("yes".equalsIgnoreCase(p.essential())) {
        pending.add(p);
      }
    }
    Set<String> needed = new HashSet<>();
    while (!pending.isEmpty()) {
      AptPackageIndex.Relations p = pending.poll();
      if (!needed.add(p.archiveName())) {
        continue;
      }
      for (String field : new String[] {p.preDepends(), p.depends(), p.recommends()}) {
        for (String name : names(field)) {
          pending.addAll(byName.getOrDefault(name, Set.of()));
        }
      }
    }
    return needed;
  }

  /**
   * The package names a relation field names, every alternative included, without versions and architecture
   * qualifiers: {@code "libc6 (>= 2.34), debconf (>= 0.5) | debconf-2.0, perl:any"} names libc6, debconf,
   * debconf-2.0 and perl.
   */
  static List<String> names(String field) {
    if (field == null || field.isBlank()) {
      return List.of();
    }
    List<String> names = new java.util.ArrayList<>();
    for (String relation : field.split("[,|]")) {
      String name = relation.strip();
      int cut = name.length();
      for (char c : new char[] {' ', '(', '[', '<', ':'}) {
        int at = name.indexOf(c);
        if (at >= 0 && at < cut) {
          cut = at;
        }
      }
      name = name.substring(0, cut);
      if (!name.isEmpty()) {
        names.add(name);
      }
    }
    return names;
  }
}
