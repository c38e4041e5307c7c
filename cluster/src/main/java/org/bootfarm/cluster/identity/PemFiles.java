package org.bootfarm.cluster.identity;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;

/**
 * Reads and writes the PEM files of the farm's certificates and keys with the JDK alone: an
 * X.509 certificate ({@code CERTIFICATE}) and an unencrypted PKCS#8 EC key ({@code PRIVATE KEY}),
 * the forms Vert.x's PEM options and openssl read too. Keys are written owner-only (0600) and
 * files appear whole (written aside, then moved).
 */
final class PemFiles {
  private PemFiles() {}

  static String certificatePem(X509Certificate certificate) throws CertificateException {
    return pem("CERTIFICATE", certificate.getEncoded());
  }

  static String privateKeyPem(PrivateKey key) {
    return pem("PRIVATE KEY", key.getEncoded());
  }

  private static String pem(String type, byte[] der) {
    return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
        .encodeToString(der) + "\n-----END " + type + "-----\n";
  }

  static X509Certificate readCertificate(Path file) throws IdentityException {
    try {
      return certificate(Files.readAllBytes(file));
    } catch (IOException | CertificateException e) {
      throw new IdentityException(file + " is not a readable PEM certificate (" + e.getMessage() + ")", e);
    }
  }

  static X509Certificate certificate(byte[] encoded) throws CertificateException {
    return (X509Certificate) CertificateFactory.getInstance("X.509")
        .generateCertificate(new ByteArrayInputStream(encoded));
  }

  static PrivateKey readPrivateKey(Path file) throws IdentityException {
    try {
      String text = Files.readString(file, StandardCharsets.US_ASCII);
      int begin = text.indexOf("-----BEGIN PRIVATE KEY-----");
      int end = text.indexOf("-----END PRIVATE KEY-----");
      if (begin < 0 || end < begin) {
        throw new IdentityException(file + " holds no '-----BEGIN PRIVATE KEY-----' block (an unencrypted PKCS#8 EC"
            + " key, as bootfarm ca writes); convert one with: openssl pkcs8 -topk8 -nocrypt -in KEY -out " + file);
      }
      byte[] der = Base64.getMimeDecoder().decode(text.substring(begin + 27, end));
      return KeyFactory.getInstance("EC").generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (IOException | GeneralSecurityException | IllegalArgumentException e) {
      throw new IdentityException(file + " is not a readable EC private key (" + e.getMessage() + ")", e);
    }
  }

  /** Writes {@code text} as {@code file}, owner-only when {@code secret}; refuses to replace a file. */
  static void writeNew(Path file, String text, boolean secret) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Files.createDirectories(dir);
    Path temp = Files.createTempFile(dir, file.getFileName().toString(), ".new",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(secret ? "rw-------" : "rw-r--r--")));
    try {
      Files.writeString(temp, text, StandardCharsets.US_ASCII);
      if (Files.exists(file)) {
        throw new FileAlreadyExistsException(file.toString(), null, "it exists already; bootfarm never replaces a"
            + " key or certificate (move it away first)");
      }
      Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(temp);
    }
  }
}
