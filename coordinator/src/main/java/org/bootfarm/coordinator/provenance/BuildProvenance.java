package org.bootfarm.coordinator.provenance;

import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.bootfarm.coordinator.queue.BuildRecord;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.build.ArtifactRecord;

/**
 * What a success report's artifacts become before they are recorded: with a signed provenance ({@link
 * ProvenanceWriter}), or as reported ({@link #NONE}, a coordinator without a signing key: tests of the decisions).
 */
public interface BuildProvenance {
  BuildProvenance NONE = (build, report, now) -> report.artifacts();

  /**
   * The artifacts to record for the checked success {@code report} of {@code build} (its record as the store holds
   * it now), accepted at {@code now}.
   */
  List<ArtifactRecord> artifacts(Optional<BuildRecord> build, BuildReport report, Instant now);
}
