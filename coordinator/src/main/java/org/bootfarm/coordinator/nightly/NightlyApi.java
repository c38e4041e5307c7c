package org.bootfarm.coordinator.nightly;

import java.util.List;
import org.bootfarm.coordinator.ApiException;
import org.bootfarm.protocol.api.v1.Caller;
import org.bootfarm.protocol.api.v1.NightlyReport;
import org.bootfarm.protocol.api.v1.ReproducibilityPair;

/**
 * The nightly and verify calls of the public API (version 1), as the HTTP server and the event bus
 * translate them: answered by {@link NightlyRuns} on the active coordinator, forwarded to it by a
 * standby ({@code bus.ForwardingNightlyApi}). A refusal is an {@link ApiException}.
 */
public interface NightlyApi {
  /** The newest run with its pairs; NOT_FOUND before the first. */
  NightlyReport latest() throws ApiException;

  /** One run with its pairs; NOT_FOUND for an unknown id. */
  NightlyReport get(String id) throws ApiException;

  /** The newest {@code limit} runs, without their pairs. */
  List<NightlyReport> list(int limit) throws ApiException;

  /** Starts a run now; answers it as recorded, its pairs submitted (or already judged FAILED). */
  NightlyReport runNow(Caller caller) throws ApiException;

  /** Rebuilds a SUCCEEDED build on another worker; answers the pair, not judged yet. */
  ReproducibilityPair verify(Caller caller, String buildId) throws ApiException;

  /** One pair, with its verdict once judged; NOT_FOUND for an unknown id. */
  ReproducibilityPair pair(String id) throws ApiException;
}
