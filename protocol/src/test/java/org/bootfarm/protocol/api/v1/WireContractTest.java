package org.bootfarm.protocol.api.v1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The version-1 messages survive the wire unchanged, and bad bodies are refused naming the field. */
@Tag("unit")
class WireContractTest {
  private static final String SHA = "a".repeat(64);

  @Test
  void submitRequestAsTheIssueWritesItIsRead() throws Exception {
    SubmitRequest request = WireJson.read(
        "{\"repo\": \"photon-2.0\", \"target\": \"bootstrap\", \"components\": {\"tether\": \"" + SHA
            + "\", \"unpack\": \"" + SHA + "\"}}", SubmitRequest.class);
    assertEquals("photon-2.0", request.repo());
    assertEquals(Map.of("tether", SHA, "unpack", SHA), request.components());
    assertEquals(Priority.INTERACTIVE, request.priorityOrDefault());
    assertEquals(List.of(), request.problems());
  }

  @Test
  void everyMessageRoundTrips() throws Exception {
    SubmitRequest submit = new SubmitRequest("debian-12", "bootstrap", Map.of("tether", SHA), Priority.NIGHTLY,
        Map.of("pair", "nightly-1"));
    assertEquals(submit, WireJson.read(WireJson.write(submit), SubmitRequest.class));
    BuildView view = new BuildView("01J", "debian-12", "bootstrap", Map.of("tether", SHA), Priority.NIGHTLY,
        BuildState.SUCCEEDED, "w1", 1, "worker w1: rank 1 of 2", List.of(new ArtifactRecord("a.iso", SHA, 42)),
        null, null, "2026-11-25T18:00:00Z", "2026-11-25T18:00:01Z", "2026-11-25T18:01:00Z", SHA, true);
    assertEquals(view, WireJson.read(WireJson.write(view), BuildView.class));
    PinRequest pin = new PinRequest("release 1.4");
    assertEquals(pin, WireJson.read(WireJson.write(pin), PinRequest.class));
    BuildEvent event = BuildEvent.stageFinished("01J", "base", SHA, 12.5);
    assertEquals(event, WireJson.read(WireJson.write(event), BuildEvent.class));
    WorkerInfo worker = new WorkerInfo("w1", "node-1", "bootfarm-dev", "x86_64", List.of("dnf", "apt"), 2, 1, 1L << 40,
        List.of(new WorkerInfo.WarmCache("debian-12", "r1", 1000)), 1000, List.of("01J"));
    assertEquals(worker, WireJson.read(WireJson.write(worker), WorkerInfo.class));
    FarmInfo info = new FarmInfo("dev", "http://127.0.0.1:8080");
    assertEquals(info, WireJson.read(WireJson.write(info), FarmInfo.class));
    BuildReport report = new BuildReport("01J", "w1", 2, BuildState.FAILED, List.of(), List.of(), "no package x",
        "PACKAGE", true, SHA);
    assertEquals(report, WireJson.read(WireJson.write(report), BuildReport.class));
    ApiError error = new ApiError(ApiError.Code.NOT_FOUND, "no build 01J", List.of());
    assertEquals(error, WireJson.read(WireJson.write(error), ApiError.class));
  }

  @Test
  void theUnsignedDecisionTravelsOnlyWhenTheOperatorMadeIt() throws Exception {
    Assignment checked = new Assignment("01J", "fixture", "bootstrap", Map.of("tether", SHA), Map.of("repo-spec.json",
        "e30="), SHA, "http://127.0.0.1:8080", 0);
    assertFalse(WireJson.write(checked).contains("allowUnsigned"), "absent, so workers predating it read the rest");
    assertFalse(WireJson.read(WireJson.write(checked), Assignment.class).allowsUnsigned());
    Assignment allowed = new Assignment("01J", "fixture", "bootstrap", Map.of("tether", SHA), Map.of("repo-spec.json",
        "e30="), SHA, "http://127.0.0.1:8080", 0, null, null, true);
    assertEquals(allowed, WireJson.read(WireJson.write(allowed), Assignment.class));
    assertTrue(WireJson.read(WireJson.write(allowed), Assignment.class).allowsUnsigned());

    BuildView unsigned = new BuildView("01J", "fixture", "bootstrap", Map.of(), Priority.NIGHTLY, BuildState.QUEUED,
        null, 0, null, List.of(), null, null, "2026-11-25T18:00:00Z", null, null, null, false, null,
        List.of("fixture.repo [base]: gpgcheck=0"));
    assertEquals(unsigned, WireJson.read(WireJson.write(unsigned), BuildView.class));
    assertTrue(WireJson.write(unsigned).contains("\"unsigned\":[\"fixture.repo [base]: gpgcheck=0\"]"));
    BuildView signed = new BuildView("01J", "fixture", "bootstrap", Map.of(), Priority.NIGHTLY, BuildState.QUEUED,
        null, 0, null, List.of(), null, null, "2026-11-25T18:00:00Z", null, null, null, false);
    assertFalse(WireJson.write(signed).contains("unsigned"), WireJson.write(signed));
    ReproducibilityPair pair = new ReproducibilityPair("p", "r", "fixture", "bootstrap", "a", "b", null, null, null,
        null, null, "2026-11-25T18:00:00Z", null, null).withUnsigned(List.of("sources.list line 1: trusted=yes"));
    assertEquals(pair, WireJson.read(WireJson.write(pair), ReproducibilityPair.class));
  }

  @Test
  void runCancelIsTheSmallMessageTheIssueWritesAndNoAssignmentReaderTakesItForOne() throws Exception {
    RunCancel cancel = new RunCancel("01J", 2);
    assertEquals("{\"cancel\":\"01J\",\"attempt\":2}", WireJson.write(cancel));
    assertEquals(cancel, WireJson.read("{\"cancel\": \"01J\", \"attempt\": 2}", RunCancel.class));
    // a worker that predates RunCancel reads its inbox as assignments only: it refuses the message, and ignores it
    assertThrows(WireJson.WireFormatException.class, () -> WireJson.read(WireJson.write(cancel), Assignment.class));
    assertThrows(WireJson.WireFormatException.class, () -> WireJson.read("{\"attempt\": 2}", RunCancel.class));
  }

  @Test
  void unknownFieldIsRefusedNamingItAndTheKnownOnes() {
    WireJson.WireFormatException e = assertThrows(WireJson.WireFormatException.class,
        () -> WireJson.read("{\"repo\": \"x\", \"taget\": \"bootstrap\"}", SubmitRequest.class));
    assertTrue(e.getMessage().contains("'taget'"), e.getMessage());
    assertTrue(e.getMessage().contains("target"), e.getMessage());
  }

  @Test
  void wrongJsonTypeIsRefusedNamingTheField() {
    WireJson.WireFormatException e = assertThrows(WireJson.WireFormatException.class,
        () -> WireJson.read("{\"repo\": \"x\", \"components\": [\"tether\"]}", SubmitRequest.class));
    assertTrue(e.getMessage().startsWith("components"), e.getMessage());
    WireJson.WireFormatException notObject = assertThrows(WireJson.WireFormatException.class,
        () -> WireJson.read("[1, 2]", SubmitRequest.class));
    assertTrue(notObject.getMessage().contains("expected a JSON object"), notObject.getMessage());
  }

  @Test
  void unknownEnumValueIsRefusedNamingTheField() {
    WireJson.WireFormatException e = assertThrows(WireJson.WireFormatException.class,
        () -> WireJson.read("{\"repo\": \"x\", \"priority\": \"URGENT\"}", SubmitRequest.class));
    assertTrue(e.getMessage().startsWith("priority: 'URGENT'"), e.getMessage());
  }

  @Test
  void malformedJsonNamesLineAndColumn() {
    WireJson.WireFormatException e = assertThrows(WireJson.WireFormatException.class,
        () -> WireJson.read("{\"repo\": \n  \"x\",, }", SubmitRequest.class));
    assertTrue(e.getMessage().startsWith("malformed JSON at line 2"), e.getMessage());
  }

  @Test
  void submitProblemsNameEachField() {
    SubmitRequest bad = new SubmitRequest("", "kernel", Map.of("Tether", "abc"), null, null);
    List<String> problems = bad.problems();
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("repo:")), problems::toString);
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("target: 'kernel'")), problems::toString);
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("components: 'Tether'")), problems::toString);
    assertTrue(problems.stream().anyMatch(p -> p.startsWith("components.Tether: 'abc'")), problems::toString);
  }

  @Test
  void bridgeLetsClientsUseOnlyTheClientAddressesAndBuildEventStreams() {
    assertTrue(Addresses.clientMayUse(Addresses.SUBMIT));
    assertTrue(Addresses.clientMayUse(Addresses.INFO));
    assertTrue(Addresses.clientMayUse(Addresses.buildEvents("01JABC")));
    assertFalse(Addresses.clientMayUse(Addresses.WORKER_HEARTBEAT));
    assertFalse(Addresses.clientMayUse(Addresses.workerInbox("w1")));
    assertFalse(Addresses.clientMayUse("bootfarm.v1.build.a.b.events"));
    assertThrows(IllegalArgumentException.class, () -> Addresses.buildEvents("../x"));
  }
}
