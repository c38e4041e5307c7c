package org.bootfarm.protocol.api.v1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class AssignmentProblemsTest {
  private static final String SHA = "c".repeat(64);

  @Test
  void aWellFormedAssignmentHasNoProblem() {
    Assignment ok = new Assignment("01M94WZXJB3HM023P9C777JHA2", "photon-2.0", "appliance",
        Map.of("tether", SHA, "docker-engine-server", SHA),
        Map.of("repo-spec.json", "e30=", "photon.repo", "", "keys/VMWARE-RPM-GPG-KEY", "", ".hidden", ""),
        SHA, "https://coordinator.farm:8443", 2);
    assertEquals(List.of(), ok.problems());
  }

  @Test
  void eachFieldThatIsNotOfItsShapeIsNamed() {
    Assignment bad = new Assignment("01J/../x", "../../etc/cron.d", "rootfs", Map.of("../tether", "nothex"),
        Map.of("a/../../b", "", "", "", "a//b", ""), "short", "file:///etc/passwd", -1);
    List<String> problems = bad.problems();
    for (String field : List.of("buildId:", "repo:", "target:", "components: '../tether'", "components.../tether:",
        "definitionFiles: 'a/../../b'", "definitionFiles: ''", "definitionFiles: 'a//b'", "definitionDigest:",
        "artifactsUrl:", "attempt:")) {
      assertTrue(problems.stream().anyMatch(p -> p.startsWith(field)), field + " not in " + problems);
    }
    assertEquals(11, problems.size(), problems.toString());
  }

  @Test
  void dotNamesAreNoRepoNamesAndAUrlWithCredentialsIsRefused() {
    for (String repo : List.of(".", "..", "a/b", "")) {
      Assignment a = new Assignment("01J", repo, "bootstrap", Map.of(), Map.of(), SHA, "http://127.0.0.1:1", 0);
      assertTrue(a.problems().stream().anyMatch(p -> p.startsWith("repo:")), repo);
    }
    Assignment credentials = new Assignment("01J", "r", "bootstrap", Map.of(), Map.of(), SHA,
        "http://user:pw@127.0.0.1:1", 0);
    assertEquals(1, credentials.problems().size());
    assertTrue(new SubmitRequest("..", "bootstrap", Map.of(), null, null).problems().get(0).startsWith("repo:"));
  }
}
