package org.bootfarm.coordinator;

import java.time.Instant;
import java.util.List;
import org.bootfarm.protocol.api.v1.BuildReport;
import org.bootfarm.protocol.build.ArtifactRecord;

/**
 * What a success report's artifacts become before they are recorded: with a signed provenance ({@code
 * provenance.ProvenanceWriter}, ADR 0044), or as reported ({@link #NONE}: a coordinator without a signing key, as
 * in tests of the decisions).
 */
public interface BuildProvenance {
  BuildProvenance NONE = (report, now) -> report.artifacts();

  /** The artifacts to record for the success {@code report}, which {@code ReportCheck} accepted at {@code now}. */
  List<ArtifactRecord> artifacts(BuildReport report, Instant now);
}
