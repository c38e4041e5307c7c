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
import org.bouncycastle.crypto.params.Ed25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

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

  private record MessageKey(MemberIdentity identity, Ed25519PublicKeyParameters key, X509Certificate certificate) {}

  private final Map<String, MessageKey> messageKeys = new ConcurrentHashMap<>();

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

  /**
   * Whose key signed {@code data}: the member of the certificate {@code encoded} (base64 DER) when
   * the farm CA signed that certificate and {@code signature} (base64) verifies; else empty.
   */
  public Optional<MemberIdentity> verify(String encoded, byte[] data, String signature) {
    if (encoded == null || signature == null) {
      return Optional.empty();
    }
    return known(encoded).filter(member -> signedBy(member.certificate(), data, signature)).map(Known::identity);
  }

  /** Whether {@code signature} (base64) is {@code certificate}'s key's over {@code data}. */
  private static boolean signedBy(X509Certificate certificate, byte[] data, String signature) {
    try {
      Signature check = Signature.getInstance(ALGORITHM);
      check.initVerify(certificate.getPublicKey());
      check.update(data);
      return check.verify(Base64.getDecoder().decode(signature));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  /** What a certificate's key signs to vouch for a process's message key. */
  static byte[] messageKeyBinding(String messagePublicKey) {
    return ("bootfarm-message-key-v1\n" + messagePublicKey).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }

  /**
   * Whose message key signed {@code data}: {@code signer} is a member's {@link
   * MemberCredential#messageSigner()} (certificate, message key, the certificate's vouching), {@code
   * signature} the message key's (base64). The certificate and its vouching are checked once per
   * signer; each message costs one Ed25519 verification.
   */
  public Optional<MemberIdentity> verifyMessage(String signer, byte[] data, String signature) {
    if (signer == null || signature == null || signer.length() > 12_000) {
      return Optional.empty();
    }
    MessageKey key = messageKeys.get(signer);
    if (key == null) {
      String[] parts = signer.split("\\.", -1);
      if (parts.length != 3) {
        return Optional.empty();
      }
      Optional<Known> vouching = known(parts[0])
          .filter(member -> signedBy(member.certificate(), messageKeyBinding(parts[1]), parts[2]));
      if (vouching.isEmpty()) {
        return Optional.empty();
      }
      try {
        key = new MessageKey(vouching.get().identity(),
            new Ed25519PublicKeyParameters(Base64.getDecoder().decode(parts[1]), 0), vouching.get().certificate());
      } catch (IllegalArgumentException e) {
        return Optional.empty();
      }
      if (messageKeys.size() >= REMEMBERED) {
        messageKeys.clear();
      }
      messageKeys.put(signer, key);
    }
    try {
      key.certificate().checkValidity();
      byte[] raw = Base64.getDecoder().decode(signature);
      Ed25519Signer check = new Ed25519Signer();
      check.init(false, key.key());
      check.update(data, 0, data.length);
      return check.verifySignature(raw) ? Optional.of(key.identity()) : Optional.empty();
    } catch (CertificateException | IllegalArgumentException e) {
      messageKeys.remove(signer);
      return Optional.empty();
    }
  }

  /** The certificate {@code encoded} (base64 DER) when the farm CA signed it and it is valid now; else empty. */
  public Optional<X509Certificate> certificate(String encoded) {
    return known(encoded).map(Known::certificate);
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
