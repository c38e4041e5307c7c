package org.bootfarm.coordinator;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.repo.DefinitionArchive;
import org.bootfarm.protocol.repo.DefinitionFiles;
import org.bootfarm.protocol.repo.RepoDefinitionLoader;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The catalogue keeps the exact bytes it validated and follows its repos directory: a reload reads again only
 * what changed, says what changed (old and new digest, added, removed, now invalid), and swaps the whole
 * snapshot, leaving entries already handed out as they were. Definitions are copies of the project's debian-12.
 */
@Tag("unit")
class RepoCatalogTest {
  @TempDir Path dir;
  Path repos;
  RepoCatalog catalog;

  @BeforeEach
  void copyDefinition() throws IOException {
    repos = Files.createDirectories(dir.resolve("repos"));
    copyDebian("debian-12");
    catalog = RepoCatalog.read(repos, ProjectTree.sharedKeys());
  }

  private Path copyDebian(String name) throws IOException {
    Path source = ProjectTree.root().resolve("repos/debian-12");
    Path target = Files.createDirectories(repos.resolve(name));
    Files.copy(source.resolve("init.sh"), target.resolve("init.sh"));
    Files.writeString(target.resolve("repo-spec.json"),
        Files.readString(source.resolve("repo-spec.json")).replace("\"debian-12\"", "\"" + name + "\""));
    return target;
  }

  private RepoCatalog.Entry entry(String name) {
    return catalog.find(name).orElseThrow();
  }

  @Test
  void entryHoldsTheValidatedBytesUnderTheDirectoryDigest() throws IOException {
    RepoCatalog.Entry entry = entry("debian-12");
    assertTrue(entry.definition().isPresent(), entry.problems()::toString);
    assertEquals(RepoDefinitionLoader.digest(repos.resolve("debian-12")), entry.digest());
    assertEquals(entry.digest(), Sha256.of(entry.archive()));
    assertEquals(DefinitionFiles.read(repos.resolve("debian-12")), DefinitionArchive.definitionFiles(entry.archive()));
  }

  @Test
  void editedDefinitionIsReadAgainWithOneLineNamingBothDigests() throws IOException {
    RepoCatalog.Entry before = entry("debian-12");
    Files.writeString(repos.resolve("debian-12/base.sh"), "#!/bin/bash\ntouch \"$1/marker\"\n");
    List<String> changes = catalog.reload(false);
    RepoCatalog.Entry after = entry("debian-12");
    assertNotEquals(before.digest(), after.digest());
    assertEquals(List.of("repos: debian-12 changed, digest " + before.digest().substring(0, 12) + " -> "
        + after.digest().substring(0, 12) + "; builds submitted from now on build it"), changes);
    assertTrue(DefinitionArchive.unpack(after.archive()).containsKey("base.sh"));
    // the entry handed out before the reload is untouched: a build checked against it pins its bytes
    assertTrue(!DefinitionArchive.unpack(before.archive()).containsKey("base.sh"));
  }

  @Test
  void unchangedDefinitionIsNotReadAgainAndNothingIsSaid() throws IOException {
    RepoCatalog.Entry before = entry("debian-12");
    assertEquals(List.of(), catalog.reload(false));
    assertSame(before, entry("debian-12"));
  }

  @Test
  void sighupReadsEverythingAgainButReportsOnlyChanges() throws IOException {
    RepoCatalog.Entry before = entry("debian-12");
    assertEquals(List.of(), catalog.reload(true));
    assertEquals(before.digest(), entry("debian-12").digest());
    assertArrayEquals(before.archive(), entry("debian-12").archive());
  }

  @Test
  void addedRemovedAndBrokenDefinitionsAreEachOneLine() throws IOException {
    copyDebian("debian-13");
    List<String> added = catalog.reload(false);
    assertEquals(1, added.size(), added::toString);
    assertTrue(added.get(0).startsWith("repos: debian-13 added, digest " + entry("debian-13").digest().substring(0, 12)),
        added::toString);

    Files.writeString(repos.resolve("debian-13/repo-spec.json"), "{\"name\": \"debian-13\"");
    List<String> broken = catalog.reload(false);
    assertEquals(1, broken.size(), broken::toString);
    assertTrue(broken.get(0).startsWith("repos: debian-13 now invalid: repo-spec.json"), broken::toString);
    assertTrue(broken.get(0).contains("malformed JSON"), broken::toString);
    assertTrue(entry("debian-13").definition().isEmpty());
    assertEquals(List.of(), catalog.reload(false), "an invalid definition that stays invalid is not reported again");

    Files.delete(repos.resolve("debian-13/repo-spec.json"));
    Files.delete(repos.resolve("debian-13/init.sh"));
    Files.delete(repos.resolve("debian-13"));
    List<String> removed = catalog.reload(false);
    assertEquals(List.of("repos: debian-13 removed; builds of it are refused from now on (builds already accepted"
        + " keep the definition they were submitted with)"), removed);
    assertTrue(catalog.find("debian-13").isEmpty());
    assertEquals(List.of("debian-12"), catalog.entries().stream().map(RepoCatalog.Entry::name).toList());
  }

  @Test
  void fixedDefinitionIsValidAgain() throws IOException {
    String spec = Files.readString(repos.resolve("debian-12/repo-spec.json"));
    Files.writeString(repos.resolve("debian-12/repo-spec.json"), spec.replace("\"apt\"", "\"pacman\""));
    assertTrue(catalog.reload(false).get(0).startsWith("repos: debian-12 now invalid"));
    Files.writeString(repos.resolve("debian-12/repo-spec.json"), spec);
    List<String> fixed = catalog.reload(false);
    assertEquals(List.of("repos: debian-12 valid again, digest " + entry("debian-12").digest().substring(0, 12)
        + "; builds submitted from now on build it"), fixed);
  }

  @Test
  void definitionWithALinkIsInvalidSayingDefinitionsCarryNoLinks() throws IOException {
    Files.createSymbolicLink(repos.resolve("debian-12/base.sh"), Path.of("init.sh"));
    List<String> changes = catalog.reload(false);
    assertTrue(changes.get(0).contains("'base.sh' is a symbolic link (to init.sh)"), changes::toString);
    assertTrue(changes.get(0).contains("replace the link"), changes::toString);
    assertTrue(entry("debian-12").definition().isEmpty());
  }
}
