package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.Socket;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.bootfarm.client.ApiErrorException;
import org.bootfarm.client.FarmClient;
import org.bootfarm.cluster.ClusterSettings;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.SubmitRequest;
import org.bootfarm.testkit.FreePorts;
import org.bootfarm.testkit.HttpAnswer;
import org.bootfarm.testkit.PathSpellings;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The attacks of the security review of issue 17 against a real {@code bootfarm coordinator} in its own JVM, each
 * refused, logged, and changing nothing (ADR 0065): a {@code read} token calling a write through another spelling of
 * its path ({@code /missing/}, {@code //}, {@code /./}, {@code /x/../}, {@code %6D}, a leading {@code //}); a query of
 * missing artifacts declaring 100 MB; a client certificate named {@code local} cancelling the build of the admin token
 * {@code local}. And the farm's records are its user's alone: a coordinator and a worker started on data and cache
 * directories of mode 0755 leave them 0700 and say so, the build store's files are 0600 and artifacts 0400. No worker
 * joins the coordinator (the one started here waits for a coordinator of another cluster), so every build stays
 * QUEUED and every change would show.
 */
@Tag("process")
class CoordinatorAttacksProcessesTest {
  static final String READ = "viewer-token-0123456789abcdef";
  static final String SUBMIT = "ci-token-0123456789abcdef0000";
  static final Pattern REFUSED = Pattern.compile(
      "^bootfarm_api_refused_total\\{[^}]*interface=\"http\"[^}]*reason=\"non_canonical_path\"[^}]*\\} ([0-9.eE+-]+)$",
      Pattern.MULTILINE);
  @TempDir static Path dir;
  static FarmProcesses farm;
  static Path coordinatorData;
  static Map<String, String> components;

  @BeforeAll
  static void startCoordinator() throws Exception {
    farm = FarmProcesses.withFixtureRepos(dir, FixtureDefinitions.TDNF);
    // what an older coordinator left: directories and records every local user could read
    coordinatorData = dir.resolve("c");
    Path own = Files.createDirectories(coordinatorData.resolve("coordinator"));
    for (Path opened : List.of(coordinatorData, own)) {
      Files.setPosixFilePermissions(opened, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    Files.createFile(own.resolve("builds.sqlite"), PosixFilePermissions.asFileAttribute(
        PosixFilePermissions.fromString("rw-r--r--")));
    Files.writeString(farm.tokensFile, "viewer " + READ + " read\nci " + SUBMIT + " submit\n",
        StandardOpenOption.APPEND);
    farm.startCoordinator("coordinator", coordinatorData, farm.repos(), farm.keys());
    components = Map.of("tether", farm.upload("#!/bin/sh\necho tether of the attacks\n"),
        "unpack", farm.upload("#!/bin/sh\necho unpack of the attacks\n"));
  }

  @AfterAll
  static void stop() {
    if (farm != null) {
      farm.close();
    }
  }

  /** A request as written, its path never normalized, with {@code token} and a JSON or octet body. */
  static HttpAnswer raw(String method, String path, String token, String body) throws Exception {
    Map<String, String> headers = new LinkedHashMap<>();
    headers.put("Authorization", "Bearer " + token);
    if (body != null) {
      headers.put("Content-Type", path.contains("/artifacts/") && !path.contains("issing") ? "application/octet-stream"
          : "application/json");
    }
    return HttpAnswer.exchange(farm.httpPort, method, path, headers, body);
  }

  /** What the farm holds: builds and their states, files of the artifact store, nightly runs. */
  static List<Object> holdings() throws Exception {
    List<String> states = new ArrayList<>();
    farm.get("/api/v1/builds?limit=1000").path("builds").forEach(b -> states.add(b.path("id").asText() + " "
        + b.path("state").asText() + (b.path("pinned").asBoolean() ? " pinned" : "")));
    int files;
    try (Stream<Path> walk = Files.walk(coordinatorData.resolve("coordinator").resolve("artifacts"))) {
      files = (int) walk.filter(Files::isRegularFile).count();
    }
    return List.of(states, files, farm.get("/api/v1/nightly?limit=1000").path("runs").size());
  }

  static double nonCanonicalPathsRefused() throws Exception {
    String text = FarmProcesses.HTTP.send(HttpRequest.newBuilder(java.net.URI.create(farm.api + "/metrics")).build(),
        HttpResponse.BodyHandlers.ofString()).body();
    Matcher counted = REFUSED.matcher(text);
    return counted.find() ? Double.parseDouble(counted.group(1)) : 0; // none: no such reason, nothing refused so
  }

  static String mode(Path path) throws Exception {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(path));
  }

  @Test
  void aReadTokenReachesNoWriteThroughAnotherSpellingOfItsPathAndNothingChanges() throws Exception {
    String id = farm.submit(FixtureDefinitions.TDNF, components);
    String submission = FarmProcesses.JSON.writeValueAsString(Map.of("repo", FixtureDefinitions.TDNF, "components",
        components));
    String lacking = "[\"" + "0".repeat(64) + "\"]";
    String upload = "a component a reader may not upload";
    String sha = Sha256.of(upload.getBytes(StandardCharsets.UTF_8));
    HttpAnswer plain = raw("POST", "/api/v1/artifacts/missing", READ, lacking);
    assertEquals(403, plain.status(), plain.body());
    List<Object> before = holdings();
    double counted = nonCanonicalPathsRefused();

    String build = "/api/v1/builds/" + id;
    List<String[]> writes = List.of(new String[] {"POST", "/api/v1/artifacts/missing", lacking},
        new String[] {"POST", "/api/v1/builds", submission}, new String[] {"PUT", "/api/v1/artifacts/" + sha, upload},
        new String[] {"POST", "/api/v1/gc", null}, new String[] {"POST", "/api/v1/nightly", null},
        new String[] {"PUT", build + "/pin", "{\"reason\": \"keep\"}"}, new String[] {"DELETE", build + "/pin", null},
        new String[] {"POST", build + "/cancel", null}, new String[] {"POST", build + "/rebuild", null},
        new String[] {"POST", build + "/verify", null});
    int refused = 0;
    for (String[] write : writes) {
      List<String> spellings = new ArrayList<>(PathSpellings.otherThan(write[1]));
      if (write[1].endsWith("/missing")) {
        spellings.add("/api/v1/builds/../artifacts/missing"); // as the review sent it
      }
      for (String path : spellings) {
        HttpAnswer answer = raw(write[0], path, READ, write[2]);
        assertEquals(400, answer.status(), write[0] + " " + path + ": " + answer.body());
        JsonNode error = FarmProcesses.JSON.readTree(answer.body());
        assertEquals("BAD_REQUEST", error.path("code").asText(), answer.body());
        assertTrue(error.path("message").asText().contains("is not in its canonical form"), answer.body());
        refused++;
      }
    }

    assertEquals(before, holdings(), "builds and their states, stored files and nightly runs, before and after");
    assertEquals(counted + refused, nonCanonicalPathsRefused(), "each refusal counted as non_canonical_path");
    String log = farm.logText("coordinator");
    assertTrue(log.contains("http POST /api/v1/artifacts/missing/ from 127.0.0.1:"), log);
    assertTrue(log.contains("refused: the path is not in its canonical form /api/v1/artifacts/missing"), log);
    assertTrue(log.contains("http POST /api/v1/builds/../artifacts/missing from 127.0.0.1:"), log);
  }

  @Test
  void aMissingQueryDeclaring100MbIsRefusedBeforeItsBodyIsSent() throws Exception {
    try (Socket socket = new Socket("127.0.0.1", farm.httpPort)) {
      socket.setSoTimeout(10_000);
      socket.getOutputStream().write(("POST /api/v1/artifacts/missing HTTP/1.1\r\nHost: 127.0.0.1\r\n"
          + "Authorization: Bearer " + SUBMIT + "\r\nContent-Type: application/json\r\nContent-Length: "
          + (100L << 20) + "\r\n\r\n[").getBytes(StandardCharsets.US_ASCII));
      HttpAnswer answer = HttpAnswer.read(socket);
      assertEquals(413, answer.status(), answer.body());
      assertTrue(answer.body().contains("ask about fewer at a time"), answer.body());
    }
    String log = farm.logText("coordinator");
    assertTrue(log.contains("http POST /api/v1/artifacts/missing from 127.0.0.1:"), log);
    assertTrue(log.contains("refused: a body may have 6800002 bytes, and this one declares 104857600 bytes"), log);
  }

  @Test
  void aClientCertificateNamedLocalCannotCancelTheBuildOfTheTokenLocal() throws Exception {
    String id = farm.submit(FixtureDefinitions.TDNF, components); // the admin token's client: 'local'
    try (FarmClient local = FarmClient.connect(ClusterSettings.of(NodeRole.CLIENT, "127.0.0.1", FreePorts.one(),
        "127.0.0.1:" + farm.clusterPort, dir.resolve("client")).withClusterName(farm.cluster)
        .withCredential(SharedFarmCa.client(dir, "local")), Duration.ofSeconds(120))) {
      ApiErrorException refused = assertThrows(ApiErrorException.class, () -> local.cancel(id).await());
      assertEquals(ApiError.Code.FORBIDDEN, refused.code());
      assertTrue(refused.error().message().contains("was submitted by 'local' with a token, and this call came from"
          + " 'local' with a certificate"), refused.error()::message);
      JsonNode submitted = farm.get("/api/v1/builds/" + id);
      assertEquals("QUEUED", submitted.path("state").asText(), "the build was not cancelled");
      assertEquals("local", submitted.path("submittedBy").asText(), submitted::toString);
      assertEquals("token", submitted.path("submittedWith").asText(), submitted::toString);
      String log = farm.logText("coordinator");
      assertTrue(log.contains("cancel of build " + id + " by cert:local (role submit) refused: it was submitted by"
          + " token:local"), log);

      // the certificate's own build is its own to cancel, and is shown as a certificate's
      String own = local.submit(new SubmitRequest(FixtureDefinitions.TDNF, null, components, null, null)).await();
      assertEquals("cert", farm.get("/api/v1/builds/" + own).path("submittedWith").asText());
      assertEquals("CANCELLED", local.cancel(own).await().state().name());
      HttpResponse<String> tokenCancels = FarmProcesses.HTTP.send(HttpRequest.newBuilder(java.net.URI.create(
          farm.api + "/api/v1/builds/" + id + "/cancel")).header("Authorization", "Bearer " + SUBMIT)
          .POST(HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
      assertEquals(403, tokenCancels.statusCode(), "another token client does not cancel it either: "
          + tokenCancels.body());
    }
  }

  @Test
  void aCoordinatorAndAWorkerKeepTheirDataForTheirOwnUser() throws Exception {
    String sha = farm.upload("an artifact only the coordinator's user reads\n");
    Path own = coordinatorData.resolve("coordinator");
    assertEquals("rwx------", mode(coordinatorData), "--data-dir, 0755 before the coordinator started");
    assertEquals("rwx------", mode(own), "the coordinator's data dir, 0755 before it started");
    for (String records : List.of("builds.sqlite", "builds.sqlite-wal", "builds.sqlite-shm")) {
      assertEquals("rw-------", mode(own.resolve(records)), records + ", the build store: SQLite gives the WAL and"
          + " shared memory the mode of the database file (its .lock file holds nothing)");
    }
    assertEquals("r--------", mode(own.resolve("artifacts/objects").resolve(sha.substring(0, 2)).resolve(sha)));
    String log = farm.logText("coordinator");
    assertTrue(log.contains("the coordinator's data directory " + own + " was rwxr-xr-x, which other local users may"
        + " read: made rwx------"), log);
    assertTrue(log.contains("the data directory (--data-dir) " + coordinatorData + " was rwxr-xr-x"), log);

    // a worker on directories others could read; it waits for a coordinator of its own cluster, which never comes
    Path workerData = Files.createDirectories(dir.resolve("w"));
    Path cache = Files.createDirectories(dir.resolve("w-cache"));
    for (Path opened : List.of(workerData, cache)) {
      Files.setPosixFilePermissions(opened, PosixFilePermissions.fromString("rwxr-xr-x"));
    }
    farm.start("worker", List.of("worker", "--data-dir", workerData.toString(), "--cache-dir", cache.toString(),
        "--keys", farm.keys().toString(), "--cluster-name", "nobody-" + farm.cluster, "--cluster-port",
        String.valueOf(FreePorts.one()), "--join", "127.0.0.1:" + FreePorts.one(), "--metrics-port", "0"));
    farm.awaitLine("worker", "the worker's cache directory " + cache + " was rwxr-xr-x", 90);
    assertEquals("rwx------", mode(cache));
    assertEquals("rwx------", mode(workerData));
    String workerLog = farm.logText("worker");
    assertTrue(workerLog.contains("the data directory (--data-dir) " + workerData + " was rwxr-xr-x"), workerLog);
  }
}
