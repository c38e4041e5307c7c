package org.bootfarm.coordinator.replication;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bootfarm.coordinator.queue.BuildPriority;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.coordinator.queue.ErrorKind;
import org.bootfarm.protocol.api.v1.BuildState;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.PackageCacheUse;

/**
 * A {@link BuildRecord} as JSON text, every field of it (leases and backoff included, unlike the
 * wire's BuildView): the value of the replicated builds map. Instants are epoch milliseconds.
 */
public final class BuildRecordJson {
  private BuildRecordJson() {}

  public static String write(BuildRecord r) {
    JsonObject components = new JsonObject();
    r.components().forEach(components::put);
    JsonArray artifacts = new JsonArray();
    for (ArtifactRecord a : r.artifacts()) {
      artifacts.add(new JsonObject().put("name", a.name()).put("sha256", a.sha256()).put("size", a.size()));
    }
    return new JsonObject()
        .put("id", r.id()).put("repo", r.repo()).put("target", r.target()).put("components", components)
        .put("priority", r.priority().name()).put("options", r.options()).put("state", r.state().name())
        .put("worker", r.worker()).put("attempts", r.attempts()).put("placement", r.placement())
        .put("artifacts", artifacts).put("log", r.log()).put("error", r.error())
        .put("errorKind", r.errorKind() == null ? null : r.errorKind().name())
        .put("submittedAt", millis(r.submittedAt())).put("startedAt", millis(r.startedAt()))
        .put("finishedAt", millis(r.finishedAt())).put("notBefore", millis(r.notBefore()))
        .put("leaseOwner", r.leaseOwner()).put("leaseExpiry", millis(r.leaseExpiry())).put("pinned", r.pinned())
        .put("packageCache", r.packageCache() == null ? null : new JsonObject(WireJson.write(r.packageCache())))
        .put("unsigned", new JsonArray(new ArrayList<Object>(r.unsigned())))
        .put("submittedBy", r.submittedBy())
        .put("definitionDigest", r.definitionDigest()).put("rebuildOf", r.rebuildOf())
        .put("pinnedBuildinfo", r.pinnedBuildinfo())
        .encode();
  }

  /**
   * @throws IllegalArgumentException naming what is wrong when the text is not a record this
   *     class wrote (e.g. a newer bootfarm's)
   */
  public static BuildRecord read(String json) {
    try {
      JsonObject o = new JsonObject(json);
      Map<String, String> components = new TreeMap<>();
      o.getJsonObject("components", new JsonObject()).forEach(e -> components.put(e.getKey(), (String) e.getValue()));
      List<ArtifactRecord> artifacts = new ArrayList<>();
      for (Object item : o.getJsonArray("artifacts", new JsonArray())) {
        JsonObject a = (JsonObject) item;
        artifacts.add(new ArtifactRecord(a.getString("name"), a.getString("sha256"), a.getLong("size")));
      }
      String errorKind = o.getString("errorKind");
      return new BuildRecord(o.getString("id"), o.getString("repo"), o.getString("target"),
          new TreeMap<>(components), BuildPriority.valueOf(o.getString("priority")), o.getString("options"),
          BuildState.valueOf(o.getString("state")), o.getString("worker"), o.getInteger("attempts"),
          o.getString("placement"), artifacts, o.getString("log"), o.getString("error"),
          errorKind == null ? null : ErrorKind.valueOf(errorKind), instant(o, "submittedAt"),
          instant(o, "startedAt"), instant(o, "finishedAt"), instant(o, "notBefore"), o.getString("leaseOwner"),
          instant(o, "leaseExpiry"), o.getBoolean("pinned", false), packageCache(o.getJsonObject("packageCache")),
          o.getJsonArray("unsigned", new JsonArray()).stream().map(String.class::cast).toList(),
          o.getString("submittedBy"), o.getString("definitionDigest"), o.getString("rebuildOf"),
          o.getString("pinnedBuildinfo"));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a replicated build record (" + e + "): "
          + (json.length() > 200 ? json.substring(0, 200) + "..." : json), e);
    }
  }

  private static PackageCacheUse packageCache(JsonObject json) {
    return json == null ? null : new PackageCacheUse(json.getInteger("downloaded", 0),
        json.getLong("bytesDownloaded", 0L), json.getInteger("fromCache", 0));
  }

  private static Long millis(Instant instant) {
    return instant == null ? null : instant.toEpochMilli();
  }

  private static Instant instant(JsonObject o, String field) {
    Long millis = o.getLong(field);
    return millis == null ? null : Instant.ofEpochMilli(millis);
  }
}
