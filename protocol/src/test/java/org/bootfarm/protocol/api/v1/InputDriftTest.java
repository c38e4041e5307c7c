package org.bootfarm.protocol.api.v1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A reproducibility pair's drift and rebuild on the wire: pairs recorded before them read as they were (the
 * nightly store keeps each pair's JSON), new ones round-trip, and the one-line summary names each change.
 */
@Tag("unit")
class InputDriftTest {
  static final String SHA = "a".repeat(64);

  @Test
  void aPairRecordedBeforeRebuildsAndDriftReadsWithNeither() throws Exception {
    String old = "{\"id\":\"p\",\"run\":\"r\",\"repo\":\"fixture\",\"target\":\"bootstrap\",\"left\":\"a\","
        + "\"right\":\"b\",\"createdAt\":\"2026-11-25T18:00:00Z\"}";
    ReproducibilityPair pair = WireJson.read(old, ReproducibilityPair.class);
    assertNull(pair.rebuiltFrom());
    assertNull(pair.drift());
    assertFalse(WireJson.write(pair).contains("drift"), WireJson.write(pair));
  }

  @Test
  void aPairWithItsRebuildAndDriftRoundTripsAndSummarisesEachChange() throws Exception {
    InputDrift drift = new InputDrift("p0", "a0", List.of("xz-5.4-1.x86_64"), List.of("zlib-1.2-1.x86_64"),
        List.of(new InputDrift.VersionChange("iptables", "x86_64", "1.6.1-4.ph2", "1.6.1-5.ph2")), null);
    ReproducibilityPair pair = new ReproducibilityPair("p", "r", "fixture", "bootstrap", "a", "b", null, null, null,
        null, null, "2026-11-25T18:00:00Z", null, null).withRebuiltFrom(SHA).withDrift(drift);
    assertEquals(pair, WireJson.read(WireJson.write(pair), ReproducibilityPair.class));
    assertEquals("iptables.x86_64 1.6.1-4.ph2 \u2192 1.6.1-5.ph2, +xz-5.4-1.x86_64, -zlib-1.2-1.x86_64 (since pair p0)",
        drift.summary());
    assertFalse(drift.none());
  }

  @Test
  void nothingToCompareSaysWhyAndIsNotNoDrift() {
    InputDrift nothing = InputDrift.notCompared("buildinfo " + SHA + " is not in the artifact store");
    assertTrue(nothing.summary().startsWith("no previous inputs to compare: buildinfo "), nothing.summary());
    assertFalse(nothing.none());
    assertTrue(new InputDrift("p0", "a0", List.of(), List.of(), List.of(), null).none());
  }
}
