package org.bootfarm.protocol.build;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The exact package set of a build, sorted by name then arch: part of the buildinfo, and the
 * input a rebuild pins.
 *
 * @param engine   the tool that installed them ({@code dnf}, {@code tdnf}, {@code yum}, {@code mmdebstrap})
 * @param packages the installed packages, as the image holds them at the end
 * @param removed  packages the staging installed earlier and then removed (its {@code packages_script_staging} or
 *                 {@code staging.sh}): not in the image, but a rebuild needs them; absent from the JSON when
 *                 empty, so a buildinfo without removals reads as before (docs/adr/0035)
 */
public record Lock(String engine, List<LockedPackage> packages,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<LockedPackage> removed) {
  private static final Comparator<LockedPackage> ORDER =
      Comparator.comparing(LockedPackage::name).thenComparing(LockedPackage::arch);

  public Lock {
    packages = packages.stream().sorted(ORDER).toList();
    removed = removed == null ? List.of() : removed.stream().sorted(ORDER).toList();
  }

  /** A lock with nothing removed. */
  public Lock(String engine, List<LockedPackage> packages) {
    this(engine, packages, List.of());
  }

  /** The same installed packages with {@code newRemoved} as what the staging removed. */
  public Lock withRemoved(List<LockedPackage> newRemoved) {
    return new Lock(engine, packages, newRemoved);
  }

  /** Everything a rebuild needs, what is installed and what was removed: {@code packages ∪ removed}, sorted. */
  @JsonIgnore
  public List<LockedPackage> inputs() {
    if (removed.isEmpty()) {
      return packages;
    }
    List<LockedPackage> all = new ArrayList<>(packages);
    removed.stream().filter(r -> packages.stream().noneMatch(p -> p.sha256().equals(r.sha256()))).forEach(all::add);
    return all.stream().sorted(ORDER).toList();
  }

  /** The newest package build time, the default SOURCE_DATE_EPOCH of a build; 0 when none known. */
  @JsonIgnore
  public long newestBuildTime() {
    return packages.stream().mapToLong(LockedPackage::buildTime).max().orElse(0);
  }
}
