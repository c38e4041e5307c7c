package org.bootfarm.protocol.api.v1;

import java.util.List;

/**
 * The event-bus addresses of API version 1. Client-facing ones are the only addresses the TCP
 * bridge lets through; the others are between the coordinator and its workers.
 */
public final class Addresses {
  private Addresses() {}

  private static final String PREFIX = "bootfarm.v1.";

  /**
   * Largest request body, as UTF-8 JSON text, that the coordinator reads on any address (and on the
   * HTTP API); a larger one is refused as {@link ApiError.Code#TOO_LARGE} without being read.
   */
  public static final int MAX_REQUEST_BYTES = 64 * 1024;

  /** Request {@link SubmitRequest}; reply {@code {"id": ...}} once the build is durably recorded. */
  public static final String SUBMIT = PREFIX + "builds.submit";
  /**
   * Request {@link SubmitBatch}; reply {@link SubmitResults}, each submission's id or refusal in order, once every
   * accepted one is durably recorded (what {@link #SUBMIT} does for one, for several in one message: docs/adr/0056).
   */
  public static final String SUBMIT_MANY = PREFIX + "builds.submit-many";
  /** Request {@code {"id": ...}}; reply a {@link BuildView}. */
  public static final String GET = PREFIX + "builds.get";
  /** Request {@link BuildQuery}; reply {@code {"builds": [BuildView...]}}. */
  public static final String LIST = PREFIX + "builds.list";
  /** Request {@code {"id": ...}}; reply the cancelled {@link BuildView}. */
  public static final String CANCEL = PREFIX + "builds.cancel";
  /** Request {@code {"id": ..., "reason": ...}}; reply the pinned {@link BuildView} (kept by retention). */
  public static final String PIN = PREFIX + "builds.pin";
  /** Request {@code {"id": ...}}; reply the {@link BuildView}, no longer pinned. */
  public static final String UNPIN = PREFIX + "builds.unpin";
  /**
   * Request {@code {"id": ...}} of a SUCCEEDED build; records a new QUEUED build that rebuilds it from its record
   * (its pinned definition, components and archived packages; no upstream repository is read) and replies
   * its {@link BuildView}, whose {@code rebuildOf} names the original.
   */
  public static final String REBUILD = PREFIX + "builds.rebuild";
  /**
   * Request {@code {"dryRun": true|false}}; the active coordinator collects its artifact store now (or, for a dry
   * run, only counts) and replies a {@link CollectionReport}. Needs the admin role.
   */
  public static final String GC = PREFIX + "artifacts.gc";
  /** Request {@code {}}; reply {@code {"repos": [...]}}. */
  public static final String REPOS = PREFIX + "repos.list";
  /** Request {@code {}}; reply {@code {"workers": [WorkerInfo...]}}. */
  public static final String WORKERS = PREFIX + "workers.list";
  /** Health check; reply {@code {"ok": true}}. */
  public static final String PING = PREFIX + "ping";
  /**
   * Request {@code {}}; reply a {@link FarmInfo}: the coordinator's version and the base URL of its
   * HTTP API, where clients upload components and download artifacts and logs.
   */
  public static final String INFO = PREFIX + "info";

  /** Request {@code {}}; reply the newest {@link NightlyReport} (NOT_FOUND before the first run). */
  public static final String NIGHTLY_LATEST = PREFIX + "nightly.latest";
  /** Request {@code {"id": ...}}; reply that run's {@link NightlyReport}. */
  public static final String NIGHTLY_GET = PREFIX + "nightly.get";
  /** Request {@code {"limit": N}} (optional); reply {@code {"runs": [NightlyReport...]}}, newest first, without pairs. */
  public static final String NIGHTLY_LIST = PREFIX + "nightly.list";
  /**
   * Request {@code {}}; starts a nightly run now and replies its {@link NightlyReport} as recorded, its pairs
   * submitted; follow it with {@link #NIGHTLY_GET} until {@code finishedAt} is set.
   */
  public static final String NIGHTLY_RUN_NOW = PREFIX + "nightly.run-now";
  /**
   * Request {@code {"id": ...}} of a SUCCEEDED build; rebuilds it (same repo, target, components) on another
   * worker and replies the {@link ReproducibilityPair}, not judged yet; follow it with {@link #PAIR_GET}.
   */
  public static final String VERIFY = PREFIX + "builds.verify";
  /** Request {@code {"id": ...}} of a pair; reply the {@link ReproducibilityPair}, with its verdict once judged. */
  public static final String PAIR_GET = PREFIX + "pairs.get";

  /**
   * Workers send a {@link BuildReport} here when a build ends; reply {@code {"recorded": true}}, with {@code
   * "repeated": true} when that report was recorded before (the worker sent it again after losing the answer), or
   * {@code {"recorded": false, "reason": ...}}.
   */
  public static final String REPORT = PREFIX + "builds.report";

  /** Workers publish {@link WorkerInfo} here on start and with every heartbeat. */
  public static final String WORKER_HEARTBEAT = PREFIX + "workers.heartbeat";

  /** The addresses a client may use through the bridge; everything else is refused there. */
  public static final List<String> CLIENT_ADDRESSES = List.of(SUBMIT, SUBMIT_MANY, GET, LIST, CANCEL, PIN,
      UNPIN, REBUILD, GC, REPOS, WORKERS, PING, INFO, NIGHTLY_LATEST, NIGHTLY_GET, NIGHTLY_LIST, NIGHTLY_RUN_NOW, VERIFY, PAIR_GET);

  /**
   * Where the {@link BuildEvent}s of one build are published: the worker's stage, progress and log
   * events while it runs, and the coordinator's STATE event at each change of state (RUNNING when
   * placed, QUEUED when put back); the final one (SUCCEEDED, FAILED or CANCELLED) is the last.
   */
  public static String buildEvents(String buildId) {
    return PREFIX + "build." + requireToken(buildId, "build id") + ".events";
  }

  /** Where one worker takes work assigned to it by the coordinator. */
  public static String workerInbox(String workerId) {
    WorkerInfo.requireValidId(workerId);
    return PREFIX + "worker." + workerId + ".inbox";
  }

  /** Whether a client may use the address: the fixed client addresses and any build's event stream. */
  public static boolean clientMayUse(String address) {
    return CLIENT_ADDRESSES.contains(address)
        || (address.startsWith(PREFIX + "build.") && address.endsWith(".events")
            && WireNames.is(WireNames.ID,
                address.substring((PREFIX + "build.").length(), address.length() - ".events".length())));
  }

  private static String requireToken(String value, String what) {
    if (!WireNames.is(WireNames.ID, value)) {
      throw new IllegalArgumentException(what + " '" + value
          + "' is not 1-64 letters, digits, '-' or '_' and cannot be part of an address");
    }
    return value;
  }
}
