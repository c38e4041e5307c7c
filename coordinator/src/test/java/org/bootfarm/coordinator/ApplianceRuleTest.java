package org.bootfarm.coordinator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.bootfarm.protocol.repo.RepoSpec;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The one statement of which repo builds the appliance, against the project's repos/: the targets a repo shows
 * and the refusal of a submission are the same decision (debian-12 lists packages.appliance, photon-2.0 is the
 * default appliance repo).
 */
@Tag("unit")
class ApplianceRuleTest {
  private static RepoSpec spec(String repo) throws Exception {
    return RepoCatalog.read(ProjectTree.root().resolve("repos"), ProjectTree.sharedKeys()).find(repo).orElseThrow()
        .definition().orElseThrow().spec();
  }

  @Test
  void theApplianceIsBuiltOnlyFromTheApplianceRepoAndShownOnlyThere() throws Exception {
    RepoSpec debian = spec("debian-12");
    ApplianceRule byDefault = new ApplianceRule(BuildCoordinator.DEFAULT_APPLIANCE_REPO);
    assertEquals(List.of("bootstrap"), byDefault.targets("debian-12", debian));
    Optional<String> refused = byDefault.refusal("debian-12", debian, BuildCoordinator.APPLIANCE);
    assertTrue(refused.orElseThrow().contains("only from its appliance repo 'photon-2.0', not from 'debian-12'"),
        refused::toString);
    ApplianceRule debianFarm = new ApplianceRule("debian-12");
    assertEquals(List.of("bootstrap", "appliance"), debianFarm.targets("debian-12", debian));
    assertEquals(Optional.empty(), debianFarm.refusal("debian-12", debian, BuildCoordinator.APPLIANCE));
    assertEquals(Optional.empty(), debianFarm.refusal("debian-12", debian, "bootstrap"));
  }
}
