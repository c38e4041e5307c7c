package org.bootfarm.coordinator.http;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class RequestOriginTest {
  @Test
  void loopbackHostsAreNamesAndAddressesOfThisMachineOnly() {
    for (String host : List.of("localhost", "LOCALHOST:8080", "127.0.0.1", "127.1.2.3:1", "[::1]", "[::1]:8080",
        "ui.localhost")) {
      assertTrue(RequestOrigin.loopbackHost(host), host);
    }
    for (String host : List.of("attacker.example", "127.0.0.1.nip.io", "localhost.attacker.example", "128.0.0.1",
        "127.0.0.256", "[::2]", "[::1]x", "localhost:80:80", "localhost:port", "", " ")) {
      assertFalse(RequestOrigin.loopbackHost(host), host);
    }
    assertFalse(RequestOrigin.loopbackHost(null));
  }

  @Test
  void aServerIsLoopbackBoundOnlyOnALoopbackAddress() {
    assertTrue(RequestOrigin.isLoopbackBind("127.0.0.1"));
    assertTrue(RequestOrigin.isLoopbackBind("localhost"));
    assertTrue(RequestOrigin.isLoopbackBind("::1"));
    assertFalse(RequestOrigin.isLoopbackBind("0.0.0.0"));
    assertFalse(RequestOrigin.isLoopbackBind("10.0.0.1"));
  }

  @Test
  void jsonIsApplicationJsonWithAnyParameters() {
    assertTrue(RequestOrigin.isJson("application/json"));
    assertTrue(RequestOrigin.isJson("Application/JSON; charset=utf-8"));
    assertFalse(RequestOrigin.isJson("text/plain"));
    assertFalse(RequestOrigin.isJson("application/jsonp"));
    assertFalse(RequestOrigin.isJson(null));
  }
}
