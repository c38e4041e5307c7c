package org.bootfarm.protocol.transfer;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/**
 * The roots a farm client trusts for HTTPS: the JDK's own, plus the PEM certificates it is given (the
 * farm CA of a worker's member directory, a client's {@code --tls-ca}). Host names are checked as
 * always; a private CA is added, never "trust all".
 */
public final class TlsTrust {
  private TlsTrust() {}

  /**
   * An SSL context trusting the JDK's roots and every certificate in the PEM files {@code extra}.
   *
   * @throws IOException naming the file that is not a readable PEM certificate
   */
  public static SSLContext withRoots(List<Path> extra) throws IOException {
    try {
      KeyStore roots = KeyStore.getInstance(KeyStore.getDefaultType());
      roots.load(null, null);
      TrustManagerFactory defaults = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      defaults.init((KeyStore) null);
      int n = 0;
      for (var manager : defaults.getTrustManagers()) {
        if (manager instanceof X509TrustManager x509) {
          for (X509Certificate root : x509.getAcceptedIssuers()) {
            roots.setCertificateEntry("jdk-" + n++, root);
          }
        }
      }
      CertificateFactory factory = CertificateFactory.getInstance("X.509");
      for (Path file : extra) {
        try (InputStream in = Files.newInputStream(file)) {
          var certificates = factory.generateCertificates(in);
          if (certificates.isEmpty()) {
            throw new IOException(file + " holds no PEM certificate to trust");
          }
          for (Certificate certificate : certificates) {
            roots.setCertificateEntry("extra-" + n++, certificate);
          }
        } catch (java.security.cert.CertificateException e) {
          throw new IOException(file + " is not a readable PEM certificate: " + e.getMessage(), e);
        }
      }
      TrustManagerFactory trust = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      trust.init(roots);
      SSLContext context = SSLContext.getInstance("TLS");
      context.init(null, trust.getTrustManagers(), null);
      return context;
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot build the TLS trust from " + extra + ": " + e.getMessage(), e);
    }
  }
}
