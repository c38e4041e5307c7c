package org.bootfarm.protocol.api.v1;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/**
 * A repo definition as the farm lists it: what builds it, which targets it supports, and, for a
 * definition the coordinator could not load, what is wrong with it (then it accepts no builds).
 *
 * @param unsigned what its builds install without a signature check, allowed by the coordinator's operator
 *     ({@code --allow-unsigned}); absent from the JSON when every package is checked
 * @param digest the definition's digest as the coordinator's catalogue holds it now: builds submitted now
 *     are pinned to it; absent for a definition that could not be loaded
 */
public record RepoInfo(String name, String packageManager, List<String> targets, List<String> problems,
    @JsonInclude(JsonInclude.Include.NON_EMPTY) List<String> unsigned,
    @JsonInclude(JsonInclude.Include.NON_NULL) String digest) {
  public RepoInfo {
    targets = targets == null ? List.of() : List.copyOf(targets);
    problems = problems == null ? List.of() : List.copyOf(problems);
    unsigned = unsigned == null ? List.of() : List.copyOf(unsigned);
  }

  /** A repo without its digest. */
  public RepoInfo(String name, String packageManager, List<String> targets, List<String> problems,
      List<String> unsigned) {
    this(name, packageManager, targets, problems, unsigned, null);
  }

  /** A repo whose builds check every signature. */
  public RepoInfo(String name, String packageManager, List<String> targets, List<String> problems) {
    this(name, packageManager, targets, problems, List.of());
  }
}
