package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.bootfarm.cluster.identity.FarmCa;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.testkit.FreePorts;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * HTTPS where the farm leaves one machine, with real processes: the operator issues a coordinator certificate
 * for 127.0.0.1 with {@code bootfarm ca issue --host}, the coordinator serves its API with {@code --tls-cert} and
 * {@code --tls-key}, and a worker that was given nothing but its farm CA downloads the components and uploads the
 * build's artifacts over HTTPS; the artifacts come down over HTTPS with the farm CA trusted (the CLI's {@code
 * fetch} with {@code --tls-ca} too), and plain HTTP to the port gets no answer.
 */
@Tag("process")
class HttpsFarmProcessesTest {
  static final String REPO = "fixture-https";
  @TempDir static Path dir;
  static FixtureYumRepo repo;
  static FarmProcesses farm;
  static String bridge;

  @BeforeAll
  static void startFarm() throws Exception {
    repo = FixtureYumRepo.start();
    Path repos = Files.createDirectories(dir.resolve("repos"));
    FixtureBuilds.writeTdnfDefinition(dir.resolve("scratch"), repos, repo, REPO, "");
    Path keys = Files.createDirectories(dir.resolve("keys"));
    Path member = dir.resolve("https-coordinator");
    CliRun issued = CliRun.inProcess("ca", "issue", "--ca", SharedFarmCa.of(dir).toString(), "--role", "coordinator",
        "--host", "127.0.0.1", "--out", member.toString(), "https-coordinator");
    assertEquals(0, issued.exitCode, issued::toString);
    assertTrue(issued.toString().contains("--tls-cert " + member.resolve(FarmCa.MEMBER_CERT)), issued::toString);
    farm = FarmProcesses.https(dir, member.resolve(FarmCa.MEMBER_CERT), member.resolve(FarmCa.MEMBER_KEY));
    bridge = "127.0.0.1:" + FreePorts.one();
    farm.start("coordinator", List.of("coordinator", "--bridge-port", bridge.split(":")[1], "--bridge-tls-cert",
        member.resolve(FarmCa.MEMBER_CERT).toString(), "--bridge-tls-key", member.resolve(FarmCa.MEMBER_KEY).toString(),
        "--data-dir", dir.resolve("coordinator-data").toString(), "--repos", repos.toString(), "--keys",
        keys.toString(), "--http-port", String.valueOf(farm.httpPort), "--cluster-name", farm.cluster,
        "--cluster-port", String.valueOf(farm.clusterPort)));
    farm.awaitLine("coordinator", " ready: ", 90);
    farm.startWorker("worker", List.of("--worker-id", "w-https"));
    farm.awaitLine("worker", " ready: ", 90);
  }

  @AfterAll
  static void stopFarm() {
    if (farm != null) {
      farm.close();
    }
    if (repo != null) {
      repo.close();
    }
  }

  @Test
  void aBuildSucceedsOverHttpsAndPlainHttpGetsNoAnswer() throws Exception {
    String coordinatorLog = farm.logText("coordinator");
    assertTrue(coordinatorLog.contains("ready: HTTP https://127.0.0.1:" + farm.httpPort),
        "the coordinator hands out an https artifact URL:\n" + coordinatorLog);
    Map<String, String> components = Map.of("tether", farm.upload("tether over https\n"),
        "unpack", farm.upload("unpack over https\n"));
    String id = farm.submit(REPO, components);
    JsonNode build = farm.awaitBuild(id, FarmProcesses::finished);
    String workerLog = farm.logText("worker");
    assertEquals("SUCCEEDED", build.get("state").asText(), build + "\n" + workerLog);
    assertEquals("w-https", build.get("worker").asText(), build::toString);
    assertFalse(build.get("artifacts").isEmpty(), build::toString);
    for (JsonNode artifact : build.get("artifacts")) {
      String sha256 = artifact.get("sha256").asText();
      assertEquals(sha256, Sha256.of(farm.download(sha256)), artifact::toString);
    }
    assertFalse(workerLog.contains("refused by TLS"), workerLog);

    // the CLI trusts its --tls-ca for the https artifact URL the coordinator announces, as for the bridge
    Path out = dir.resolve("fetched");
    CliRun fetched = CliRun.inProcess("fetch", id, "--out", out.toString(), "--farm", bridge, "--token",
        farm.adminToken(), "--tls-ca", SharedFarmCa.of(dir).resolve(FarmCa.CA_CERT).toString());
    assertEquals(0, fetched.exitCode, fetched::toString);
    assertTrue(Files.exists(out.resolve("build.log")), fetched::toString);

    String plain = "http://127.0.0.1:" + farm.httpPort;
    assertThrows(IOException.class, () -> FarmProcesses.HTTP.send(HttpRequest.newBuilder(URI.create(plain + "/health"))
        .GET().build(), HttpResponse.BodyHandlers.ofString()), "plain HTTP to the HTTPS port gets no answer");
    assertThrows(IOException.class, () -> FarmProcesses.HTTP.send(farm.request(plain, "/api/v1/builds/" + id).GET()
        .build(), HttpResponse.BodyHandlers.ofString()), "nor does a token sent in clear");
    assertEquals(200, farm.http.send(HttpRequest.newBuilder(URI.create(farm.api + "/health")).GET().build(),
        HttpResponse.BodyHandlers.ofString()).statusCode(), "HTTPS answers on the same port");
  }
}
