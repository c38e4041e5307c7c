package org.bootfarm.cluster.identity;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.Optional;
import org.bootfarm.cluster.NodeRole;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Only what a coordinator of this farm sealed for a map and key is opened; everything else is counted. */
@Tag("unit")
class SignedRecordsTest {
  @TempDir Path dir;

  @Test
  void standbyOpensOnlyACoordinatorsSealForThatMapAndKey() throws Exception {
    FarmCa ca = FarmCa.init(dir.resolve("ca"), "test");
    FarmCa rogueCa = FarmCa.init(dir.resolve("rogue"), "rogue");
    ClusterRefusals refusals = new ClusterRefusals(new SimpleMeterRegistry());
    SignedRecords active = new SignedRecords(ca.issue(new MemberIdentity("c1", NodeRole.COORDINATOR),
        dir.resolve("c1")), refusals);
    SignedRecords standby = new SignedRecords(ca.issue(new MemberIdentity("c2", NodeRole.COORDINATOR),
        dir.resolve("c2")), refusals);
    SignedRecords worker = new SignedRecords(ca.issue(new MemberIdentity("w1", NodeRole.WORKER), dir.resolve("w1")),
        refusals);
    SignedRecords stranger = new SignedRecords(rogueCa.issue(new MemberIdentity("c1", NodeRole.COORDINATOR),
        dir.resolve("rogue-c1")), refusals);
    String record = "{\"id\":\"b-1\",\"state\":\"SUCCEEDED\"}";
    String sealed = active.seal("builds", "b-1", record);
    assertEquals(Optional.of(record), standby.open("builds", "b-1", sealed));
    assertEquals(0, refusals.count(ClusterRefusals.Reason.FORGED_RECORD));

    assertEquals(Optional.empty(), standby.open("builds", "b-2", sealed)); // moved to another key
    assertEquals(Optional.empty(), standby.open("nightly", "b-1", sealed)); // moved to another map
    assertEquals(Optional.empty(), standby.open("builds", "b-1", record)); // never sealed
    assertEquals(Optional.empty(), standby.open("builds", "b-1", worker.seal("builds", "b-1", record)));
    assertEquals(Optional.empty(), standby.open("builds", "b-1", stranger.seal("builds", "b-1", record)));
    assertEquals(Optional.empty(), standby.open("builds", "b-1", sealed.replace("SUCCEEDED", "FAILED")));
    assertEquals(6, refusals.count(ClusterRefusals.Reason.FORGED_RECORD));
    assertEquals(Optional.of(record), SignedRecords.UNSECURED.open("builds", "b-1", SignedRecords.UNSECURED
        .seal("builds", "b-1", record)));
  }
}
