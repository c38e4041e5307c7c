package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A {@code bootfarm coordinator} process whose operator allows some repos unsigned in its config file
 * ({@code allow-unsigned = fixture-allowed, fixture-signed}). The attack: a definition whose .repo says
 * {@code gpgcheck=0}, installed among the farm's repos without the operator's allowance, submitted over HTTP,
 * is refused with the error naming the file, the section and the flag, and nothing is recorded; the same
 * definition allowed is accepted and its build recorded UNSIGNED; an allowed definition that is signed
 * throughout is recorded as checked. No worker is needed: the decision is the coordinator's.
 */
@Tag("process")
class UnsignedRepoProcessesTest {
  @TempDir static Path dir;
  static FixtureYumRepo repo;
  static FarmProcesses farm;

  @BeforeAll
  static void startCoordinator() throws Exception {
    repo = FixtureYumRepo.start();
    Path repos = Files.createDirectories(dir.resolve("repos"));
    for (String name : List.of("fixture-refused", "fixture-allowed")) {
      Path definition = FixtureBuilds.writeTdnfDefinition(dir.resolve("scratch"), repos, repo, name, "");
      Path repoFile = definition.resolve("fixture.repo");
      Files.writeString(repoFile, Files.readString(repoFile).replace("gpgcheck=1", "gpgcheck=0"));
    }
    FixtureBuilds.writeTdnfDefinition(dir.resolve("scratch"), repos, repo, "fixture-signed", "");
    Path config = Files.writeString(dir.resolve("bootfarm.conf"), "# the operator's decision\n"
        + "allow-unsigned = fixture-allowed, fixture-signed\n");
    farm = new FarmProcesses(dir);
    farm.start("coordinator", List.of("coordinator", "--config", config.toString(), "--nightly", "off",
        "--bridge-port", "0", "--data-dir", dir.resolve("c").toString(), "--repos", repos.toString(),
        "--keys", Files.createDirectories(dir.resolve("keys")).toString(), "--http-port",
        String.valueOf(farm.httpPort), "--cluster-name", farm.cluster, "--cluster-port",
        String.valueOf(farm.clusterPort)));
    farm.awaitLine("coordinator", " ready: ", 90);
  }

  @AfterAll
  static void stop() {
    if (farm != null) {
      farm.close();
    }
    if (repo != null) {
      repo.close();
    }
  }

  static Map<String, String> components() throws Exception {
    return Map.of("tether", farm.upload("tether\n"), "unpack", farm.upload("unpack\n"));
  }

  @Test
  void aDefinitionWithGpgcheckOffIsRefusedAtSubmissionNamingFileSectionAndFlag() throws Exception {
    int before = farm.get("/api/v1/builds").get("builds").size();

    HttpResponse<String> refused = farm.post("fixture-refused", "bootstrap", components());

    assertEquals(400, refused.statusCode(), refused.body());
    String problems = FarmProcesses.JSON.readTree(refused.body()).get("problems").toString();
    for (String part : List.of("fixture.repo: [bootfarm-fixture] gpgcheck: gpgcheck=0",
        "without a signature check", "--allow-unsigned fixture-refused (config key allow-unsigned")) {
      assertTrue(problems.contains(part), () -> part + " not in: " + refused.body());
    }
    assertEquals(before, farm.get("/api/v1/builds").get("builds").size(), "nothing was recorded");
    JsonNode repos = farm.get("/api/v1/repos");
    assertTrue(repos.toString().contains("gpgcheck=0"), "the farm's repo list shows why: " + repos);
  }

  @Test
  void theAllowedDefinitionIsAcceptedAndRecordedUnsignedAndASignedOneIsNot() throws Exception {
    String unsigned = farm.submit("fixture-allowed", components());
    JsonNode build = farm.get("/api/v1/builds/" + unsigned);
    assertEquals("[\"fixture.repo [bootfarm-fixture]: gpgcheck=0\"]", build.get("unsigned").toString(),
        build::toString);

    String signed = farm.submit("fixture-signed", components());
    JsonNode checked = farm.get("/api/v1/builds/" + signed);
    assertFalse(checked.has("unsigned"), checked::toString);

    String repos = farm.get("/api/v1/repos").toString();
    assertTrue(repos.contains("\"name\":\"fixture-allowed\",\"packageManager\":\"tdnf\",\"targets\":[\"bootstrap\"],"
        + "\"problems\":[],\"unsigned\":[\"fixture.repo [bootfarm-fixture]: gpgcheck=0\"]"), repos);

    String log = farm.logText("coordinator");
    assertTrue(log.contains("repo fixture-allowed is built UNSIGNED (allowed by --allow-unsigned):"
        + " fixture.repo [bootfarm-fixture]: gpgcheck=0"), log);
    assertTrue(log.contains("repo fixture-signed is allowed unsigned but is signed throughout"), log);
  }
}
