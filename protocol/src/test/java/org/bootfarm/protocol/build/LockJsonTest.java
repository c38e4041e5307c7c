package org.bootfarm.protocol.build;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.bootfarm.protocol.api.v1.WireJson;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** A lock's JSON: {@code removed} is written only when the staging removed something, and inputs() is both sets. */
@Tag("unit")
class LockJsonTest {
  private static final LockedPackage A = new LockedPackage("a", "1-1", "noarch", "aa", 10);
  private static final LockedPackage B = new LockedPackage("b", "1-1", "x86_64", "bb", 20,
      new PackageOrigin("base", "https://repo/b.rpm"));
  private static final LockedPackage T = new LockedPackage("toybox", "0.7-1", "x86_64", "tt", 30);

  @Test
  void aLockWithoutRemovalsIsWrittenAsBefore() throws Exception {
    String json = WireJson.write(new Lock("dnf", List.of(B, A)));
    assertEquals("{\"engine\":\"dnf\",\"packages\":[{\"name\":\"a\",\"version\":\"1-1\",\"arch\":\"noarch\","
        + "\"sha256\":\"aa\",\"buildTime\":10},{\"name\":\"b\",\"version\":\"1-1\",\"arch\":\"x86_64\",\"sha256\":\"bb\","
        + "\"buildTime\":20,\"origin\":{\"repository\":\"base\",\"url\":\"https://repo/b.rpm\"}}]}", json);
    assertFalse(json.contains("removed"));
    assertFalse(json.contains("inputs"), "inputs() is derived, never written");
    Lock read = WireJson.read(json, Lock.class);
    assertEquals(List.of(), read.removed(), "an old buildinfo reads with nothing removed");
    assertEquals(new Lock("dnf", List.of(A, B)), read);
  }

  @Test
  void removedPackagesAreWrittenSortedAndReadBack() throws Exception {
    Lock lock = new Lock("dnf", List.of(B), List.of(T, A));
    String json = WireJson.write(lock);
    assertTrue(json.endsWith(",\"removed\":[{\"name\":\"a\",\"version\":\"1-1\",\"arch\":\"noarch\",\"sha256\":\"aa\","
        + "\"buildTime\":10},{\"name\":\"toybox\",\"version\":\"0.7-1\",\"arch\":\"x86_64\",\"sha256\":\"tt\","
        + "\"buildTime\":30}]}"), json);
    assertEquals(lock, WireJson.read(json, Lock.class));
    assertEquals(List.of(A, B, T), lock.inputs(), "a rebuild needs what is installed and what was removed");
    assertEquals(20, lock.newestBuildTime(), "the default SOURCE_DATE_EPOCH is still the installed packages'");
  }
}
