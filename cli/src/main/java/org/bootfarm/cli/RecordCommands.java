package org.bootfarm.cli;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.bootfarm.client.ApiErrorException;
import org.bootfarm.client.BridgeClient;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.BuildView;
import org.bootfarm.protocol.api.v1.CollectionReport;
import org.bootfarm.protocol.api.v1.PinRequest;
import org.bootfarm.protocol.api.v1.RepoInfo;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.BuildInfo;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.protocol.repo.DefinitionArchive;
import org.bootfarm.protocol.repo.DefinitionFiles;
import org.bootfarm.protocol.repo.RepoDefinition;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The commands about what the farm keeps of a build's record (ADR 0037): {@code rebuild} builds a past build
 * again from its record, {@code pin} and {@code unpin} keep it (and its inputs) from retention or let it go,
 * {@code gc} collects the store now, and {@link #fetchInputs} (behind {@code fetch --inputs}) downloads a
 * build's record in the layout {@code bootfarm build --from-buildinfo} reads.
 */
final class RecordCommands {
  private RecordCommands() {}

  @Command(name = "rebuild", mixinStandardHelpOptions = true,
      description = "Build a past SUCCEEDED build again from its record: its pinned definition, components and the"
          + " packages the farm archived, never the upstream repositories; with --wait, follow it to its end.")
  static final class Rebuild extends ClientCommands.ClientCommand {
    @Parameters(index = "0", paramLabel = "BUILD_ID", description = "the SUCCEEDED build to rebuild")
    String id;

    @Option(names = "--wait", description = "follow the rebuild live and exit 0 only when it succeeded")
    boolean await;

    @Option(names = "--patience", defaultValue = "6h", converter = DurationConverter.class,
        description = "with --wait, how long to follow the rebuild at most (default: ${DEFAULT-VALUE})")
    Duration patience;

    @Override
    int run(BridgeClient farm) {
      PrintStream notes = client.json ? System.err : System.out;
      BuildView queued = farm.rebuild(id);
      if (!await) {
        return answer(queued, queued::id);
      }
      notes.println("build " + queued.id() + " rebuilds build " + id + " from its record; following it"
          + " (Ctrl-C stops following, not the build)");
      BuildView build = ClientCommands.follow(farm, queued.id(), patience, notes, client.json);
      if (client.json) {
        printJson(build);
      } else {
        ClientCommands.printBuild(build, notes);
      }
      return build.state() == BuildState.SUCCEEDED ? 0 : ClientCommands.BUILD_FAILED;
    }
  }

  @Command(name = "pin", mixinStandardHelpOptions = true,
      description = "Keep a finished build, its artifacts and its archived inputs from retention (admin).")
  static final class Pin extends ClientCommands.ClientCommand {
    @Parameters(index = "0", paramLabel = "BUILD_ID")
    String id;

    @Option(names = "--reason", description = "why it is kept, shown with the build")
    String reason;

    @Override
    int run(BridgeClient farm) {
      BuildView build = farm.pin(id, new PinRequest(reason));
      return answer(build, () -> build.id() + " pinned");
    }
  }

  @Command(name = "unpin", mixinStandardHelpOptions = true,
      description = "Let retention collect a pinned build again like any other (admin).")
  static final class Unpin extends ClientCommands.ClientCommand {
    @Parameters(index = "0", paramLabel = "BUILD_ID")
    String id;

    @Override
    int run(BridgeClient farm) {
      BuildView build = farm.unpin(id);
      return answer(build, () -> build.id() + " unpinned");
    }
  }

  @Command(name = "gc", mixinStandardHelpOptions = true,
      description = "Collect the active coordinator's artifact store now and say what was freed and kept (admin).")
  static final class Gc extends ClientCommands.ClientCommand {
    @Option(names = "--dry-run", description = "delete nothing: say what a collection would free now")
    boolean dryRun;

    @Override
    int run(BridgeClient farm) {
      CollectionReport report = farm.gc(dryRun);
      return answer(report, report::describe);
    }
  }

  /**
   * Downloads what rebuilding {@code build} needs into {@code out}, each file checked against its sha256:
   * {@code buildinfo.json}, the pinned definition unpacked into {@code definition/}, the components into
   * {@code components/<name>}, every locked package into {@code packages/<sha256>.<rpm|deb>} and every trusted key
   * the record names into {@code keys/<the file name its reference finds>}.
   *
   * @return what was written, for {@code --json}
   */
  static Map<String, Object> fetchInputs(BridgeClient farm, BuildView build, Path out, boolean quiet)
      throws Exception {
    ArtifactRecord buildinfo = build.artifacts().stream().filter(a -> BuildInfo.FILE_NAME.equals(a.name()))
        .findFirst().orElseThrow(() -> refused("build " + build.id() + " published no " + BuildInfo.FILE_NAME
            + ": it has no record to rebuild from"));
    Files.createDirectories(out);
    Path infoFile = farm.download(buildinfo.sha256(), out.resolve(BuildInfo.FILE_NAME));
    BuildInfo info = WireJson.read(Files.readString(infoFile), BuildInfo.class);
    say(quiet, buildinfo.sha256() + "  " + infoFile);
    Map<String, Object> written = new LinkedHashMap<>();
    written.put("buildinfo", infoFile.toString());
    String digest = build.definitionDigest() != null ? build.definitionDigest() : info.definitionDigest();
    Path archive = out.resolve(".definition.archive");
    try {
      farm.download(digest, archive);
      Path definition = out.resolve("definition");
      // with the modes a worker gives them, not this umask's (a build normalises them anyway, ADR 0067)
      DefinitionFiles.write(DefinitionArchive.definitionFiles(Files.readAllBytes(archive)), definition);
      written.put("definition", definition.toString());
      say(quiet, digest + "  " + definition + "/");
    } catch (ApiErrorException | java.io.IOException e) {
      throw refused("the definition of build " + build.id() + " (digest " + digest + ") cannot be fetched: "
          + e.getMessage() + (build.definitionDigest() == null ? " (the build was recorded before definitions were"
          + " pinned: take repos/" + build.repo() + " as it was then)" : ""));
    } finally {
      Files.deleteIfExists(archive);
    }
    List<String> components = new ArrayList<>();
    for (Map.Entry<String, String> component : info.components().entrySet()) {
      Path file = farm.download(component.getValue(), out.resolve("components")
          .resolve(Path.of(component.getKey()).getFileName()));
      components.add(file.toString());
      say(quiet, component.getValue() + "  " + file);
    }
    written.put("components", components);
    String suffix = "." + family(farm, build.repo());
    List<String> packages = new ArrayList<>();
    for (LockedPackage p : info.lock().inputs()) { // installed and removed by the staging: a rebuild needs both
      packages.add(fetchInput(farm, build, "package " + p.describe(), p.sha256(),
          out.resolve("packages").resolve(p.sha256() + suffix)).toString());
    }
    say(quiet, packages.size() + " package(s) in " + out.resolve("packages"));
    written.put("packages", packages);
    // the trusted keys the build checked signatures with, under the name its gpgkey= references find (ADR 0067)
    List<String> keys = new ArrayList<>();
    for (Map.Entry<String, String> key : info.gpgKeys().entrySet()) {
      Path file = fetchInput(farm, build, "key " + key.getKey(), key.getValue(),
          out.resolve("keys").resolve(RepoDefinition.ResolvedKey.fileName(key.getKey())));
      keys.add(file.toString());
      say(quiet, key.getValue() + "  " + file);
    }
    if (!keys.isEmpty()) {
      written.put("keys", keys);
    }
    say(quiet, "rebuild it on this machine with: bootfarm build --from-buildinfo " + infoFile + " --inputs " + out);
    return written;
  }

  /** Downloads archived input {@code what} of {@code build} into {@code file}, checked; refused naming it if gone. */
  private static Path fetchInput(BridgeClient farm, BuildView build, String what, String sha256, Path file)
      throws InterruptedException {
    try {
      return farm.download(sha256, file);
    } catch (ApiErrorException | java.io.IOException e) {
      throw refused(what + " (sha256 " + sha256 + ") of build " + build.id() + " cannot be fetched: "
          + e.getMessage() + "; pin the builds you may rebuild (bootfarm pin ID)");
    }
  }

  /** {@code deb} for a repo the farm builds with apt, {@code rpm} for every other. */
  private static String family(BridgeClient farm, String repo) {
    return farm.repos().stream().filter(r -> r.name().equals(repo)).map(RepoInfo::packageManager)
        .filter(m -> m != null).findFirst().map(m -> "apt".equals(m) ? "deb" : "rpm").orElse("rpm");
  }

  private static void say(boolean quiet, String line) {
    if (!quiet) {
      System.out.println(line);
    }
  }

  private static ApiErrorException refused(String message) {
    return new ApiErrorException(new ApiError(ApiError.Code.CONFLICT, message, List.of()));
  }
}
