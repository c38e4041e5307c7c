package org.bootfarm.coordinator.provenance;

import java.nio.file.Path;

/**
 * How a coordinator signs provenance, as the operator gave it (ADR 0044).
 *
 * @param keyFile the farm's key ({@code --signing-key}); null: {@code <data-dir>/signing/signing.key}, made when
 *     missing ({@link SigningKeys})
 * @param builderId the {@code builder.id} statements name ({@code --builder-id}); null: the farm's own ({@link
 *     BuilderId})
 */
public record SigningSettings(Path keyFile, String builderId) {
  /** The data dir's key and the farm's own builder id. */
  public static final SigningSettings DEFAULTS = new SigningSettings(null, null);
}
