package org.bootfarm.protocol.api.v1;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A build variation names only valid environments, survives the wire inside an assignment, and an
 * assignment without one reads and writes exactly as before variations existed.
 */
@Tag("unit")
class BuildVariationTest {
  private static final String SHA = "b".repeat(64);

  private static Assignment assignment(BuildVariation variation) {
    return new Assignment("01J", "fixture-yum", "bootstrap", Map.of("tether", SHA), Map.of("repo-spec.json", "e30="),
        SHA, "http://127.0.0.1:8080", 1, variation);
  }

  @Test
  void variedIsTheSecondBuildOfTheTestBench() {
    BuildVariation varied = BuildVariation.varied();
    assertEquals("Pacific/Kiritimati", varied.timeZone());
    assertEquals("077", varied.umask());
    assertEquals(1, varied.cpus());
    assertEquals("C.UTF-8", varied.locale());
    assertEquals("bootfarm-rebuild", varied.hostname());
    assertEquals("second/build/path", varied.pathPrefix());
    assertFalse(varied.isStandard());
    assertTrue(BuildVariation.standard().isStandard());
    assertEquals("TZ=Pacific/Kiritimati LANG=C.UTF-8 umask=077 hostname=bootfarm-rebuild cpus=1 path=+second/build/path",
        varied.describe());
    assertEquals("TZ=(worker's) LANG=(worker's) umask=(worker's) hostname=(worker's) cpus=(worker's) path=(worker's)",
        BuildVariation.standard().describe());
  }

  @Test
  void rejectsHostnameWithShellCharacters() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new BuildVariation(null, null, null, null, "host;reboot", null));
    assertTrue(e.getMessage().contains("hostname 'host;reboot'"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new BuildVariation(null, null, null, null, "-lead", null));
    assertThrows(IllegalArgumentException.class, () -> new BuildVariation(null, null, null, null, "a..b", null));
    assertThrows(IllegalArgumentException.class, () -> new BuildVariation(null, null, null, null, "x".repeat(65), null));
    assertEquals("a.b-c", new BuildVariation(null, null, null, null, "a.b-c", null).hostname());
  }

  @Test
  void rejectsLocaleWithShellCharacters() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new BuildVariation(null, null, "de_DE.UTF-8 $(id)", null, null, null));
    assertTrue(e.getMessage().contains("locale 'de_DE.UTF-8 $(id)'"), e.getMessage());
    new BuildVariation(null, null, "de_DE.UTF-8", null, null, null);
    new BuildVariation(null, null, "sr_RS.UTF-8@latin", null, null, null);
    new BuildVariation(null, null, "C", null, null, null);
  }

  @Test
  void rejectsUmaskThatIsNotOctal() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new BuildVariation(null, null, null, "089", null, null));
    assertTrue(e.getMessage().contains("umask '089' must be three or four octal digits"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> new BuildVariation(null, null, null, "77", null, null));
    assertThrows(IllegalArgumentException.class, () -> new BuildVariation(null, null, null, "10777", null, null));
    assertEquals("0077", new BuildVariation(null, null, null, "0077", null, null).umask());
  }

  @Test
  void rejectsFewerThanOneCpu() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new BuildVariation(null, null, null, null, null, 0));
    assertTrue(e.getMessage().contains("cpus 0 must be at least 1"), e.getMessage());
  }

  @Test
  void rejectsPathPrefixThatLeavesItsDirectory() {
    for (String bad : new String[] {"../x", "/abs", "a//b", "a/./b", "", "a/b/", ".hidden"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> new BuildVariation(bad, null, null, null, null, null), bad);
      assertTrue(e.getMessage().contains("pathPrefix '" + bad + "'"), e.getMessage());
    }
  }

  @Test
  void rejectsTimeZoneThatIsNotARegion() {
    for (String bad : new String[] {"Mars/Olympus", "+05:00", "UTC+3", "Europe/Berlin;id"}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> new BuildVariation(null, bad, null, null, null, null), bad);
      assertTrue(e.getMessage().contains("timeZone '" + bad + "'"), e.getMessage());
    }
    assertEquals("Etc/GMT+12", new BuildVariation(null, "Etc/GMT+12", null, null, null, null).timeZone());
  }

  @Test
  void everyProblemIsNamedAtOnce() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new BuildVariation("..", "Nowhere", "x y", "9", "h h", -1));
    for (String field : new String[] {"pathPrefix", "timeZone", "locale", "umask", "hostname", "cpus"}) {
      assertTrue(e.getMessage().contains(field + " "), field + " in: " + e.getMessage());
    }
  }

  @Test
  void assignmentWithVariationRoundTrips() throws Exception {
    Assignment varied = assignment(BuildVariation.varied());
    String json = WireJson.write(varied);
    assertTrue(json.contains("\"variation\":{\"pathPrefix\":\"second/build/path\""), json);
    assertEquals(varied, WireJson.read(json, Assignment.class));
    Assignment standard = assignment(BuildVariation.standard());
    assertTrue(WireJson.write(standard).contains("\"variation\":{}"), WireJson.write(standard));
    assertEquals(standard, WireJson.read(WireJson.write(standard), Assignment.class));
  }

  @Test
  void assignmentWithoutVariationIsWrittenAsBefore() throws Exception {
    Assignment plain = new Assignment("01J", "fixture-yum", "bootstrap", Map.of("tether", SHA),
        Map.of("repo-spec.json", "e30="), SHA, "http://127.0.0.1:8080", 1);
    assertNull(plain.variation());
    String json = WireJson.write(plain);
    assertEquals("{\"buildId\":\"01J\",\"repo\":\"fixture-yum\",\"target\":\"bootstrap\",\"components\":{\"tether\":\""
        + SHA + "\"},\"definitionFiles\":{\"repo-spec.json\":\"e30=\"},\"definitionDigest\":\"" + SHA
        + "\",\"artifactsUrl\":\"http://127.0.0.1:8080\",\"attempt\":1}", json);
    assertEquals(plain, WireJson.read(json, Assignment.class));
  }

  @Test
  void invalidVariationOnTheWireIsRefusedNamingTheField() {
    String json = WireJson.write(assignment(null)).replace("\"attempt\":1",
        "\"attempt\":1,\"variation\":{\"umask\":\"999\",\"cpus\":0}");
    WireJson.WireFormatException e = assertThrows(WireJson.WireFormatException.class,
        () -> WireJson.read(json, Assignment.class));
    assertTrue(e.getMessage().startsWith("variation: invalid build variation: "), e.getMessage());
    assertTrue(e.getMessage().contains("umask '999'") && e.getMessage().contains("cpus 0"), e.getMessage());
  }
}
