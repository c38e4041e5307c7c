package org.bootfarm.worker.agent;

import io.vertx.core.Vertx;
import io.vertx.core.WorkerExecutor;
import io.vertx.core.eventbus.MessageConsumer;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.bootfarm.worker.FileTrees;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.Assignment;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.BuildResult;
import org.bootfarm.protocol.repo.DefinitionFiles;
import org.bootfarm.protocol.repo.RepoDefinitionLoader;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildLog;
import org.bootfarm.worker.build.BuildEngine;
import org.bootfarm.worker.build.BuildRequest;
import org.bootfarm.worker.pkg.PackageDrivers;

/**
 * The worker process's farm side: advertises the worker with a heartbeat, takes assignments from
 * its inbox, and for each fetches and checks the definition and components, runs the build engine
 * on one of its slots, streams the build's events, uploads the outputs and the build's whole log to
 * the artifact store and reports how the build ended. It talks to the coordinator only through the
 * event bus and the artifact store.
 */
public final class WorkerAgent implements AutoCloseable {
  /** How the worker runs. */
  public record Settings(Path cacheDir, Path keysDir, int slots, long heartbeatMillis) {}

  private final Vertx vertx;
  private final String workerId;
  private final Settings settings;
  private final PackageDrivers drivers = PackageDrivers.standard();
  private final WorkerExecutor slots;
  private final Set<String> running = ConcurrentHashMap.newKeySet();
  private final AtomicInteger busy = new AtomicInteger();
  private final HttpClient http = HttpClient.newHttpClient();
  private final MessageConsumer<Object> inbox;
  private final long heartbeatTimer;

  private WorkerAgent(Vertx vertx, String workerId, Settings settings) {
    this.vertx = vertx;
    this.workerId = workerId;
    this.settings = settings;
    this.slots = vertx.createSharedWorkerExecutor("bootfarm-build-slots-" + workerId, settings.slots(),
        java.util.concurrent.TimeUnit.HOURS.toNanos(6));
    this.inbox = vertx.eventBus().consumer(Addresses.workerInbox(workerId), message -> accept(message.body()));
    this.heartbeatTimer = vertx.setPeriodic(0, settings.heartbeatMillis(), id -> heartbeat());
  }

  /** Starts taking work on the given (clustered) Vert.x instance under the given worker id. */
  public static WorkerAgent start(Vertx vertx, String workerId, Settings settings) {
    WorkerAgent agent = new WorkerAgent(vertx, workerId, settings);
    agent.inbox.completion().await();
    return agent;
  }

  private void heartbeat() {
    vertx.executeBlocking(() -> WorkerDescription.describe(workerId, drivers, settings.cacheDir(), settings.slots(),
        busy.get(), settings.heartbeatMillis(), List.copyOf(running)), false)
        .onSuccess(info -> vertx.eventBus().publish(Addresses.WORKER_HEARTBEAT, new JsonObject(WireJson.write(info))));
  }

  private void accept(Object body) {
    Assignment assignment;
    try {
      assignment = WireJson.read(String.valueOf(body), Assignment.class);
    } catch (WireJson.WireFormatException e) {
      return;
    }
    if (!running.add(assignment.buildId())) {
      return;
    }
    slots.executeBlocking(() -> run(assignment), false).onComplete(done -> {
      running.remove(assignment.buildId());
      BuildReport report = done.succeeded() ? done.result() : new BuildReport(assignment.buildId(), workerId,
          BuildState.FAILED, List.of(), List.of(), "worker error: " + done.cause(), "INTERNAL", false, null);
      vertx.eventBus().send(Addresses.REPORT, new JsonObject(WireJson.write(report)));
    });
  }

  /**
   * One build on one slot: inputs fetched and checked, the engine run, outputs uploaded, and the
   * build's whole log uploaded last (whatever the outcome), so the report can name it.
   */
  private BuildReport run(Assignment assignment) throws IOException, InterruptedException {
    busy.incrementAndGet();
    String id = assignment.buildId();
    Path work = settings.cacheDir().resolve("assignments").resolve(id);
    try (BuildLogFile log = new BuildLogFile(id, work.resolve("build.log"), event -> vertx.eventBus()
        .publish(Addresses.buildEvents(id), new JsonObject(WireJson.write(event))))) {
      BuildReport report;
      try {
        report = build(assignment, work, log);
      } catch (IOException | RuntimeException e) {
        log.line("build", "worker " + workerId + " failed: " + e);
        report = failed(id, "worker error: " + e, "INTERNAL", false);
      }
      return withLog(report, uploadLog(assignment, log));
    } finally {
      busy.decrementAndGet();
      FileTrees.deleteQuietly(work);
    }
  }

  /** Fetches and checks the inputs, runs the engine with {@code log}, uploads the outputs. */
  private BuildReport build(Assignment assignment, Path work, BuildLog log) throws IOException, InterruptedException {
    String id = assignment.buildId();
    Path definition = work.resolve("definition").resolve(assignment.repo());
    DefinitionFiles.write(assignment.definitionFiles(), definition);
    String digest = RepoDefinitionLoader.digest(definition);
    if (!digest.equals(assignment.definitionDigest())) {
      String error = "the definition of " + assignment.repo() + " arrived with digest " + digest
          + ", not the announced " + assignment.definitionDigest();
      log.line("build", error);
      return failed(id, error, "INPUT", false);
    }
    Map<String, Path> components = new HashMap<>();
    for (Map.Entry<String, String> component : assignment.components().entrySet()) {
      Path file = work.resolve("components").resolve(component.getKey());
      download(assignment.artifactsUrl(), component.getValue(), file);
      components.put(component.getKey(), file);
    }
    Path out = work.resolve("out");
    BuildResult result = new BuildEngine(drivers).run(new BuildRequest(definition, assignment.target(), components,
        out, settings.cacheDir(), settings.keysDir(), false, Optional.empty(), OptionalLong.empty(), false), log);
    if (!result.succeeded()) {
      BuildFailure.Kind kind = BuildFailure.Kind.valueOf(result.errorKind());
      log.line("build", "failed (" + kind + "): " + result.error());
      return new BuildReport(id, workerId, BuildState.FAILED, List.of(), result.stages(), result.error(),
          kind.name(), kind.deterministic(), null);
    }
    List<ArtifactRecord> uploaded = new ArrayList<>();
    for (ArtifactRecord artifact : result.artifacts()) {
      upload(assignment.artifactsUrl(), artifact.sha256(), out.resolve(artifact.name()));
      uploaded.add(artifact);
    }
    return new BuildReport(id, workerId, BuildState.SUCCEEDED, uploaded, result.stages(), null, null, false, null);
  }

  /**
   * Uploads the build's log to the artifact store and returns its sha256, or null when that failed:
   * the build's outcome stands without its log, and the reason goes to the worker's stderr.
   */
  private String uploadLog(Assignment assignment, BuildLogFile log) throws InterruptedException {
    try {
      Path file = log.finish();
      String sha256 = Sha256.of(file);
      upload(assignment.artifactsUrl(), sha256, file);
      return sha256;
    } catch (IOException | RuntimeException e) {
      System.err.println("bootfarm worker " + workerId + ": the log of build " + assignment.buildId()
          + " was not uploaded, its report goes without it: " + e.getMessage());
      return null;
    }
  }

  private static BuildReport withLog(BuildReport r, String log) {
    return new BuildReport(r.buildId(), r.workerId(), r.state(), r.artifacts(), r.stages(), r.error(), r.errorKind(),
        r.deterministic(), log);
  }

  private BuildReport failed(String id, String error, String kind, boolean deterministic) {
    return new BuildReport(id, workerId, BuildState.FAILED, List.of(), List.of(), error, kind, deterministic, null);
  }

  /** Downloads an object from the artifact store and checks its sha256 before anything uses it. */
  private void download(String baseUrl, String sha256, Path file) throws IOException, InterruptedException {
    Files.createDirectories(file.getParent());
    HttpResponse<InputStream> response = http.send(
        HttpRequest.newBuilder(URI.create(baseUrl + "/api/v1/artifacts/" + sha256)).GET().build(),
        HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream in = response.body()) {
      if (response.statusCode() != 200) {
        throw new IOException("artifact " + sha256 + " answered HTTP " + response.statusCode() + " at " + baseUrl);
      }
      Files.copy(in, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    }
    String actual = Sha256.of(file);
    if (!actual.equals(sha256)) {
      throw new IOException("artifact " + sha256 + " arrived as " + actual + ": refusing to build with it");
    }
  }

  private void upload(String baseUrl, String sha256, Path file) throws IOException, InterruptedException {
    HttpResponse<String> response = http.send(
        HttpRequest.newBuilder(URI.create(baseUrl + "/api/v1/artifacts/" + sha256))
            .PUT(HttpRequest.BodyPublishers.ofFile(file)).build(), HttpResponse.BodyHandlers.ofString());
    if (response.statusCode() != 200 && response.statusCode() != 201) {
      throw new IOException("upload of " + file.getFileName() + " (" + sha256 + ") answered HTTP "
          + response.statusCode() + ": " + response.body());
    }
  }

  @Override
  public void close() {
    vertx.cancelTimer(heartbeatTimer);
    inbox.unregister().await();
    slots.close();
  }
}
