package org.bootfarm.worker.pkg;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildFailure.Kind;
import org.bootfarm.worker.FileTrees;
import org.bootfarm.worker.process.ExternalCommand;
import org.bootfarm.sandbox.Sandbox;

/**
 * How {@link DnfOrigins} asks dnf where a repository's packages are, for those the resolution's report does not
 * name ({@link DnfResolvedLocations}): {@code repoquery -C --location} with the build's configuration, from the
 * cache only, against an empty scratch root (the image is not touched), in a sandbox without network that sees
 * the cache read-only.
 */
final class DnfLocationQuery implements DnfOrigins.Query {
  private final DnfDriver driver;
  private final PackageSession session;
  private final DnfDriver.DnfFiles files;

  DnfLocationQuery(DnfDriver driver, PackageSession session, DnfDriver.DnfFiles files) {
    this.driver = driver;
    this.session = session;
    this.files = files;
  }

  @Override
  public List<String> locations(String repoId, List<String> nevras) throws BuildFailure {
    Path scratch = session.workDir().resolve("dnf-query-root").toAbsolutePath();
    try {
      FileTrees.delete(scratch);
      Files.createDirectories(scratch);
    } catch (IOException e) {
      throw new BuildFailure(Kind.INTERNAL, "cannot make " + scratch + ": " + e.getMessage(), e);
    }
    List<String> command = new ArrayList<>();
    for (String word : driver.dnfCommand(session, files, List.of())) {
      command.add(word.startsWith("--installroot=") ? "--installroot=" + scratch : word);
    }
    command.addAll(List.of("-C", "-q", "repoquery", "--location", "--repo=" + repoId));
    command.addAll(nevras);
    Sandbox sandbox = Sandbox.confined().writable(scratch).readOnly(files.config().getParent());
    DnfDriver.cacheReadOnly(sandbox, DnfDriver.packageCache(session));
    for (Path[] input : DnfDriver.readOnlyInputs(session, files, List.of())) {
      sandbox.readOnly(input[0], input[1]);
    }
    Map<String, String> environment = new HashMap<>(driver.environment(files));
    environment.remove("SOURCE_DATE_EPOCH"); // libdnf would take it as "now"
    try {
      return ExternalCommand.output(sandbox.command(command), environment);
    } catch (IOException e) {
      throw new BuildFailure(Kind.TOOL, "cannot ask dnf where the packages of repository " + repoId
          + " came from: " + e.getMessage(), e);
    }
  }
}
