package org.bootfarm.coordinator.access;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Optional;
import org.bootfarm.protocol.api.v1.AccessRole;
import org.bootfarm.protocol.api.v1.Addresses;
import org.bootfarm.protocol.api.v1.ApiError;
import org.bootfarm.protocol.api.v1.Caller;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The one table of which role each call needs, on HTTP and on the bridge's addresses alike. */
@Tag("unit")
class ApiPermissionsTest {
  static AccessRole http(String method, String path) {
    return ApiPermissions.forHttp(method, path, false).map(ApiPermissions.Permission::role).orElse(null);
  }

  @Test
  void everyHttpCallNeedsTheRoleOfTheTable() {
    Map<String, AccessRole> table = new java.util.LinkedHashMap<>();
    table.put("GET /api/v1/builds", AccessRole.READ);
    table.put("GET /api/v1/builds/b-1", AccessRole.READ);
    table.put("GET /api/v1/workers", AccessRole.READ);
    table.put("GET /api/v1/repos", AccessRole.READ);
    table.put("GET /api/v1/nightly", AccessRole.READ);
    table.put("GET /api/v1/nightly/latest", AccessRole.READ);
    table.put("GET /api/v1/pairs/p-1", AccessRole.READ);
    table.put("GET /nightly/latest", AccessRole.READ);
    table.put("GET /verdicts/p-1", AccessRole.READ);
    table.put("GET /api/v1/artifacts/" + "a".repeat(64), AccessRole.READ);
    table.put("HEAD /api/v1/artifacts/" + "a".repeat(64), AccessRole.READ);
    table.put("PUT /api/v1/artifacts/" + "a".repeat(64), AccessRole.SUBMIT);
    table.put("POST /api/v1/builds", AccessRole.SUBMIT);
    table.put("POST /api/v1/builds/b-1/cancel", AccessRole.SUBMIT);
    table.put("POST /api/v1/builds/b-1/verify", AccessRole.SUBMIT);
    table.put("POST /api/v1/builds/b-1/rebuild", AccessRole.SUBMIT);
    table.put("POST /api/v1/artifacts/missing", AccessRole.SUBMIT);
    table.put("POST /api/v1/gc", AccessRole.ADMIN);
    table.put("POST /api/v1/nightly", AccessRole.ADMIN);
    table.put("PUT /api/v1/builds/b-1/pin", AccessRole.ADMIN);
    table.put("DELETE /api/v1/builds/b-1/pin", AccessRole.ADMIN);
    table.put("POST /no/such/call", AccessRole.READ);
    table.forEach((call, role) -> {
      String[] parts = call.split(" ");
      assertEquals(role, http(parts[0], parts[1]), call);
    });
  }

  @Test
  void healthIsOpenAndMetricsOpenUnlessProtected() {
    assertEquals(Optional.empty(), ApiPermissions.forHttp("GET", "/health", true));
    assertEquals(Optional.empty(), ApiPermissions.forHttp("GET", "/metrics", false));
    assertEquals(AccessRole.READ, ApiPermissions.forHttp("GET", "/metrics", true).orElseThrow().role());
    assertEquals(AccessRole.READ, http("POST", "/health"), "only GET /health is open");
  }

  @Test
  void theBridgeAddressesNeedTheSameRolesAsTheirHttpCalls() {
    assertEquals(AccessRole.SUBMIT, ApiPermissions.forAddress(Addresses.SUBMIT).role());
    assertEquals(AccessRole.SUBMIT, ApiPermissions.forAddress(Addresses.SUBMIT_MANY).role(),
        "submitting several at once needs what submitting one does");
    assertEquals(AccessRole.SUBMIT, ApiPermissions.forAddress(Addresses.CANCEL).role());
    assertEquals(AccessRole.SUBMIT, ApiPermissions.forAddress(Addresses.VERIFY).role());
    assertEquals(AccessRole.SUBMIT, ApiPermissions.forAddress(Addresses.REBUILD).role());
    assertEquals(AccessRole.ADMIN, ApiPermissions.forAddress(Addresses.GC).role());
    assertEquals(AccessRole.ADMIN, ApiPermissions.forAddress(Addresses.PIN).role());
    assertEquals(AccessRole.ADMIN, ApiPermissions.forAddress(Addresses.UNPIN).role());
    assertEquals(AccessRole.ADMIN, ApiPermissions.forAddress(Addresses.NIGHTLY_RUN_NOW).role());
    for (String address : Addresses.CLIENT_ADDRESSES) {
      assertTrue(!ApiPermissions.forAddress(address).doing().contains("does not list"),
          address + " is a client address without a row in ApiPermissions");
    }
    assertEquals(AccessRole.READ, ApiPermissions.forAddress(Addresses.buildEvents("01ABC")).role());
    ApiPermissions.Permission unlisted = ApiPermissions.forAddress("bootfarm.v1.builds.something-new");
    assertEquals(AccessRole.ADMIN, unlisted.role(), "an address nobody listed is not open to readers");
    assertTrue(unlisted.doing().contains("bootfarm.v1.builds.something-new"), unlisted::doing);
    for (String read : new String[] {Addresses.GET, Addresses.LIST, Addresses.REPOS, Addresses.WORKERS, Addresses.PING,
        Addresses.INFO, Addresses.NIGHTLY_LATEST, Addresses.NIGHTLY_GET, Addresses.NIGHTLY_LIST, Addresses.PAIR_GET}) {
      assertEquals(AccessRole.READ, ApiPermissions.forAddress(read).role(), read);
    }
  }

  @Test
  void aBuildIsCancelledByItsSubmitterOrAnAdminOnly() {
    Caller ci = Caller.ofToken("ci", AccessRole.SUBMIT);
    assertEquals("token:ci", ci.credential(), "what a build records");
    assertTrue(ApiPermissions.mayCancel(ci, ci.credential()));
    assertFalse(ApiPermissions.mayCancel(Caller.ofToken("bob", AccessRole.SUBMIT), "token:ci"));
    assertFalse(ApiPermissions.mayCancel(Caller.ofToken("ci", AccessRole.READ), "token:ci"), "read never cancels");
    assertTrue(ApiPermissions.mayCancel(Caller.ofToken("ops", AccessRole.ADMIN), "token:ci"));
    assertFalse(ApiPermissions.mayCancel(Caller.ofToken("bob", AccessRole.SUBMIT), null), "an unrecorded submitter");
    Caller bot = new Caller("ci-bot", AccessRole.SUBMIT); // a clustered client, by its certificate
    assertTrue(ApiPermissions.mayCancel(bot, bot.credential()));
    assertEquals("cert:ci-bot", bot.credential());
    ApiError refused = ApiPermissions.cancelRefused(Caller.ofToken("bob", AccessRole.SUBMIT), "b-1", "token:ci");
    assertEquals(ApiError.Code.FORBIDDEN, refused.code());
    assertTrue(refused.message().startsWith("client 'bob' has role submit; cancelling another client's build needs"
        + " admin (build b-1 was submitted by 'ci' with a token, and this call came from 'bob' with a token)"),
        refused.message());
  }

  @Test
  void aCertificateAndATokenClientOfOneNameAreTwoSubmitters() {
    // a client certificate issued as `ca issue --role client local` is not the tokens file's admin 'local'
    Caller certificate = new Caller("local", AccessRole.SUBMIT);
    Caller token = Caller.ofToken("local", AccessRole.SUBMIT);
    assertFalse(ApiPermissions.mayCancel(certificate, token.credential()), "the certificate cancels the token's");
    assertFalse(ApiPermissions.mayCancel(token, certificate.credential()), "the token cancels the certificate's");
    assertTrue(ApiPermissions.mayCancel(token, "local"), "a record from before kinds names a token client");
    assertFalse(ApiPermissions.mayCancel(certificate, "local"), "which a certificate of that name is not");
    Caller nightly = Caller.ofFarm("nightly", AccessRole.ADMIN);
    assertFalse(ApiPermissions.mayCancel(new Caller("nightly", AccessRole.SUBMIT), nightly.credential()),
        "a certificate named nightly does not own the farm's nightly builds");
    assertFalse(ApiPermissions.mayCancel(Caller.ofToken("nightly", AccessRole.SUBMIT), nightly.credential()));
    assertTrue(ApiPermissions.cancelRefused(certificate, "b-1", token.credential()).message().contains(
        "build b-1 was submitted by 'local' with a token, and this call came from 'local' with a certificate"));
    assertTrue(ApiPermissions.forbidden(token, ApiPermissions.forAddress(Addresses.PIN)).message()
        .startsWith("client 'local' has role submit"), "messages name the client without its kind");
  }

  @Test
  void aForbiddenCallNamesTheCallerItsRoleAndTheRoleNeeded() {
    ApiError error = ApiPermissions.forbidden(Caller.ofToken("viewer", AccessRole.READ),
        ApiPermissions.forAddress(Addresses.SUBMIT));
    assertEquals(403, error.code().httpStatus());
    assertTrue(error.message().startsWith("client 'viewer' has role read; submitting needs submit"), error.message());
  }
}
