package org.bootfarm.coordinator.bridge;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import java.io.InputStream;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The bridge with PEM files speaks TLS: a client trusting the certificate pings through it, and a
 * client speaking plain TCP to it gets no answer in frames.
 */
@Tag("unit")
class BridgeTlsTest {
  @TempDir Path dir;

  @Test
  void aClientTrustingTheCertificateIsServedOverTls() throws Exception {
    Path cert = dir.resolve("bridge.pem");
    Path key = dir.resolve("bridge.key");
    Process openssl = new ProcessBuilder(List.of("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", key.toString(), "-out", cert.toString(), "-days", "2", "-subj", "/CN=127.0.0.1",
        "-addext", "subjectAltName=IP:127.0.0.1")).redirectErrorStream(true).start();
    String output = new String(openssl.getInputStream().readAllBytes());
    assertEquals(0, openssl.waitFor(), output);
    Path tokens = Files.writeString(dir.resolve("tokens"), "ci ci-0123456789abcdef\n");
    Vertx vertx = Vertx.vertx();
    try {
      BridgeServer bridge = BridgeServer.start(vertx, BridgeServer.Settings.loopback(0, tokens).withTls(cert, key))
          .await();
      KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
      trust.load(null, null);
      try (InputStream in = Files.newInputStream(cert)) {
        trust.setCertificateEntry("bridge", CertificateFactory.getInstance("X.509").generateCertificate(in));
      }
      TrustManagerFactory trustManagers = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trustManagers.init(trust);
      SSLContext tls = SSLContext.getInstance("TLS");
      tls.init(null, trustManagers.getTrustManagers(), null);
      try (FrameSocket client = new FrameSocket(
          (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", bridge.actualPort()))) {
        client.send(new JsonObject().put("type", "ping").put("headers", new JsonObject().put("token", "ci-0123456789abcdef")));
        assertEquals("pong", client.read().getString("type"));
      }
      try (Socket socket = new Socket("127.0.0.1", bridge.actualPort());
          FrameSocket plain = new FrameSocket(socket)) {
        socket.setSoTimeout(1000);
        plain.send(new JsonObject().put("type", "ping").put("headers", new JsonObject().put("token", "ci-0123456789abcdef")));
        assertThrows(java.io.IOException.class, plain::read, "no plain-text frame comes back from a TLS bridge");
      }
      bridge.close().await();
    } finally {
      vertx.close().await();
    }
  }
}
