package org.bootfarm.protocol.repo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.bootfarm.protocol.Sha256;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pins that a definition archive is its digest's preimage, round-trips, and refuses what pack never writes. */
@Tag("unit")
class DefinitionArchiveTest {
  @TempDir Path tmp;

  private Path definition() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("fixture-1.0"));
    Files.writeString(dir.resolve("repo-spec.json"), "{\"name\": \"fixture-1.0\"}\n");
    Files.writeString(dir.resolve("init.sh"), "#!/bin/bash\n");
    Files.createDirectories(dir.resolve("keys/sub"));
    Files.write(dir.resolve("keys/sub/KEY"), new byte[] {0, 1, 2, (byte) 0xff, 0});
    Files.createDirectories(dir.resolve("empty"));
    Files.write(dir.resolve("zero"), new byte[0]);
    return dir;
  }

  private static byte[] bytes(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void archiveSha256IsTheDefinitionDigest() throws IOException {
    Path dir = definition();
    byte[] archive = DefinitionArchive.pack(dir);
    assertEquals(RepoDefinitionLoader.digest(dir), Sha256.of(archive));
    assertEquals(RepoDefinitionLoader.digest(dir), DefinitionArchive.digest(archive));
  }

  @Test
  void digestIsTheDocumentedPreimageOfEveryFile() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("two"));
    Files.writeString(dir.resolve("b"), "bee");
    Files.createDirectories(dir.resolve("a"));
    Files.writeString(dir.resolve("a/x"), "");
    assertArrayEquals(bytes("file\0a/x\0" + "0\0file\0b\0" + "3\0bee"), DefinitionArchive.pack(dir));
  }

  @Test
  void unpackGivesBackEveryFileInSortedOrder() throws IOException {
    Path dir = definition();
    Map<String, byte[]> files = DefinitionArchive.unpack(DefinitionArchive.pack(dir));
    assertEquals(List.of("init.sh", "keys/sub/KEY", "repo-spec.json", "zero"), List.copyOf(files.keySet()));
    assertArrayEquals(new byte[] {0, 1, 2, (byte) 0xff, 0}, files.get("keys/sub/KEY"));
    assertArrayEquals(new byte[0], files.get("zero"));
  }

  @Test
  void definitionFilesAreWhatDefinitionFilesReadsFromTheDirectory() throws IOException {
    Path dir = definition();
    assertEquals(DefinitionFiles.read(dir), DefinitionArchive.definitionFiles(DefinitionArchive.pack(dir)));
    assertEquals(Base64.getEncoder().encodeToString(bytes("#!/bin/bash\n")),
        DefinitionArchive.definitionFiles(DefinitionArchive.pack(dir)).get("init.sh"));
  }

  @Test
  void editingAFileChangesTheArchiveAndTheDigest() throws IOException {
    Path dir = definition();
    byte[] before = DefinitionArchive.pack(dir);
    Files.writeString(dir.resolve("init.sh"), "#!/bin/bash\ntrue\n");
    assertNotEquals(Sha256.of(before), RepoDefinitionLoader.digest(dir));
    assertEquals(RepoDefinitionLoader.digest(dir), Sha256.of(DefinitionArchive.pack(dir)));
  }

  @Test
  void emptyArchiveIsAnEmptyDefinition() throws IOException {
    assertTrue(DefinitionArchive.unpack(new byte[0]).isEmpty());
  }

  @Test
  void refusesALinkSayingDefinitionsCarryNoLinks() throws IOException {
    Path dir = definition();
    Files.createSymbolicLink(dir.resolve("link.sh"), Path.of("init.sh"));
    byte[] archive = DefinitionArchive.pack(dir);
    assertEquals(RepoDefinitionLoader.digest(dir), Sha256.of(archive));
    IOException e = assertThrows(IOException.class, () -> DefinitionArchive.unpack(archive));
    assertTrue(e.getMessage().contains("'link.sh' is a symbolic link (to init.sh)"), e.getMessage());
    assertTrue(e.getMessage().contains("DefinitionFiles never carried them"), e.getMessage());
  }

  @Test
  void refusesPathsThatLeaveTheDirectory() {
    for (String path : List.of("../etc/passwd", "/etc/passwd", "a/../../x", "a//b", "./a", "a/", "a\\..\\b", "")) {
      IOException e = assertThrows(IOException.class,
          () -> DefinitionArchive.unpack(bytes("file\0" + path + "\0" + "1\0x")), path);
      assertTrue(e.getMessage().contains("'" + path + "'"), e.getMessage());
    }
  }

  @Test
  void refusesTruncatedArchives() {
    String whole = "file\0a\0" + "3\0abc";
    for (int cut = 1; cut < whole.length(); cut++) {
      String prefix = whole.substring(0, cut);
      IOException e = assertThrows(IOException.class, () -> DefinitionArchive.unpack(bytes(prefix)), prefix);
      assertTrue(e.getMessage().startsWith("malformed definition archive at byte 0"), e.getMessage());
    }
  }

  @Test
  void refusesUnknownKindsBadSizesAndDisorder() {
    Map<String, String> cases = Map.of(
        "dir\0a\0", "unknown entry kind \"dir\"",
        "file\0a\0" + "-1\0x", "has size \"-1\"",
        "file\0a\0" + "01\0x", "has size \"01\"",
        "file\0a\0" + "99999999999\0x", "has size \"99999999999\"",
        "file\0a\0" + "5\0abc", "says 5 bytes but only 3 follow",
        "file\0b\0" + "0\0file\0a\0" + "0\0", "'a' comes after 'b'",
        "file\0a\0" + "0\0file\0a\0" + "0\0", "'a' appears twice",
        "file\0a\0" + "0\0file\0a/b\0" + "0\0", "lies under 'a', which is a file",
        "file\0a b\0" + "1\0x trailing", "the entry's kind is not terminated");
    cases.forEach((archive, expected) -> {
      IOException e = assertThrows(IOException.class, () -> DefinitionArchive.unpack(bytes(archive)), archive);
      assertTrue(e.getMessage().contains(expected), e.getMessage() + " should say " + expected);
    });
  }
}
