package org.bootfarm.coordinator.daemon;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.bootfarm.coordinator.RepoCatalog;

/**
 * What the operator's {@code --allow-unsigned} did, said once at start, one line each: the repos allowed
 * that install packages without a signature check (and what), those allowed that are signed throughout,
 * and names that match no definition of the catalog (a misspelt name allows nothing).
 */
final class UnsignedRepoNotice {
  private UnsignedRepoNotice() {
  }

  static List<String> lines(RepoCatalog catalog, Set<String> allowed) {
    List<String> lines = new ArrayList<>();
    for (String name : new TreeSet<>(allowed)) {
      Optional<RepoCatalog.Entry> entry = catalog.find(name);
      if (entry.isEmpty()) {
        lines.add("--allow-unsigned " + name + " names no repo definition of this farm; it allows nothing");
      } else if (entry.get().definition().isPresent()) {
        List<String> unsigned = entry.get().definition().get().unsigned();
        lines.add(unsigned.isEmpty() ? "repo " + name + " is allowed unsigned but is signed throughout"
            : "repo " + name + " is built UNSIGNED (allowed by --allow-unsigned): " + String.join("; ", unsigned));
      }
    }
    return lines;
  }
}
