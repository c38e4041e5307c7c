package org.bootfarm.coordinator.http;

import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The certificate and key the coordinator's HTTP API serves HTTPS with ({@code --tls-cert}, {@code
 * --tls-key}): where the farm leaves one machine, tokens and artifacts travel encrypted, and the URL
 * handed to workers and clients for artifacts says {@code https}. Any PEM certificate chain works, one
 * from the operator's PKI or a coordinator certificate of the farm CA issued with the host names and
 * addresses clients use ({@code bootfarm ca issue --role coordinator NAME --host HOST --host ADDR}).
 *
 * @param certificate PEM certificate chain, the server's first
 * @param key its PEM private key (PKCS#8 or PKCS#1)
 */
public record HttpsIdentity(Path certificate, Path key) {
  /**
   * Both files, or neither (null: plain HTTP).
   *
   * @throws IllegalArgumentException naming the flag that is missing or the file that cannot be read
   */
  public static HttpsIdentity of(Path certificate, Path key) {
    if (certificate == null && key == null) {
      return null;
    }
    if (certificate == null || key == null) {
      throw new IllegalArgumentException("--tls-cert and --tls-key go together: give both (the certificate chain and"
          + " its private key, PEM) to serve HTTPS, or neither for plain HTTP");
    }
    for (Path file : new Path[] {certificate, key}) {
      if (!Files.isRegularFile(file) || !Files.isReadable(file)) {
        throw new IllegalArgumentException((file == certificate ? "--tls-cert " : "--tls-key ") + file
            + " is not a readable file");
      }
    }
    return new HttpsIdentity(certificate.toAbsolutePath(), key.toAbsolutePath());
  }

  /** Server options that serve HTTPS with this identity. */
  public HttpServerOptions serverOptions() {
    return new HttpServerOptions().setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
        .setCertPath(certificate.toString()).setKeyPath(key.toString()));
  }
}
