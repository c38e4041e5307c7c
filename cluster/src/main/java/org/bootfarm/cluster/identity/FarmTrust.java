package org.bootfarm.cluster.identity;

import java.security.GeneralSecurityException;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.Base64;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;
import javax.security.auth.x500.X500Principal;

/**
 * What a member trusts: the farm CA's certificate. It says whose a certificate is (only one the CA
 * signed, valid now, naming a role and a name) and checks a signature made with a member's key. A
 * certificate seen once is remembered by its encoding, so a busy address verifies only signatures.
 */
public final class FarmTrust {
  /** The signature algorithm of every member signature (and of the CA's certificates). */
  static final String ALGORITHM = "SHA256withECDSA";
  private static final int REMEMBERED = 4096;

  private final X509Certificate ca;
  private final Map<String, Known> known = new ConcurrentHashMap<>();

  private record Known(MemberIdentity identity, X509Certificate certificate) {}

  public FarmTrust(X509Certificate ca) {
    this.ca = ca;
  }

  /** The CA certificate this trust is built on. */
  public X509Certificate caCertificate() {
    return ca;
  }

  /**
   * Whose {@code certificate} is.
   *
   * @throws IdentityException when the farm CA did not sign it, it is not valid now, or it names no
   *     role and name
   */
  public MemberIdentity identify(X509Certificate certificate) throws IdentityException {
    try {
      certificate.verify(ca.getPublicKey());
    } catch (GeneralSecurityException e) {
      throw new IdentityException("certificate '" + certificate.getSubjectX500Principal().getName()
          + "' is not signed by this farm's CA '" + ca.getSubjectX500Principal().getName() + "'", e);
    }
    try {
      certificate.checkValidity();
    } catch (CertificateException e) {
      throw new IdentityException("certificate '" + certificate.getSubjectX500Principal().getName()
          + "' is not valid now (" + e.getMessage() + "); issue a new one with bootfarm ca issue", e);
    }
    return subject(certificate);
  }

  /** Whose the base64 DER certificate {@code encoded} is, empty when it is not a farm member's. */
  public Optional<MemberIdentity> identify(String encoded) {
    return known(encoded).map(Known::identity);
  }

  /**
   * Whose key signed {@code data}: the member of the certificate {@code encoded} (base64 DER) when
   * the farm CA signed that certificate and {@code signature} (base64) verifies; else empty.
   */
  public Optional<MemberIdentity> verify(String encoded, byte[] data, String signature) {
    if (encoded == null || signature == null) {
      return Optional.empty();
    }
    Optional<Known> member = known(encoded);
    if (member.isEmpty()) {
      return Optional.empty();
    }
    try {
      Signature check = Signature.getInstance(ALGORITHM);
      check.initVerify(member.get().certificate().getPublicKey());
      check.update(data);
      return check.verify(Base64.getDecoder().decode(signature)) ? Optional.of(member.get().identity())
          : Optional.empty();
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private Optional<Known> known(String encoded) {
    if (encoded == null || encoded.isEmpty() || encoded.length() > 8192) {
      return Optional.empty();
    }
    Known hit = known.get(encoded);
    if (hit != null) {
      try {
        hit.certificate().checkValidity();
        return Optional.of(hit);
      } catch (CertificateException expired) {
        known.remove(encoded);
        return Optional.empty();
      }
    }
    try {
      X509Certificate certificate = PemFiles.certificate(Base64.getDecoder().decode(encoded));
      Known fresh = new Known(identify(certificate), certificate);
      if (known.size() >= REMEMBERED) {
        known.clear();
      }
      known.put(encoded, fresh);
      return Optional.of(fresh);
    } catch (CertificateException | IdentityException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** The role (organizational unit) and name (common name) a farm certificate's subject gives. */
  static MemberIdentity subject(X509Certificate certificate) throws IdentityException {
    String subject = certificate.getSubjectX500Principal().getName(X500Principal.RFC2253);
    String name = null;
    String role = null;
    try {
      for (Rdn rdn : new LdapName(subject).getRdns()) {
        if (rdn.getType().equalsIgnoreCase("CN")) {
          name = rdn.getValue().toString();
        } else if (rdn.getType().equalsIgnoreCase("OU")) {
          role = rdn.getValue().toString();
        }
      }
      return new MemberIdentity(name, MemberIdentity.parseRole(role));
    } catch (InvalidNameException | IllegalArgumentException | NullPointerException e) {
      throw new IdentityException("certificate '" + subject + "' does not name a farm member (CN=name, OU=coordinator,"
          + " worker or client); issue members with bootfarm ca issue", e);
    }
  }
}
