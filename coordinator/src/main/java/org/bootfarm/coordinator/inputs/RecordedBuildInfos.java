package org.bootfarm.coordinator.inputs;

import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.BuildInfo;

/**
 * The buildinfo records of finished builds, read from the artifact store by sha256: what a rebuild installs,
 * what retention keeps as a kept build's inputs, what a drift report compares. A buildinfo is content-addressed,
 * so each one read is kept in memory by its sha256 (a few kB each).
 */
public final class RecordedBuildInfos {
  private final ArtifactStore artifacts;
  private final Map<String, BuildInfo> read = new ConcurrentHashMap<>();

  public RecordedBuildInfos(ArtifactStore artifacts) {
    this.artifacts = artifacts;
  }

  /** The sha256 of the {@code buildinfo.json} artifact {@code build} published; empty when it published none. */
  public static Optional<String> buildinfoOf(BuildRecord build) {
    return build.artifacts().stream().filter(a -> BuildInfo.FILE_NAME.equals(a.name())).map(ArtifactRecord::sha256)
        .findFirst();
  }

  /** Whether the store holds the object {@code sha256} (a buildinfo to {@link #read}). */
  public boolean holds(String sha256) {
    return read.containsKey(sha256) || artifacts.exists(sha256);
  }

  /**
   * The buildinfo stored under {@code sha256}.
   *
   * @throws IOException naming the sha256 when the store does not hold it or it is not a buildinfo
   */
  public BuildInfo read(String sha256) throws IOException {
    BuildInfo known = read.get(sha256);
    if (known != null) {
      return known;
    }
    if (!artifacts.exists(sha256)) {
      throw new IOException("buildinfo " + sha256 + " is not in the artifact store (collected by retention?)");
    }
    String text;
    try (InputStream in = artifacts.open(sha256)) {
      text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
    BuildInfo info;
    try {
      info = WireJson.read(text, BuildInfo.class);
    } catch (WireJson.WireFormatException e) {
      throw new IOException("artifact " + sha256 + " is not a buildinfo this coordinator reads: " + e.getMessage(), e);
    }
    read.put(sha256, info);
    return info;
  }
}
