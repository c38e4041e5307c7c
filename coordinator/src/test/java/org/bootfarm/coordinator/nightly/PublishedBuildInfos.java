package org.bootfarm.coordinator.nightly;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.build.ArtifactRecord;
import org.bootfarm.protocol.build.BuildInfo;
import org.bootfarm.protocol.build.Lock;
import org.bootfarm.protocol.build.LockedPackage;

/** Test support: a buildinfo.json with a given lock, put into the artifact store as a build would publish it. */
final class PublishedBuildInfos {
  private PublishedBuildInfos() {}

  /** Publishes the buildinfo of {@code repo} bootstrap locking {@code packages} ("name version" each, x86_64). */
  static ArtifactRecord publish(ArtifactStore artifacts, String repo, String... packages) throws IOException {
    List<LockedPackage> lock = new ArrayList<>();
    for (String p : packages) {
      String[] nameVersion = p.split(" ");
      lock.add(new LockedPackage(nameVersion[0], nameVersion[1], "x86_64",
          Sha256.of((p + " file").getBytes(StandardCharsets.UTF_8)), 0));
    }
    BuildInfo info = new BuildInfo(BuildInfo.FORMAT, "test", repo, "bootstrap", "d".repeat(64), 1_700_000_000L,
        new TreeMap<>(), new TreeMap<>(), new Lock("dnf", lock), Map.of(), new TreeMap<>());
    byte[] json = WireJson.write(info).getBytes(StandardCharsets.UTF_8);
    String sha256 = Sha256.of(json);
    artifacts.put(sha256, new ByteArrayInputStream(json));
    return new ArtifactRecord(BuildInfo.FILE_NAME, sha256, json.length);
  }
}
