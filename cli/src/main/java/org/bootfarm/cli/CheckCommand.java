package org.bootfarm.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import org.bootfarm.protocol.repo.DefinitionException;
import org.bootfarm.protocol.repo.DefinitionProblem;
import org.bootfarm.protocol.repo.LoadOptions;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.protocol.repo.RepoDefinitionLoader;
import org.bootfarm.protocol.repo.RepoSpec;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code bootfarm check <repo-dir>}: validates a repo definition without building it. Prints
 * {@code ok: DIR (NAME, PACKAGEMANAGER, targets ...)} and exits 0, followed by one indented line per
 * source allowed unsigned ({@code unsigned (allowed): ...}) and per note ({@code note: FILE: FIELD: ...}),
 * or prints every problem, one per line as {@code FILE: FIELD: message}, on standard output and exits 2.
 * With {@code --json} it prints one JSON object instead: {@code status} ({@code ok}/{@code invalid}),
 * {@code directory}, and either {@code name}, {@code packagemanager}, {@code targets}, {@code unsigned}
 * and {@code notes}, or {@code problems} (each {@code file}, {@code field}, {@code message}).
 */
@Command(name = "check", mixinStandardHelpOptions = true, versionProvider = Main.JarVersion.class,
    description = "Validate a repo definition: every problem is listed, each naming file and field.",
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:the definition is valid", "2:the definition has problems (all are listed)"})
public final class CheckCommand implements Callable<Integer> {

  /** Exit code of a valid definition. */
  public static final int VALID = 0;
  /** Exit code of a definition with problems (the same as {@code build}'s definition errors). */
  public static final int INVALID = 2;

  @Spec CommandSpec spec;

  @Parameters(index = "0", paramLabel = "REPO-DIR", description = "the definition directory, e.g. repos/photon-2.0")
  Path repoDir;

  @Option(names = "--keys", paramLabel = "DIR",
      description = "trusted-keys directory for gpgkey=file:// keys the definition does not ship"
          + " (default: $BOOTFARM_KEYS, else " + LoadOptions.DEFAULT_TRUSTED_KEYS_DIR + ")")
  String keys;

  @Option(names = "--local-repos", description = "local-repo mode: check <name>.repo.local in place of the .repo files")
  boolean localRepos;

  @Option(names = "--allow-unsigned", paramLabel = "REPO", split = "\\s*,\\s*",
      description = "allow definition REPO (its directory name) to install packages without a signature check:"
          + " .repo sections without gpgcheck=1, a kernel .rpm file, apt sources with trusted=yes; repeatable")
  List<String> allowUnsigned = new ArrayList<>();

  @Option(names = "--json", description = "print one JSON object instead of text")
  boolean json;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    LoadOptions opts = new LoadOptions(LoadOptions.trustedKeysDir(keys, System.getenv()), localRepos,
        Set.copyOf(allowUnsigned));
    try {
      RepoDefinition def = RepoDefinitionLoader.load(repoDir, opts);
      List<String> targets = RepoSpec.TARGETS.stream().filter(def.spec()::supportsTarget).toList();
      if (json) {
        ObjectNode result = status("ok");
        result.put("name", def.name());
        result.put("packagemanager", def.spec().packageManager());
        targets.forEach(result.putArray("targets")::add);
        def.unsigned().forEach(result.putArray("unsigned")::add);
        putProblems(result.putArray("notes"), def.notes());
        out.println(result);
      } else {
        out.println("ok: " + repoDir + " (" + def.name() + ", " + def.spec().packageManager()
            + ", targets " + String.join(" ", targets) + ")");
        def.unsigned().forEach(source -> out.println("  unsigned (allowed by --allow-unsigned " + def.name()
            + "): " + source));
        def.notes().forEach(note -> out.println("  note: " + note));
      }
      out.flush();
      return VALID;
    } catch (DefinitionException e) {
      if (json) {
        ObjectNode result = status("invalid");
        putProblems(result.putArray("problems"), e.problems());
        out.println(result);
      } else {
        e.problems().forEach(out::println);
      }
      out.flush();
      return INVALID;
    }
  }

  private static void putProblems(ArrayNode array, List<DefinitionProblem> problems) {
    for (DefinitionProblem p : problems) {
      array.addObject().put("file", p.file()).put("field", p.field()).put("message", p.message());
    }
  }

  private ObjectNode status(String status) {
    ObjectNode result = new ObjectMapper().createObjectNode();
    result.put("status", status);
    result.put("directory", repoDir.toString());
    return result;
  }
}
