package org.bootfarm.coordinator.access;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.bootfarm.protocol.api.v1.AccessRole;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.Caller;

/**
 * The one table of which role each API call needs, for the HTTP API and the bridge (event-bus addresses)
 * alike. Reads (builds, workers, repos, nightly runs, pairs, the HTML pages, artifact GET and HEAD) need
 * {@code read}; submitting, uploading an artifact (and asking which ones the store lacks), rebuilding, verifying
 * and cancelling one's own build need {@code submit}; a collection now ({@code POST /api/v1/gc}), a nightly run now, pinning, unpinning and cancelling another client's build need {@code admin}.
 * {@code GET /health} is open, and {@code GET /metrics} too unless the coordinator protects it.
 */
public final class ApiPermissions {
  /** What a call needs: a role, and the words that say what the call does ("submitting"). */
  public record Permission(AccessRole role, String doing) {}

  private static final Permission READING = new Permission(AccessRole.READ, "reading");
  private static final Permission SUBMITTING = new Permission(AccessRole.SUBMIT, "submitting");
  private static final Permission CANCELLING = new Permission(AccessRole.SUBMIT, "cancelling a build");
  private static final Permission CANCELLING_OTHERS = new Permission(AccessRole.ADMIN,
      "cancelling another client's build");
  private static final Permission VERIFYING = new Permission(AccessRole.SUBMIT, "verifying");
  private static final Permission REBUILDING = new Permission(AccessRole.SUBMIT, "rebuilding a build");
  private static final Permission COLLECTING = new Permission(AccessRole.ADMIN, "collecting the artifact store");
  private static final Permission UPLOADING = new Permission(AccessRole.SUBMIT, "uploading an artifact");
  private static final Permission PINNING = new Permission(AccessRole.ADMIN, "pinning");
  private static final Permission UNPINNING = new Permission(AccessRole.ADMIN, "unpinning");
  private static final Permission NIGHTLY_NOW = new Permission(AccessRole.ADMIN, "starting a nightly run");
  private static final Permission READING_METRICS = new Permission(AccessRole.READ, "reading the metrics");

  private static final Map<String, Permission> BY_ADDRESS = Map.ofEntries(
      Map.entry(Addresses.SUBMIT, SUBMITTING), Map.entry(Addresses.SUBMIT_MANY, SUBMITTING),
      Map.entry(Addresses.CANCEL, CANCELLING),
      Map.entry(Addresses.VERIFY, VERIFYING), Map.entry(Addresses.REBUILD, REBUILDING),
      Map.entry(Addresses.GC, COLLECTING), Map.entry(Addresses.PIN, PINNING),
      Map.entry(Addresses.UNPIN, UNPINNING), Map.entry(Addresses.NIGHTLY_RUN_NOW, NIGHTLY_NOW));

  /** The calls that change nothing; every other address needs a row of {@link #BY_ADDRESS}. */
  private static final Set<String> READ_ADDRESSES = Set.of(Addresses.GET, Addresses.LIST,
      Addresses.REPOS, Addresses.WORKERS, Addresses.PING, Addresses.INFO, Addresses.NIGHTLY_LATEST,
      Addresses.NIGHTLY_GET, Addresses.NIGHTLY_LIST, Addresses.PAIR_GET);

  private static final String BUILDS = "/api/v1/builds";
  private static final String ARTIFACTS = "/api/v1/artifacts/";

  private ApiPermissions() {
  }

  /**
   * What a call to an event-bus address (a bridge {@code send}, or following a build's events) needs: the
   * writes of the table, {@code read} for the read calls and a build's events, and {@code admin} for an address
   * neither lists, so that a call added to the API is not open to readers by default.
   */
  public static Permission forAddress(String address) {
    Permission needed = BY_ADDRESS.get(address);
    if (needed != null) {
      return needed;
    }
    if (READ_ADDRESSES.contains(address)
        || (!Addresses.CLIENT_ADDRESSES.contains(address) && Addresses.clientMayUse(address))) {
      return READING; // a read call, or following a build's events
    }
    // an address added to the API but to neither list: refused to all but admins until it is listed
    return new Permission(AccessRole.ADMIN, "calling " + address + ", which ApiPermissions does not list yet");
  }

  /**
   * What an HTTP request needs, by method and path as sent; empty for what is open ({@code GET /health},
   * and {@code GET /metrics} unless {@code protectMetrics}). A path that is no call needs {@code read}, so
   * that an unauthenticated client learns nothing of which paths exist. The path must be the one the router
   * dispatches on: the HTTP API refuses every path not in its canonical form before it asks, and its routes match
   * the path as sent (ADR 0065); another spelling of a call's path would get a reader's permission here.
   */
  public static Optional<Permission> forHttp(String method, String path, boolean protectMetrics) {
    boolean get = method.equals("GET") || method.equals("HEAD");
    if (get && path.equals("/health")) {
      return Optional.empty();
    }
    if (get && path.equals("/metrics")) {
      return protectMetrics ? Optional.of(READING_METRICS) : Optional.empty();
    }
    if (get) {
      return Optional.of(READING);
    }
    boolean build = path.startsWith(BUILDS + "/");
    return Optional.of(switch (method) {
      case "PUT" -> path.startsWith(ARTIFACTS) ? UPLOADING : build && path.endsWith("/pin") ? PINNING : READING;
      case "DELETE" -> build && path.endsWith("/pin") ? UNPINNING : READING;
      case "POST" -> path.equals(BUILDS) ? SUBMITTING
          : path.equals(ARTIFACTS + "missing") ? UPLOADING
          : build && path.endsWith("/rebuild") ? REBUILDING
          : path.equals("/api/v1/gc") ? COLLECTING
          : build && path.endsWith("/cancel") ? CANCELLING
          : build && path.endsWith("/verify") ? VERIFYING
          : path.equals("/api/v1/nightly") ? NIGHTLY_NOW : READING;
      default -> READING;
    });
  }

  /**
   * Whether {@code caller} may cancel a build that {@code submittedBy} submitted, as recorded (null: not recorded):
   * an admin may, and the submitter itself, by name and kind of credential, so that a farm certificate and a client
   * of the tokens file that bear the same name are two clients (ADR 0065).
   */
  public static boolean mayCancel(Caller caller, String submittedBy) {
    return caller.may(AccessRole.ADMIN) || (caller.may(CANCELLING.role()) && submittedBy != null
        && caller.credential().equals(Caller.credentialOf(submittedBy)));
  }

  /** The refusal of a cancel that {@link #mayCancel} does not allow. */
  public static ApiError cancelRefused(Caller caller, String buildId, String submittedBy) {
    return forbidden(caller, CANCELLING_OTHERS, "build " + buildId + " was submitted by "
        + (submittedBy == null ? "a client this coordinator did not record" : Caller.describe(submittedBy))
        + ", and this call came from " + Caller.describe(caller.credential()));
  }

  /** The 403 for a caller whose role is not enough: names the caller, its role, and the role needed. */
  public static ApiError forbidden(Caller caller, Permission needed) {
    return forbidden(caller, needed, null);
  }

  private static ApiError forbidden(Caller caller, Permission needed, String why) {
    return new ApiError(ApiError.Code.FORBIDDEN, "client '" + caller.client() + "' has role " + caller.role().word()
        + "; " + needed.doing() + " needs " + needed.role().word() + (why == null ? "" : " (" + why + ")")
        + ": give it a token of such a role in the coordinator's tokens file, or ask the farm's operator",
        List.of());
  }
}
