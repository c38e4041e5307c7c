package org.bootfarm.protocol.api.v1;

import java.util.List;

/**
 * A repo definition as the farm lists it: what builds it, which targets it supports, and, for a
 * definition the coordinator could not load, what is wrong with it (then it accepts no builds).
 */
public record RepoInfo(String name, String packageManager, List<String> targets, List<String> problems) {
  public RepoInfo {
    targets = targets == null ? List.of() : List.copyOf(targets);
    problems = problems == null ? List.of() : List.copyOf(problems);
  }
}
