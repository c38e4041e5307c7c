package org.bootfarm.protocol.api.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bootfarm.protocol.repo.RepoSpec;

/**
 * A build submission, the same body on the event bus, the bridge and {@code POST /api/v1/builds}.
 *
 * @param repo       the repo definition's name
 * @param target     {@code bootstrap} or {@code appliance}; null means bootstrap
 * @param components component name to the sha256 of a file already in the artifact store
 * @param priority   null means INTERACTIVE
 * @param options    free-form build options (kept with the build)
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record SubmitRequest(
    String repo, String target, Map<String, String> components, Priority priority, Map<String, Object> options) {

  public SubmitRequest {
    components = components == null ? Map.of() : new TreeMap<>(components);
    options = options == null ? Map.of() : new TreeMap<>(options);
  }

  public String targetOrDefault() {
    return target == null ? "bootstrap" : target;
  }

  public Priority priorityOrDefault() {
    return priority == null ? Priority.INTERACTIVE : priority;
  }

  /**
   * What is wrong with the request on its own (the coordinator adds what only it knows: whether
   * the repo exists, whether each component is in the store). Each problem names the field.
   */
  public List<String> problems() {
    List<String> problems = new ArrayList<>();
    String repoProblem = repo == null || repo.isBlank()
        ? "repo: required, the name of a repo definition (see the repos list)" : WireNames.repoProblem(repo);
    if (repoProblem != null) {
      problems.add(repoProblem);
    }
    if (!RepoSpec.TARGETS.contains(targetOrDefault())) {
      problems.add("target: '" + target + "' is unknown; one of " + RepoSpec.TARGETS);
    }
    WireNames.addComponentProblems(components, problems);
    return problems;
  }
}
