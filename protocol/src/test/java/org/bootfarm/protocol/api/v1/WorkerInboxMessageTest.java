package org.bootfarm.protocol.api.v1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class WorkerInboxMessageTest {
  private static final String SHA = "a".repeat(64);

  @Test
  void anInboxBodyIsReadAsTheMessageItsFieldsMake() throws Exception {
    Assignment assignment = new Assignment("01J", "fixture", "bootstrap", Map.of("tether", SHA),
        Map.of("repo-spec.json", "e30="), SHA, "http://127.0.0.1:8080", 1);
    RunCancel cancel = new RunCancel("01J", 2);

    assertEquals(assignment, WireJson.read(WireJson.write(assignment), WorkerInboxMessage.class));
    assertEquals(cancel, WireJson.read(WireJson.write(cancel), WorkerInboxMessage.class));
  }

  @Test
  void noTypeFieldGoesOnTheWire() {
    assertEquals("{\"cancel\":\"01J\",\"attempt\":2}", WireJson.write(new RunCancel("01J", 2)));
    String assignment = WireJson.write(new Assignment("01J", "fixture", "bootstrap", Map.of(), Map.of(), SHA,
        "http://127.0.0.1:8080", 0));
    assertTrue(assignment.startsWith("{\"buildId\":\"01J\""), assignment);
    assertFalse(assignment.contains("@type"), assignment);
  }

  @Test
  void aBodyThatIsNeitherIsRefused() {
    assertThrows(WireJson.WireFormatException.class,
        () -> WireJson.read("{\"newerMessage\": 1}", WorkerInboxMessage.class));
    assertThrows(WireJson.WireFormatException.class, () -> WireJson.read("[]", WorkerInboxMessage.class));
  }
}
