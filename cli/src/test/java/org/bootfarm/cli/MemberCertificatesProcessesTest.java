package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bootfarm.testkit.Eventually;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The operator's path of ADR 0031 on a real coordinator and workers in their own JVMs: {@code bootfarm
 * ca init} and {@code ca issue} make the certificates, the nodes start with {@code --member-dir}, the
 * worker's id is its certificate's name, and a worker whose certificate another CA issued is ignored by
 * the coordinator and counted in {@code bootfarm_cluster_refused_total{reason="unverified_member"}}.
 */
@Tag("process")
class MemberCertificatesProcessesTest {
  @TempDir Path dir;

  @Test
  void workerWithAnIssuedCertificateJoinsAndOneFromAnotherCaIsIgnoredAndCounted() throws Exception {
    Path ca = dir.resolve("ca");
    Path other = dir.resolve("other-ca");
    run("ca", "init", ca.toString());
    run("ca", "issue", "--ca", ca.toString(), "--role", "coordinator", "--out", dir.resolve("m/c").toString(), "c-1");
    run("ca", "issue", "--ca", ca.toString(), "--role", "worker", "--out", dir.resolve("m/w").toString(), "w-issued");
    run("ca", "init", other.toString());
    run("ca", "issue", "--ca", other.toString(), "--role", "worker", "--out", dir.resolve("m/s").toString(),
        "w-stranger");
    Path repos = Files.createDirectories(dir.resolve("repos"));
    Path keys = Files.createDirectories(dir.resolve("keys"));

    try (FarmProcesses farm = new FarmProcesses(dir)) {
      farm.start("coordinator", List.of("coordinator", "--bridge-port", "0", "--data-dir", dir.resolve("c").toString(),
          "--repos", repos.toString(), "--keys", keys.toString(), "--http-port", String.valueOf(farm.httpPort),
          "--cluster-name", farm.cluster, "--cluster-port", String.valueOf(farm.clusterPort), "--member-dir",
          dir.resolve("m/c").toString()));
      farm.awaitLine("coordinator", " ready: ", 90);
      assertTrue(farm.logText("coordinator").contains("mutual TLS as coordinator 'c-1'"), farm.logText("coordinator"));

      farm.startWorker("worker", List.of("--member-dir", dir.resolve("m/w").toString()));
      farm.awaitLine("worker", "bootfarm worker w-issued ready", 90);
      farm.startWorker("stranger", List.of("--member-dir", dir.resolve("m/s").toString()));

      Eventually.holds(Duration.ofSeconds(60), Eventually.EVERY, () -> unverifiedMembers(farm) >= 1);
      assertTrue(unverifiedMembers(farm) >= 1, "the coordinator counts the stranger:\n" + farm.logText("coordinator"));
      assertTrue(farm.logText("coordinator").contains("refused (unverified_member)"), farm.logText("coordinator"));
      assertEquals(1, farm.get("/api/v1/workers").get("workers").size(), "only the farm's own worker serves");
      assertEquals("w-issued", farm.get("/api/v1/workers").get("workers").get(0).get("id").asText());
    }
  }

  private static void run(String... args) {
    CliRun run = CliRun.inProcess(args);
    assertEquals(0, run.exitCode, run::toString);
  }

  private static double unverifiedMembers(FarmProcesses farm) throws Exception {
    String metrics = FarmProcesses.HTTP.send(HttpRequest.newBuilder(URI.create(farm.api + "/metrics")).GET().build(),
        HttpResponse.BodyHandlers.ofString()).body();
    Matcher m = Pattern.compile("bootfarm_cluster_refused_total\\{reason=\"unverified_member\"} (\\S+)")
        .matcher(metrics);
    return m.find() ? Double.parseDouble(m.group(1)) : 0;
  }
}
