package org.bootfarm.coordinator.nightly;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.protocol.Sha256;

/**
 * The components the operator gave for nightly builds ({@code --nightly-component NAME=FILE}), put into
 * the artifact store and pinned at start, so nightly builds use them instead of the components of the
 * latest successful build.
 */
public final class NightlyComponents {
  private NightlyComponents() {
  }

  /** Stores and pins each file; returns component name to sha256. */
  public static Map<String, String> store(Map<String, Path> files, ArtifactStore artifacts) throws IOException {
    Map<String, String> stored = new TreeMap<>();
    for (Map.Entry<String, Path> component : files.entrySet()) {
      Path file = component.getValue();
      if (!Files.isRegularFile(file)) {
        throw new IOException("nightly component " + component.getKey() + ": " + file
            + " is not a readable file; fix --nightly-component");
      }
      String sha256 = Sha256.of(file);
      try (InputStream in = Files.newInputStream(file)) {
        artifacts.putOwn(sha256, in);
      }
      artifacts.pin(sha256, "nightly component " + component.getKey());
      stored.put(component.getKey(), sha256);
    }
    return stored;
  }
}
