package org.bootfarm.coordinator.nightly;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.coordinator.queue.StoreFixture;
import org.bootfarm.protocol.api.v1.ReproducibilityPair;
import org.bootfarm.protocol.api.v1.Verdict;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reproducibility gauge reads the latest judged pair of each repo and target from the nightly
 * tables (a real SQLite file, and a real PostgreSQL database): a newer verdict replaces an older one, pairs
 * not judged yet are ignored, and each target of a repo keeps its own.
 */
@Tag("unit")
class NightlyStoreOutcomesTest {
  @TempDir Path dir;

  static ReproducibilityPair judged(String id, String repo, String target, Verdict.Outcome outcome, String at) {
    Verdict verdict = new Verdict(outcome, "l-" + id, "r-" + id, repo, target, List.of(), List.of(), null, List.of(),
        null, List.of(), outcome == Verdict.Outcome.FAILED ? "a side failed" : null);
    return new ReproducibilityPair(id, "run", repo, target, "l-" + id, "r-" + id, null, null, null, null, null, at,
        null, null).judged(verdict, at, "w1", "w2", 1.0, 1.0);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void latestJudgedPairOfEachRepoAndTargetWins(String engine) {
    try (StoreFixture database = engine.equals("sqlite") ? StoreFixture.sqlite(dir.resolve("builds.sqlite"))
            : StoreFixture.postgres(getClass().getSimpleName());
        SqlBuildStore builds = database.openBuilds(Clock.systemUTC());
        NightlyStore store = database.openNightly()) {
      assertEquals(Map.of(), store.latestOutcomes(), "no verdict yet");
      store.putPair(judged("p1", "debian-12", "bootstrap", Verdict.Outcome.UNREPRODUCIBLE, "2026-01-01T02:00:00Z"));
      store.putPair(judged("p2", "debian-12", "bootstrap", Verdict.Outcome.REPRODUCIBLE, "2026-01-02T02:00:00Z"));
      store.putPair(judged("p3", "debian-12", "appliance", Verdict.Outcome.FAILED, "2026-01-02T02:00:00Z"));
      store.putPair(judged("p4", "photon-2.0", "bootstrap", Verdict.Outcome.REPRODUCIBLE, "2026-01-01T02:00:00Z"));
      store.putPair(new ReproducibilityPair("p5", "run", "photon-2.0", "bootstrap", "l", "r", null, null, null, null,
          null, "2026-01-03T02:00:00Z", null, null)); // running: no verdict
      assertEquals(Map.of("debian-12\0bootstrap", Verdict.Outcome.REPRODUCIBLE,
          "debian-12\0appliance", Verdict.Outcome.FAILED,
          "photon-2.0\0bootstrap", Verdict.Outcome.REPRODUCIBLE), store.latestOutcomes());
    }
  }

  /** Retention reads the live set from the store, so a standby that becomes active keeps what it copied. */
  @ParameterizedTest
  @ValueSource(strings = {"sqlite", "postgresql"})
  void retentionKeepsEveryPairsSignedAttestation(String engine) {
    try (StoreFixture database = engine.equals("sqlite") ? StoreFixture.sqlite(dir.resolve("builds.sqlite"))
            : StoreFixture.postgres(getClass().getSimpleName() + "Attestation");
        SqlBuildStore builds = database.openBuilds(Clock.systemUTC());
        NightlyStore store = database.openNightly()) {
      String sha256 = "a".repeat(64);
      ReproducibilityPair pair = judged("p1", "debian-12", "bootstrap", Verdict.Outcome.REPRODUCIBLE,
          "2026-01-01T02:00:00Z");
      store.putPair(pair);
      assertFalse(builds.retainedHashes(0).contains(sha256));
      store.putPair(pair.withAttestation(new ArtifactRecord("reproducibility.intoto.jsonl", sha256, 900)));
      assertTrue(builds.retainedHashes(0).contains(sha256), "the attestation is in the live set");
    }
  }
}
