package org.bootfarm.coordinator.daemon;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.cas.UploadLimits;
import org.bootfarm.coordinator.nightly.NightlySchedule;
import org.bootfarm.coordinator.provenance.SigningSettings;
import org.bootfarm.coordinator.queue.LeasePolicy;
import org.bootfarm.coordinator.queue.RetryPolicy;
import org.bootfarm.coordinator.queue.StoreDatabase;
import org.bootfarm.coordinator.retention.RetentionPolicy;

/**
 * Where and how a coordinator process runs ({@link CoordinatorDaemon#start}): its directories and HTTP address, its
 * timers and policies, and the operator's choices from the command line or config file. The shorter constructors
 * fill in the defaults.
 *
 * @param nightly when nightly reproducibility runs start ({@link NightlySchedule#DEFAULT}: 02:00 UTC)
 * @param nightlyComponents component name to file: stored (and pinned) at start, and used by nightly
 *     builds instead of the components of the latest successful build
 * @param applianceRepo the only repo the appliance target is built from ({@code --appliance-repo})
 * @param allowUnsigned the repos the operator allows to install packages without a signature check
 *     ({@code --allow-unsigned}); every other definition that would is refused
 * @param tokensFile the clients of the HTTP API and the bridge ({@code --tokens}); null: {@code
 *     <dataDir>/access-tokens}, made on first start ({@code access.DefaultTokensFile})
 * @param protectMetrics whether {@code GET /metrics} needs a {@code read} token ({@code --protect-metrics})
 * @param uploads how uploads are bounded and how much of its disk the artifact store may fill (ADR 0041)
 * @param store the farm's shared PostgreSQL store ({@code --store}); null: SQLite in the data dir
 * @param signing the farm's provenance key and builder id ({@code --signing-key}, {@code --builder-id}; ADR 0044)
 * @param stealAfter how long a build waits for its busy warm worker ({@code --steal-after}, ADR 0046); null: 30 s
 */
public record CoordinatorSettings(Path dataDir, Path reposDir, Path keysDir, String httpHost, int httpPort,
    Duration assignEvery, LeasePolicy lease, RetryPolicy retry, RetentionPolicy.Settings retention,
    NightlySchedule nightly, Map<String, Path> nightlyComponents, String applianceRepo, Set<String> allowUnsigned,
    Path tokensFile, boolean protectMetrics, UploadLimits uploads, StoreDatabase store, SigningSettings signing,
    Duration stealAfter) {
  public CoordinatorSettings {
    nightlyComponents = Map.copyOf(nightlyComponents);
    allowUnsigned = allowUnsigned == null ? Set.of() : Set.copyOf(allowUnsigned);
    uploads = uploads == null ? UploadLimits.DEFAULTS : uploads;
    if (applianceRepo == null || applianceRepo.isBlank()) {
      throw new IllegalArgumentException("--appliance-repo needs the name of a repo definition");
    }
  }

  /** With the default {@link UploadLimits}. */
  public CoordinatorSettings(Path dataDir, Path reposDir, Path keysDir, String httpHost, int httpPort,
      Duration assignEvery, LeasePolicy lease, RetryPolicy retry, RetentionPolicy.Settings retention,
      NightlySchedule nightly, Map<String, Path> nightlyComponents, String applianceRepo, Set<String> allowUnsigned,
      Path tokensFile, boolean metrics) {
    this(dataDir, reposDir, keysDir, httpHost, httpPort, assignEvery, lease, retry, retention, nightly,
        nightlyComponents, applianceRepo, allowUnsigned, tokensFile, metrics, UploadLimits.DEFAULTS, null, null, null);
  }

  /** The default tokens file, metrics open. */
  public CoordinatorSettings(Path dataDir, Path reposDir, Path keysDir, String httpHost, int httpPort,
      Duration assignEvery, LeasePolicy lease, RetryPolicy retry, RetentionPolicy.Settings retention,
      NightlySchedule nightly, Map<String, Path> nightlyComponents, String applianceRepo, Set<String> allowUnsigned) {
    this(dataDir, reposDir, keysDir, httpHost, httpPort, assignEvery, lease, retry, retention, nightly,
        nightlyComponents, applianceRepo, allowUnsigned, null, false);
  }

  /** Every repo signed throughout; the appliance is built from {@link BuildCoordinator#DEFAULT_APPLIANCE_REPO}. */
  public CoordinatorSettings(Path dataDir, Path reposDir, Path keysDir, String httpHost, int httpPort,
      Duration assignEvery, LeasePolicy lease, RetryPolicy retry, RetentionPolicy.Settings retention,
      NightlySchedule nightly, Map<String, Path> nightlyComponents) {
    this(dataDir, reposDir, keysDir, httpHost, httpPort, assignEvery, lease, retry, retention, nightly,
        nightlyComponents, BuildCoordinator.DEFAULT_APPLIANCE_REPO, Set.of());
  }

  /** With the default nightly schedule, 02:00 UTC; nightly builds take the latest successful build's components. */
  public CoordinatorSettings(Path dataDir, Path reposDir, Path keysDir, String httpHost, int httpPort,
      Duration assignEvery, LeasePolicy lease, RetryPolicy retry, RetentionPolicy.Settings retention) {
    this(dataDir, reposDir, keysDir, httpHost, httpPort, assignEvery, lease, retry, retention,
        NightlySchedule.parse(NightlySchedule.DEFAULT), Map.of());
  }

  /** With the default retention: the last 10 successful builds per repo and target, collected hourly. */
  public CoordinatorSettings(Path dataDir, Path reposDir, Path keysDir, String httpHost, int httpPort,
      Duration assignEvery, LeasePolicy lease, RetryPolicy retry) {
    this(dataDir, reposDir, keysDir, httpHost, httpPort, assignEvery, lease, retry, RetentionPolicy.Settings.DEFAULT);
  }
}
