package org.bootfarm.coordinator.nightly;

import java.io.IOException;
import org.bootfarm.protocol.api.v1.ReproducibilityPair;

/**
 * What a judged pair carries before {@link NightlyRuns} records it: a signed reproducibility attestation when it is
 * REPRODUCIBLE ({@code provenance.ReproducibilityAttestation}, ADR 0044), or nothing ({@link #NONE}: a coordinator
 * without a signing key, as in tests of the decisions).
 */
public interface PairAttestation {
  PairAttestation NONE = pair -> pair;

  /**
   * The judged {@code pair} as it is to be recorded: with its attestation when it earned one, else as it is.
   *
   * @throws IOException when the attestation could not be signed or stored
   */
  ReproducibilityPair attest(ReproducibilityPair pair) throws IOException;
}
