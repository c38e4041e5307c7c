package org.bootfarm.coordinator.http;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Vertx;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import org.bootfarm.cluster.NodeRole;
import org.bootfarm.cluster.identity.FarmCa;
import org.bootfarm.cluster.identity.MemberCredential;
import org.bootfarm.cluster.identity.MemberIdentity;
import org.bootfarm.coordinator.BuildCoordinator;
import org.bootfarm.coordinator.ProjectTree;
import org.bootfarm.coordinator.RepoCatalog;
import org.bootfarm.coordinator.access.ApiRefusals;
import org.bootfarm.coordinator.access.LiveTokens;
import org.bootfarm.coordinator.cas.ArtifactHttpEndpoint;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.coordinator.placement.RendezvousPlacement;
import org.bootfarm.coordinator.queue.SqlBuildStore;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.transfer.ArtifactStoreClient;
import org.bootfarm.protocol.transfer.ArtifactTransferException;
import org.bootfarm.protocol.transfer.TlsTrust;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The HTTP API over HTTPS with a coordinator certificate of the farm CA issued for 127.0.0.1: a client trusting
 * the CA (besides the JDK's roots) gets its answers and moves artifacts with its token, one that does not is
 * refused at the handshake, and so is one that reaches the server by a name the certificate does not carry.
 */
@Tag("unit")
class ApiHttpsServerTest {
  static final String SUBMIT = "ci-0123456789abcdef";
  @TempDir static Path dir;
  static Vertx vertx;
  static SqlBuildStore store;
  static ArtifactStore artifacts;
  static Path caFile;
  static SSLContext farmTrust;
  static int port;
  static String base;

  @BeforeAll
  static void start() throws Exception {
    FarmCa ca = FarmCa.init(dir.resolve("farm-ca"), "test");
    MemberCredential coordinator = ca.issue(new MemberIdentity("coordinator-1", NodeRole.COORDINATOR),
        dir.resolve("coordinator-1"), List.of("127.0.0.1"));
    caFile = coordinator.caFile();
    farmTrust = TlsTrust.withRoots(List.of(caFile));
    store = SqlBuildStore.open(dir.resolve("builds.sqlite"), Clock.systemUTC());
    artifacts = ArtifactStore.openAt(dir.resolve("cas"), ArtifactStore.Options.defaults());
    BuildCoordinator api = new BuildCoordinator(store, artifacts,
        RepoCatalog.read(ProjectTree.root().resolve("repos"), ProjectTree.sharedKeys()),
        new RendezvousPlacement(), Clock.systemUTC(), Duration.ofSeconds(10));
    vertx = Vertx.vertx();
    LiveTokens tokens = LiveTokens.watch(vertx, Files.writeString(dir.resolve("tokens"), "ci " + SUBMIT + "\n"));
    HttpsIdentity https = HttpsIdentity.of(coordinator.dir().resolve(FarmCa.MEMBER_CERT),
        coordinator.dir().resolve(FarmCa.MEMBER_KEY));
    port = new ApiHttpServer(vertx, api, new ArtifactHttpEndpoint(vertx, artifacts, Duration.ofSeconds(30)))
        .withAccess(tokens, new ApiRefusals(new SimpleMeterRegistry()), false).listen("127.0.0.1", 0, https).await()
        .actualPort();
    base = "https://127.0.0.1:" + port;
  }

  @AfterAll
  static void stop() throws Exception {
    vertx.close().await();
    store.close();
    artifacts.close();
  }

  static HttpResponse<String> health(HttpClient client, String server) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(server + "/health")).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void aClientTrustingTheFarmCaGetsHealthOverHttps() throws Exception {
    HttpResponse<String> response = health(HttpClient.newBuilder().sslContext(farmTrust).build(), base);
    assertEquals(200, response.statusCode(), response.body());
  }

  @Test
  void aClientThatDoesNotTrustTheFarmCaIsRefusedAtTheHandshake() {
    assertThrows(SSLHandshakeException.class, () -> health(HttpClient.newHttpClient(), base));
  }

  @Test
  void aNameTheCertificateDoesNotCarryIsRefusedEvenWithTheCaTrusted() {
    // the certificate names 127.0.0.1 only: host names are checked, the farm CA is no "trust all"
    assertThrows(SSLHandshakeException.class,
        () -> health(HttpClient.newBuilder().sslContext(farmTrust).build(), "https://localhost:" + port));
  }

  @Test
  void artifactsGoUpAndComeDownOverHttpsWithATokenThroughTheArtifactClient() throws Exception {
    byte[] bytes = "an artifact that crossed the network encrypted\n".getBytes(StandardCharsets.UTF_8);
    Path file = Files.write(dir.resolve("upload.bin"), bytes);
    String sha256 = Sha256.of(bytes);
    ArtifactStoreClient client = ArtifactStoreClient.withToken(SUBMIT, farmTrust);
    client.upload(base, sha256, file);
    Path back = client.download(base, sha256, dir.resolve("back").resolve("download.bin"));
    assertArrayEquals(bytes, Files.readAllBytes(back));
  }

  @Test
  void theArtifactClientWithoutTheFarmCaIsRefusedAndToldWhatToTrust() throws IOException {
    Path file = Files.writeString(dir.resolve("refused.bin"), "never stored over an untrusted connection\n");
    ArtifactTransferException e = assertThrows(ArtifactTransferException.class,
        () -> ArtifactStoreClient.withToken(SUBMIT).upload(base, Sha256.of(file), file));
    assertFalse(e.worthRetrying(), e.getMessage());
    assertTrue(e.getMessage().contains("refused by TLS") && e.getMessage().contains("--tls-ca"), e.getMessage());
  }
}
