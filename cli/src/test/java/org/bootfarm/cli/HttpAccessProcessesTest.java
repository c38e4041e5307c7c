package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.testkit.Eventually;
import org.bootfarm.testkit.FreePorts;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Tokens and roles against a real coordinator and worker in their own JVMs (issue 13): over HTTP, a call
 * without a token, with a wrong one, with a {@code read} token submitting or uploading, and with a {@code
 * submit} token starting a nightly run or pinning is refused (401 or 403, a JSON error naming what is missing),
 * changes nothing (builds, the artifact store's files, nightly runs), is counted in {@code
 * bootfarm_api_refused_total} and named in the coordinator's log. The tokens are added to the tokens file while
 * the farm runs. Then the CLI over the bridge with the {@code submit} token still uploads its components,
 * submits, and fetches the artifacts, and the build records its submitter.
 */
@Tag("process")
class HttpAccessProcessesTest {
  static final String READ = "viewer-token-0123456789abcdef";
  static final String SUBMIT = "ci-token-0123456789abcdef0000";
  static final Pattern REFUSED = Pattern.compile("^bootfarm_api_refused_total\\{([^}]*)\\} ([0-9.eE+-]+)$",
      Pattern.MULTILINE);
  static final Pattern LABEL = Pattern.compile("(\\w+)=\"(\\w+)\"");
  @TempDir static Path dir;
  static FarmProcesses farm;
  static Path coordinatorData;
  static String bridge;

  @BeforeAll
  static void startFarm() throws Exception {
    farm = FarmProcesses.withFixtureRepos(dir, FixtureDefinitions.TDNF);
    coordinatorData = dir.resolve("c");
    int bridgePort = FreePorts.one();
    bridge = "127.0.0.1:" + bridgePort;
    farm.start("coordinator", List.of("coordinator", "--nightly", "off", "--bridge-port", String.valueOf(bridgePort),
        "--data-dir", coordinatorData.toString(), "--repos", farm.repos().toString(), "--keys", farm.keys().toString(),
        "--http-port", String.valueOf(farm.httpPort), "--cluster-name", farm.cluster, "--cluster-port",
        String.valueOf(farm.clusterPort)));
    farm.awaitLine("coordinator", " ready: ", 90);
    farm.startWorker("worker", List.of("--worker-id", "w-access"));
    farm.awaitLine("worker", " ready: ", 90);
  }

  @AfterAll
  static void stopFarm() {
    if (farm != null) {
      farm.close();
    }
  }

  static HttpResponse<String> call(String token, String method, String path, String body) throws Exception {
    HttpRequest.Builder request = HttpRequest.newBuilder(java.net.URI.create(farm.api + path)).method(method,
        body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (body != null && !path.startsWith("/api/v1/artifacts/")) {
      request.header("Content-Type", "application/json");
    }
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return FarmProcesses.HTTP.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  /** A refusal: its status, the JSON error's code, and a message that says {@code says}. */
  static void refused(HttpResponse<String> response, int status, String code, String says) throws Exception {
    assertEquals(status, response.statusCode(), response.body());
    JsonNode error = FarmProcesses.JSON.readTree(response.body());
    assertEquals(code, error.path("code").asText(), response.body());
    assertTrue(error.path("message").asText().contains(says), () -> "'" + says + "' in " + response.body());
  }

  /** What the farm holds: builds, files of the artifact store, nightly runs. */
  static List<Integer> holdings() throws Exception {
    int files;
    try (Stream<Path> walk = Files.walk(coordinatorData.resolve("coordinator").resolve("artifacts"))) {
      files = (int) walk.filter(Files::isRegularFile).count();
    }
    return List.of(farm.get("/api/v1/builds?limit=1000").path("builds").size(), files,
        farm.get("/api/v1/nightly?limit=1000").path("runs").size());
  }

  /** {@code bootfarm_api_refused_total} as the coordinator's /metrics (open) says now: "http unauthenticated" → count. */
  static Map<String, Double> refusals() throws Exception {
    String text = FarmProcesses.HTTP.send(HttpRequest.newBuilder(java.net.URI.create(farm.api + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    Map<String, Double> counts = new java.util.TreeMap<>();
    Matcher line = REFUSED.matcher(text);
    while (line.find()) {
      Map<String, String> labels = new java.util.HashMap<>();
      for (Matcher label = LABEL.matcher(line.group(1)); label.find(); ) {
        labels.put(label.group(1), label.group(2));
      }
      counts.put(labels.get("interface") + " " + labels.get("reason"), Double.parseDouble(line.group(2)));
    }
    assertEquals(10, counts.size(), () -> "every reason on both interfaces is registered at 0:\n" + text);
    return counts;
  }

  @Test
  void refusedCallsChangeNothingAreCountedAndLoggedAndTheCliWithASubmitTokenStillBuilds() throws Exception {
    Files.writeString(farm.tokensFile, "viewer " + READ + " read\nci " + SUBMIT + " submit\n",
        StandardOpenOption.APPEND);
    assertTrue(Eventually.holds(Duration.ofSeconds(15), Duration.ofMillis(200),
        () -> call(READ, "GET", "/api/v1/builds", null).statusCode() == 200),
        "tokens added to the file while the farm runs are accepted within seconds");
    String component = "#!/bin/sh\necho a component nobody may upload\n";
    String sha = Sha256.of(component.getBytes(StandardCharsets.UTF_8));
    String submission = "{\"repo\": \"" + FixtureDefinitions.TDNF + "\", \"components\": {\"tether\": \"" + sha
        + "\"}}";
    List<Integer> before = holdings();
    Map<String, Double> countedBefore = refusals();

    HttpResponse<String> none = call(null, "POST", "/api/v1/builds", submission);
    refused(none, 401, "UNAUTHORIZED", "no Authorization: Bearer token; give the token of a client in the"
        + " coordinator's tokens file");
    assertTrue(!none.body().contains(dir.toString()), () -> "a caller without a token is told no server path: "
        + none.body());
    assertEquals("Bearer realm=\"bootfarm\"", none.headers().firstValue("WWW-Authenticate").orElse(""));
    refused(call("wrong-token-0123456789abcdef", "PUT", "/api/v1/artifacts/" + sha, component), 401, "UNAUTHORIZED",
        "not in the tokens file");
    refused(call(READ, "POST", "/api/v1/builds", submission), 403, "FORBIDDEN",
        "client 'viewer' has role read; submitting needs submit");
    refused(call(READ, "PUT", "/api/v1/artifacts/" + sha, component), 403, "FORBIDDEN",
        "client 'viewer' has role read; uploading an artifact needs submit");
    refused(call(SUBMIT, "POST", "/api/v1/nightly", null), 403, "FORBIDDEN",
        "client 'ci' has role submit; starting a nightly run needs admin");
    refused(call(SUBMIT, "PUT", "/api/v1/builds/any-build/pin", "{\"reason\": \"keep\"}"), 403, "FORBIDDEN",
        "client 'ci' has role submit; pinning needs admin");

    assertEquals(before, holdings(), "builds, stored files and nightly runs, before and after the refusals");
    Map<String, Double> counted = refusals();
    assertEquals(countedBefore.get("http unauthenticated") + 2, counted.get("http unauthenticated"), counted::toString);
    assertEquals(countedBefore.get("http forbidden") + 4, counted.get("http forbidden"), counted::toString);
    String log = farm.logText("coordinator");
    assertTrue(log.contains("http POST /api/v1/builds from 127.0.0.1:"), log);
    assertTrue(log.contains("refused: no Authorization: Bearer token (tokens file " + farm.tokensFile + ")"), log);
    assertTrue(log.contains("refused: a Bearer token that is not in the tokens file"), log);
    assertTrue(log.contains("http POST /api/v1/builds by client 'viewer'"), log);
    assertTrue(log.contains("http PUT /api/v1/artifacts/" + sha + " by client 'viewer'"), log);
    assertTrue(log.contains("http POST /api/v1/nightly by client 'ci'"), log);
    assertTrue(log.contains("http PUT /api/v1/builds/any-build/pin by client 'ci'"), log);
    assertTrue(!log.contains(READ) && !log.contains(SUBMIT), "no token is ever logged");

    Path tether = Files.writeString(dir.resolve("tether"), "#!/bin/sh\necho tether of the access test\n");
    Path unpack = Files.writeString(dir.resolve("unpack"), "#!/bin/sh\necho unpack of the access test\n");
    CliRun viewer = cli(READ, "submit", FixtureDefinitions.TDNF, "--component", "tether=" + tether, "--component",
        "unpack=" + unpack);
    assertNotEquals(0, viewer.exitCode, viewer::toString);
    assertTrue(viewer.stderr.contains("needs submit"), viewer::toString);

    CliRun run = cli(SUBMIT, "submit", FixtureDefinitions.TDNF, "--component", "tether=" + tether, "--component",
        "unpack=" + unpack, "--wait");
    assertEquals(0, run.exitCode, run::toString);
    assertTrue(run.stdout.contains("SUCCEEDED"), run::toString);
    String id = run.stdout.lines().filter(l -> l.startsWith("build ")).findFirst().orElseThrow().split("\\s+")[1];
    JsonNode build = farm.get("/api/v1/builds/" + id);
    assertEquals("ci", build.path("submittedBy").asText(), build::toString);
    Path out = dir.resolve("fetched");
    CliRun fetch = cli(SUBMIT, "fetch", id, "--out", out.toString());
    assertEquals(0, fetch.exitCode, fetch::toString);
    for (JsonNode artifact : build.get("artifacts")) {
      assertEquals(artifact.get("sha256").asText(), Sha256.of(out.resolve(artifact.get("name").asText())));
    }
  }

  static CliRun cli(String token, String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.addAll(List.of("--farm", bridge, "--token", token));
    return CliRun.inProcess(all.toArray(String[]::new));
  }
}
