package org.bootfarm.coordinator.placement;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.bootfarm.protocol.build.PackageCacheUse;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The per-repo cold cache cost (ADR 0052): the configured threshold until a repo has warm and cold runs, then the
 * difference of their means, never above the setting nor below zero, kept apart per repo and target.
 */
@Tag("unit")
class ColdCacheCostsTest {
  private static final Duration SETTING = Duration.ofSeconds(30);
  private static final Instant T0 = Instant.parse("2026-12-06T22:00:00Z");
  private static final PackageCacheUse WARM = new PackageCacheUse(0, 0, 120);
  private static final PackageCacheUse COLD = new PackageCacheUse(120, 90L << 20, 0);
  private final ColdCacheCosts costs = new ColdCacheCosts(SETTING);

  private boolean run(String repo, PackageCacheUse cache, int seconds) {
    return costs.record(repo, "bootstrap", cache, T0, T0.plusSeconds(seconds));
  }

  @Test
  void aRepoWithoutBothKindsOfRunWaitsTheSetting() {
    assertEquals(SETTING, costs.stealAfter("debian-12", "bootstrap"));
    run("debian-12", COLD, 40);
    run("debian-12", COLD, 42);
    assertEquals(SETTING, costs.stealAfter("debian-12", "bootstrap"), "cold runs only");
    assertEquals(Optional.empty(), costs.estimate("debian-12", "bootstrap"));
  }

  @Test
  void seededWithWarmAndColdRunsItWaitsTheirDifference() {
    assertTrue(run("debian-12", WARM, 25));
    assertTrue(run("debian-12", COLD, 37));
    assertEquals(Duration.ofSeconds(12), costs.stealAfter("debian-12", "bootstrap"));
    assertEquals(SETTING, costs.stealAfter("photon-2.0", "bootstrap"), "another repo has no history");
    assertEquals(SETTING, costs.stealAfter("debian-12", "appliance"), "another target has no history");
  }

  @Test
  void eachNewRunMovesTheMeanByItsWeight() {
    run("debian-12", WARM, 20);
    run("debian-12", COLD, 30);
    run("debian-12", COLD, 40); // cold mean 30 + 0.3 * (40 - 30) = 33
    assertEquals(Duration.ofSeconds(13), costs.stealAfter("debian-12", "bootstrap"));
    run("debian-12", WARM, 30); // warm mean 20 + 0.3 * (30 - 20) = 23
    assertEquals(Duration.ofSeconds(10), costs.stealAfter("debian-12", "bootstrap"));
  }

  @Test
  void theSettingBoundsTheWaitAndAColdCacheThatCostsNothingStealsAtOnce() {
    run("big", WARM, 60);
    run("big", COLD, 300);
    assertEquals(SETTING, costs.stealAfter("big", "bootstrap"));
    assertEquals(Optional.of(Duration.ofSeconds(240)), costs.estimate("big", "bootstrap"));
    run("noisy", WARM, 50);
    run("noisy", COLD, 45);
    assertEquals(Duration.ZERO, costs.stealAfter("noisy", "bootstrap"));
  }

  @Test
  void aRunIsWarmWhenMostOfItsPackagesCameFromTheCache() {
    run("mixed", new PackageCacheUse(10, 1 << 20, 110), 21); // 92 % from the cache: warm
    run("mixed", new PackageCacheUse(100, 80L << 20, 20), 33); // 17 %: cold
    assertEquals(Duration.ofSeconds(12), costs.stealAfter("mixed", "bootstrap"));
  }

  @Test
  void runsThatTellNothingAreSkipped() {
    assertFalse(run("debian-12", PackageCacheUse.servedFrom("20261206-000001"), 1), "an action cache hit");
    assertFalse(run("debian-12", null, 30), "no cache figures");
    assertFalse(run("debian-12", new PackageCacheUse(0, 0, 0), 30), "nothing installed");
    assertFalse(costs.record("debian-12", "bootstrap", WARM, null, T0), "never claimed");
    assertFalse(costs.record("debian-12", "bootstrap", WARM, T0, T0.minusSeconds(1)), "ends before it starts");
    run("debian-12", COLD, 40);
    assertEquals(SETTING, costs.stealAfter("debian-12", "bootstrap"));
  }

  @Test
  void aNegativeSettingIsRefused() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ColdCacheCosts(Duration.ofSeconds(-1)));
    assertTrue(e.getMessage().contains("steal-after must be a duration of zero or more"), e.getMessage());
  }
}
