package org.bootfarm.coordinator.provenance;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.BuildInfo;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.protocol.provenance.ProvenanceVerifier;

/**
 * The in-toto Statement v1 with an SLSA Provenance v1 predicate of one SUCCEEDED build, in its exact signed bytes
 * (ADR 0044; the parameters are defined in docs/provenance-build-type.md). Repo, target, definition and component
 * digests, the build id and start come from the coordinator's own build record; the subjects are the artifacts the
 * report named and {@code ReportCheck} found in the store; SOURCE_DATE_EPOCH and the installed packages come from
 * the build's {@code buildinfo.json} (absent when it published none). The bytes are canonical: UTF-8 JSON with
 * every object's keys sorted and no whitespace, so the same facts always give the same bytes.
 */
public final class ProvenanceStatement {
  /** bootfarm's build type: a name, defined by docs/provenance-build-type.md. */
  public static final String BUILD_TYPE = "urn:bootfarm:build-type:iso:v1";
  private static final ObjectMapper CANONICAL = new ObjectMapper()
      .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS);

  private ProvenanceStatement() {}

  /** Who built it: the farm's builder id ({@link BuilderId}) and bootfarm version. */
  public record Builder(String id, String version) {}

  /**
   * The statement's bytes.
   *
   * @param artifacts the report's artifacts, one subject each
   * @param buildInfo the build's buildinfo, or null when it published none
   * @param log the sha256 of the run's log, or null
   * @param finishedOn when the coordinator accepted the report
   */
  public static byte[] of(BuildRecord build, List<ArtifactRecord> artifacts, BuildInfo buildInfo, String log,
      Builder builder, Instant finishedOn) {
    return of(build, artifacts, buildInfo, log, builder, finishedOn, null);
  }

  /**
   * The statement's bytes, for a build its worker served from its action cache when {@code cachedFrom} (the
   * build that made the outputs) is not null: the resolved dependencies stay the buildinfo's (the same inputs),
   * and a byproduct {@code action-cache/<cachedFrom>} (its digest the buildinfo's sha256) says the run built
   * nothing (ADR 0048; docs/provenance-build-type.md).
   */
  public static byte[] of(BuildRecord build, List<ArtifactRecord> artifacts, BuildInfo buildInfo, String log,
      Builder builder, Instant finishedOn, String cachedFrom) {
    Map<String, Object> statement = new TreeMap<>();
    statement.put("_type", ProvenanceVerifier.STATEMENT_TYPE);
    statement.put("predicateType", ProvenanceVerifier.PREDICATE_TYPE);
    statement.put("subject", artifacts.stream().map(a -> Map.of("name", a.name(), "digest", sha256(a.sha256())))
        .toList());
    Map<String, Object> external = new TreeMap<>();
    external.put("repo", build.repo());
    external.put("target", build.target());
    external.put("definitionDigest", build.definitionDigest());
    external.put("components", new TreeMap<>(build.components()));
    Map<String, Object> internal = new TreeMap<>();
    if (build.unsigned() != null && !build.unsigned().isEmpty()) {
      internal.put("unsigned", build.unsigned());
    }
    if (build.rebuildOf() != null) {
      internal.put("rebuildOf", build.rebuildOf());
    }
    List<Object> dependencies = new ArrayList<>();
    if (build.definitionDigest() != null) {
      dependencies.add(descriptor("definition/" + build.repo(), null, build.definitionDigest(), Map.of()));
    }
    build.components().forEach((name, sha) -> dependencies.add(descriptor("component/" + name, null, sha, Map.of())));
    if (buildInfo != null) {
      external.put("sourceDateEpoch", buildInfo.sourceDateEpoch());
      internal.put("tools", buildInfo.tools());
      if (buildInfo.lock() != null) {
        internal.put("packageEngine", buildInfo.lock().engine());
        String type = purlType(buildInfo.lock().engine());
        for (LockedPackage p : buildInfo.lock().inputs()) {
          Map<String, Object> annotations = new TreeMap<>();
          if (p.origin() != null && p.origin().repository() != null) {
            annotations.put("repository", p.origin().repository());
          }
          if (!buildInfo.lock().packages().contains(p)) {
            annotations.put("removedByStaging", true);
          }
          Map<String, Object> d = descriptor(p.describe(), "pkg:" + type + "/" + p.name() + "@" + p.version()
              + "?arch=" + p.arch(), p.sha256(), annotations);
          if (p.origin() != null && p.origin().url() != null) {
            d.put("downloadLocation", p.origin().url());
          }
          dependencies.add(d);
        }
      }
    }
    Map<String, Object> definition = new TreeMap<>();
    definition.put("buildType", BUILD_TYPE);
    definition.put("externalParameters", external);
    definition.put("internalParameters", internal);
    definition.put("resolvedDependencies", dependencies);
    Map<String, Object> metadata = new TreeMap<>();
    metadata.put("invocationId", build.id());
    if (build.startedAt() != null) {
      metadata.put("startedOn", build.startedAt().toString());
    }
    metadata.put("finishedOn", finishedOn.toString());
    Map<String, Object> run = new TreeMap<>();
    run.put("builder", Map.of("id", builder.id(), "version", Map.of("bootfarm", builder.version())));
    run.put("metadata", metadata);
    List<Object> byproducts = new ArrayList<>();
    if (log != null) {
      byproducts.add(descriptor("build.log", null, log, Map.of()));
    }
    if (cachedFrom != null) {
      String buildinfo = artifacts.stream().filter(a -> BuildInfo.FILE_NAME.equals(a.name())).map(ArtifactRecord::sha256)
          .findFirst().orElse(null);
      byproducts.add(descriptor("action-cache/" + cachedFrom, null, buildinfo,
          Map.of("servedFromActionCache", true, "cachedFrom", cachedFrom)));
    }
    run.put("byproducts", byproducts);
    Map<String, Object> predicate = new TreeMap<>();
    predicate.put("buildDefinition", definition);
    predicate.put("runDetails", run);
    statement.put("predicate", predicate);
    try {
      return CANONICAL.writeValueAsBytes(statement);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a provenance statement of plain maps failed to serialise", e);
    }
  }

  private static Map<String, Object> descriptor(String name, String uri, String sha256,
      Map<String, Object> annotations) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("name", name);
    if (uri != null) {
      d.put("uri", uri);
    }
    d.put("digest", sha256(sha256));
    if (!annotations.isEmpty()) {
      d.put("annotations", annotations);
    }
    return d;
  }

  private static Map<String, String> sha256(String hex) {
    return Map.of("sha256", hex);
  }

  /** The package URL type of what {@code engine} installs: {@code deb} for apt and mmdebstrap, else {@code rpm}. */
  private static String purlType(String engine) {
    return engine != null && (engine.contains("apt") || engine.contains("mmdebstrap")) ? "deb" : "rpm";
  }
}
