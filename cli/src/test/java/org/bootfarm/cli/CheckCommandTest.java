package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** Runs {@code bootfarm check} in-process on the shipped definitions and on broken copies. */
@Tag("unit")
class CheckCommandTest {

  @TempDir Path tmp;

  /** What one run printed and returned. */
  record Run(int exit, String out, String err) {
    List<String> lines() {
      return out.lines().toList();
    }
  }

  static Run bootfarm(String... args) {
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    CommandLine cli = Main.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    int exit = cli.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  static Path repoRoot() {
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve("repos")) && Files.isRegularFile(p.resolve("pom.xml"))) {
        return p;
      }
    }
    throw new IllegalStateException("no repos/ above " + Path.of("").toAbsolutePath());
  }

  /** ../shared/keys beside the repository: VMware's Photon key, not the CentOS one. */
  static String sharedKeys() {
    return repoRoot().resolveSibling("shared").resolve("keys").toString();
  }

  static Stream<Path> shippedDefinitions() throws IOException {
    try (Stream<Path> list = Files.list(repoRoot().resolve("repos"))) {
      return list.filter(Files::isDirectory).sorted().toList().stream();
    }
  }

  @ParameterizedTest
  @MethodSource("shippedDefinitions")
  void everyShippedDefinitionChecksWithTheSharedKeys(Path dir) {
    Run run = bootfarm("check", dir.toString(), "--keys", sharedKeys());
    if (dir.getFileName().toString().equals("centos-6.9")) {
      // the CentOS 6 key is not ours to ship and not in ../shared/keys: exactly that is reported
      assertEquals(2, run.exit(), run::toString);
      assertEquals(1, run.lines().size(), run::toString);
      assertTrue(run.out().startsWith("centos-6.9.repo: [centos-6.9-os] gpgkey: key"
          + " file:///etc/pki/rpm-gpg/RPM-GPG-KEY-CentOS-6 not found"), run.out());
    } else {
      assertEquals(0, run.exit(), run::toString);
      assertTrue(run.out().startsWith("ok: " + dir + " (" + dir.getFileName() + ", "), run.out());
    }
  }

  @Test
  void photon20PrintsNameManagerAndTargets() {
    Path dir = repoRoot().resolve("repos/photon-2.0");
    Run run = bootfarm("check", dir.toString(), "--keys", sharedKeys());
    assertEquals(new Run(0, "ok: " + dir + " (photon-2.0, tdnf, targets bootstrap appliance)\n", ""), run);
  }

  @Test
  void centos69IsBootstrapOnlyOnceItsKeyIsInstalled() throws IOException {
    Path keys = Files.createDirectories(tmp.resolve("keys"));
    Files.writeString(keys.resolve("RPM-GPG-KEY-CentOS-6"), "-----BEGIN PGP PUBLIC KEY BLOCK-----\n");
    Path dir = repoRoot().resolve("repos/centos-6.9");
    Run run = bootfarm("check", dir.toString(), "--keys", keys.toString());
    assertEquals(new Run(0, "ok: " + dir + " (centos-6.9, yum, targets bootstrap)\n", ""), run);
  }

  @Test
  void missingKeyWithoutKeysFlagNamesBothPlaces() throws IOException {
    Path empty = Files.createDirectories(tmp.resolve("empty-keys"));
    Run run = bootfarm("check", repoRoot().resolve("repos/photon-2.0").toString(), "--keys", empty.toString());
    assertEquals(2, run.exit());
    assertEquals(1, run.lines().size(), run::toString);
    String line = run.lines().get(0);
    assertTrue(line.startsWith("photon-2.0.repo: [photon-2.0] gpgkey: key file:///etc/pki/rpm-gpg/VMWARE-RPM-GPG-KEY"
        + " not found (also used by [photon-2.0-updates])"), line);
    assertTrue(line.contains(empty.toString()) && line.contains("--keys DIR"), line);
  }

  /** A copy of a shipped definition under tmp, under the same directory name. */
  Path copyOf(String name) throws IOException {
    Path src = repoRoot().resolve("repos").resolve(name);
    Path dst = Files.createDirectories(tmp.resolve("repos").resolve(name));
    try (Stream<Path> files = Files.list(src)) {
      for (Path f : files.toList()) {
        Files.copy(f, dst.resolve(f.getFileName()));
      }
    }
    return dst;
  }

  @Test
  void brokenCopyListsEveryProblemOnePerLine() throws IOException {
    Path dir = copyOf("photon-2.0");
    Path spec = dir.resolve("repo-spec.json");
    Files.writeString(spec, Files.readString(spec)
        .replace("\"packagemanager\": \"tdnf\",", "\"packagemanger\": \"tdnf\","));
    Path repo = dir.resolve("photon-2.0.repo");
    Files.writeString(repo, Files.readString(repo).replace(
        "baseurl=https://packages.vmware.com/photon/2.0/photon_updates_2.0_x86_64/\n", ""));
    Files.writeString(dir.resolve("base.sh"), "#!/bin/bash\ncase x in\n");

    Run run = bootfarm("check", dir.toString(), "--keys", sharedKeys());
    assertEquals(2, run.exit(), run::toString);
    List<String> lines = run.lines();
    assertEquals(4, lines.size(), run::toString);
    assertTrue(lines.get(0).startsWith("repo-spec.json: packagemanger: unknown field"), lines.get(0));
    assertTrue(lines.get(1).startsWith("repo-spec.json: packagemanager: missing required field"), lines.get(1));
    assertTrue(lines.get(2).startsWith("base.sh: bash syntax error"), lines.get(2));
    assertEquals("photon-2.0.repo: [photon-2.0-updates] baseurl: no baseurl, mirrorlist or metalink:"
        + " add where the repository's packages are", lines.get(3));
  }

  @Test
  void malformedSpecNamesLineAndColumn() throws IOException {
    Path dir = copyOf("photon-1.0");
    Files.writeString(dir.resolve("repo-spec.json"), "{\n    \"name\": \"photon-1.0\",,\n}\n");
    Run run = bootfarm("check", dir.toString(), "--keys", sharedKeys());
    assertEquals(2, run.exit());
    assertTrue(run.out().startsWith("repo-spec.json: malformed JSON at line 2, column 26: "), run.out());
  }

  @Test
  void localReposModeWantsTheLocalRepoFile() throws IOException {
    Path dir = copyOf("photon-2.0");
    Run missing = bootfarm("check", dir.toString(), "--keys", sharedKeys(), "--local-repos");
    assertEquals(2, missing.exit());
    assertTrue(missing.out().startsWith("photon-2.0.repo.local: missing: local-repo mode uses"), missing.out());

    Files.writeString(dir.resolve("photon-2.0.repo.local"), "[local]\nbaseurl=http://127.0.0.1:8080/photon/\n"
        + "gpgcheck=1\ngpgkey=https://127.0.0.1:8080/photon/KEY\n");
    Files.writeString(dir.resolve("photon-2.0.repo"), "[remote]\nname=not read in local-repo mode\n");
    assertEquals(0, bootfarm("check", dir.toString(), "--local-repos").exit());
  }

  // ---- signature checking cannot be switched off by omission ----

  @Test
  void gpgcheckOffIsADefinitionErrorUntilTheOperatorAllowsItThenItIsListed() throws IOException {
    Path dir = copyOf("photon-2.0");
    Path repo = dir.resolve("photon-2.0.repo");
    Files.writeString(repo, Files.readString(repo).replaceFirst("gpgcheck=1\n", "gpgcheck=0\n"));

    Run refused = bootfarm("check", dir.toString(), "--keys", sharedKeys());
    assertEquals(2, refused.exit(), refused::toString);
    assertEquals(1, refused.lines().size(), refused::toString);
    assertTrue(refused.out().startsWith("photon-2.0.repo: [photon-2.0] gpgcheck: gpgcheck=0: packages from this"
        + " repository would be installed without a signature check: set gpgcheck=1"), refused.out());
    assertTrue(refused.out().contains("--allow-unsigned photon-2.0"), refused.out());
    assertEquals(2, bootfarm("check", dir.toString(), "--keys", sharedKeys(), "--allow-unsigned", "photon-1.0")
        .exit(), "allowing another repo allows nothing here");

    Run allowed = bootfarm("check", dir.toString(), "--keys", sharedKeys(), "--allow-unsigned", "photon-1.0,photon-2.0");
    assertEquals(0, allowed.exit(), allowed::toString);
    assertEquals(List.of("ok: " + dir + " (photon-2.0, tdnf, targets bootstrap appliance)",
        "  unsigned (allowed by --allow-unsigned photon-2.0): photon-2.0.repo [photon-2.0]: gpgcheck=0"),
        allowed.lines());
    JsonNode json = new ObjectMapper().readTree(bootfarm("check", dir.toString(), "--keys", sharedKeys(),
        "--allow-unsigned", "photon-2.0", "--json").out());
    assertEquals("[\"photon-2.0.repo [photon-2.0]: gpgcheck=0\"]", json.get("unsigned").toString());
  }

  @Test
  void anAllowedDefinitionThatIsSignedIsNotMarkedUnsigned() {
    Path dir = repoRoot().resolve("repos/photon-2.0");
    Run run = bootfarm("check", dir.toString(), "--keys", sharedKeys(), "--allow-unsigned", "photon-2.0");
    assertEquals(new Run(0, "ok: " + dir + " (photon-2.0, tdnf, targets bootstrap appliance)\n", ""), run);
  }

  @Test
  void trustedAptSourceIsADefinitionErrorNamingFileAndLine() throws IOException {
    Path dir = copyOf("debian-12");
    Files.writeString(dir.resolve("sources.list"), "deb [trusted=yes] http://127.0.0.1:9/debian bookworm main\n");
    Run run = bootfarm("check", dir.toString());
    assertEquals(2, run.exit(), run::toString);
    assertTrue(run.out().startsWith("sources.list: line 1: trusted=yes switches apt's signature check off for"
        + " http://127.0.0.1:9/debian"), run.out());
    assertTrue(run.out().contains("--allow-unsigned debian-12"), run.out());
  }

  @Test
  void packageNameThatReadsAsAnOptionIsADefinitionError() throws IOException {
    Path dir = copyOf("photon-1.0");
    Path spec = dir.resolve("repo-spec.json");
    Files.writeString(spec, Files.readString(spec).replace("\"grep iproute2\"", "\"grep --nogpgcheck\""));
    Run run = bootfarm("check", dir.toString(), "--keys", sharedKeys());
    assertEquals(2, run.exit(), run::toString);
    assertTrue(run.out().startsWith("repo-spec.json: packages.bootstrap: \"--nogpgcheck\" is not a package name"),
        run.out());
  }

  @Test
  void initScriptWithoutDriversArrayChecksWithANote() throws IOException {
    Path dir = copyOf("photon-1.0");
    Path init = dir.resolve("init.sh");
    Files.writeString(init, Files.readString(init).replaceFirst("(?s)\ndrivers=\\(.*?\\)\n", "\n"));
    Run run = bootfarm("check", dir.toString(), "--keys", sharedKeys());
    assertEquals(0, run.exit(), run::toString);
    assertEquals(List.of("ok: " + dir + " (photon-1.0, tdnf, targets bootstrap appliance)",
        "  note: init.sh: drivers: no drivers=( ... ) array: the bootstrap loads no kernel modules of this repo"
            + " (only its netfilter set and what the hardware needs)"), run.lines());
  }

  @Test
  void jsonReportsStatusAndProblems() throws IOException {
    ObjectMapper mapper = new ObjectMapper();
    Run ok = bootfarm("check", repoRoot().resolve("repos/photon-1.0").toString(), "--keys", sharedKeys(), "--json");
    assertEquals(0, ok.exit());
    JsonNode okJson = mapper.readTree(ok.out());
    assertEquals("ok", okJson.get("status").asText());
    assertEquals("photon-1.0", okJson.get("name").asText());
    assertEquals("tdnf", okJson.get("packagemanager").asText());
    assertEquals("[\"bootstrap\",\"appliance\"]", okJson.get("targets").toString());

    Path dir = copyOf("photon-1.0");
    Files.delete(dir.resolve("init.sh"));
    Run bad = bootfarm("check", dir.toString(), "--keys", sharedKeys(), "--json");
    assertEquals(2, bad.exit());
    JsonNode badJson = mapper.readTree(bad.out());
    assertEquals("invalid", badJson.get("status").asText());
    assertEquals(1, badJson.get("problems").size());
    assertEquals("init.sh", badJson.get("problems").get(0).get("file").asText());
    assertEquals("", badJson.get("problems").get(0).get("field").asText());
  }

  @Test
  void directoryThatDoesNotExistIsADefinitionError() {
    Run run = bootfarm("check", tmp.resolve("nope").toString());
    assertEquals(2, run.exit());
    assertTrue(run.out().contains("not a directory"), run.out());
  }

  @Test
  void missingRepoDirIsAUsageError() {
    Run run = bootfarm("check");
    assertEquals(2, run.exit());
    assertTrue(run.err().contains("Missing required parameter: 'REPO-DIR'"), run.err());
  }
}
