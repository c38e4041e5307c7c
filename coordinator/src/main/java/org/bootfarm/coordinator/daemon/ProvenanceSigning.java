package org.bootfarm.coordinator.daemon;

import java.io.IOException;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.nightly.NightlyRuns;
import org.bootfarm.coordinator.provenance.BuilderId;
import org.bootfarm.coordinator.provenance.ProvenanceStatement;
import org.bootfarm.coordinator.provenance.ProvenanceWriter;
import org.bootfarm.coordinator.provenance.ReproducibilityAttestation;
import org.bootfarm.coordinator.provenance.SigningKeys;
import org.bootfarm.coordinator.provenance.SigningSettings;
import org.bootfarm.coordinator.queue.BuildStore;
import org.bootfarm.coordinator.replication.ArtifactReplication;
import org.bootfarm.protocol.api.v1.SigningKeyInfo;

/**
 * The coordinator's provenance signing, wired (ADR 0044): opens the farm's key ({@code --signing-key}, else the
 * data dir's, made on the first start), serves its public keys, has {@link BuildCoordinator} sign every
 * success it records with a {@link ProvenanceWriter}, and {@link NightlyRuns} every REPRODUCIBLE pair with a {@link
 * ReproducibilityAttestation}.
 */
final class ProvenanceSigning {
  private static final System.Logger LOG = System.getLogger(ProvenanceSigning.class.getName());

  private final SigningKeys keys;
  private final String builderId;

  private ProvenanceSigning(SigningKeys keys, String builderId) {
    this.keys = keys;
    this.builderId = builderId;
  }

  static ProvenanceSigning open(CoordinatorSettings settings) throws IOException {
    SigningSettings given = Objects.requireNonNullElse(settings.signing(), SigningSettings.DEFAULTS);
    SigningKeys keys = SigningKeys.open(settings.dataDir(), given.keyFile());
    String builderId = BuilderId.of(given.builderId(), keys);
    LOG.log(System.Logger.Level.INFO, "bootfarm coordinator: signs provenance as builder " + builderId + " with key "
        + keys.current().keyid() + " (" + keys.keyFile() + "); " + (keys.keys().size() - 1)
        + " retired key(s) served at GET /api/v1/keys");
    return new ProvenanceSigning(keys, builderId);
  }

  /** The public keys, current and retired, for {@code GET /api/v1/keys}. */
  List<SigningKeyInfo> keys() {
    return keys.keys();
  }

  /**
   * From now on {@code coordinator} signs each success and {@code nightly} each REPRODUCIBLE pair, naming the farm by
   * its builder id and bootfarm {@code version}; each envelope stored is announced to the standby coordinators through {@code replication} (null
   * until it starts), as a submission's pinned definition is ({@link BuildStateFanout}).
   */
  void start(BuildCoordinator coordinator, NightlyRuns nightly, BuildStore builds, ArtifactStore artifacts,
      String version, Supplier<ArtifactReplication> replication) {
    Consumer<ArtifactStore.PutResult> announce = stored -> {
      ArtifactReplication replicating = replication.get();
      if (replicating != null) {
        replicating.announce(stored);
      }
    };
    ProvenanceStatement.Builder farm = new ProvenanceStatement.Builder(builderId, version);
    coordinator.signProvenanceWith(new ProvenanceWriter(keys, builds, artifacts, farm, announce));
    nightly.attestWith(new ReproducibilityAttestation(keys, artifacts, farm, announce));
  }
}
