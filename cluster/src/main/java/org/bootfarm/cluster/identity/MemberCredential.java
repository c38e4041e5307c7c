package org.bootfarm.cluster.identity;

import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.core.net.PemTrustOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateEncodingException;
import java.security.cert.X509Certificate;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicLong;
import org.bouncycastle.crypto.agreement.X25519Agreement;
import org.bouncycastle.crypto.params.Ed25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.X25519PrivateKeyParameters;
import org.bouncycastle.crypto.params.X25519PublicKeyParameters;
import org.bouncycastle.crypto.signers.Ed25519Signer;

/**
 * One member's credential, loaded from its member directory ({@link FarmCa#issue}): its key, its
 * certificate and the farm CA it trusts. It makes the event bus's TLS options and signs what the
 * member vouches for; {@link #trust()} checks what other members signed. Event-bus messages, many per
 * second, are signed with a message key of this process's own (Ed25519, several times cheaper than the
 * certificate's ECDSA key in the JDK), which the certificate's key vouches for once ({@link
 * #messageSigner()}: certificate, message key and that vouching travel with each message). A worker's or
 * client's messages to coordinators are authenticated more cheaply still, with a MAC keyed by an X25519
 * agreement between this process's session key and each coordinator's ({@link #sessionPublicKey()},
 * {@link SessionKeyClaim}, {@link MessageMacs}, ADR 0050).
 */
public final class MemberCredential {
  private final Path dir;
  private final MemberIdentity identity;
  private final X509Certificate certificate;
  private final PrivateKey key;
  private final FarmTrust trust;
  private final String encodedCertificate;
  private final Ed25519PrivateKeyParameters messageKey;
  private final String messageSigner;
  private final X25519PrivateKeyParameters sessionKey;
  private final String sessionPublicKey;
  /** The numbers of messages MACed in this session: shared by every node using this credential, as its key is. */
  private final AtomicLong messageNumbers = new AtomicLong();
  /** The nonces of messages signed with this process's message key (ADR 0064): shared as the key is. */
  private final AtomicLong nonces = new AtomicLong();

  private MemberCredential(Path dir, MemberIdentity identity, X509Certificate certificate, PrivateKey key,
      FarmTrust trust) throws CertificateEncodingException {
    this.dir = dir;
    this.identity = identity;
    this.certificate = certificate;
    this.key = key;
    this.trust = trust;
    this.encodedCertificate = Base64.getEncoder().encodeToString(certificate.getEncoded());
    this.messageKey = new Ed25519PrivateKeyParameters(new SecureRandom());
    String messagePublicKey = Base64.getEncoder().encodeToString(messageKey.generatePublicKey().getEncoded());
    this.messageSigner = encodedCertificate + "." + messagePublicKey + "."
        + sign(FarmTrust.messageKeyBinding(messagePublicKey));
    this.sessionKey = new X25519PrivateKeyParameters(new SecureRandom());
    this.sessionPublicKey = Base64.getEncoder().encodeToString(sessionKey.generatePublicKey().getEncoded());
  }

  /**
   * The credential in {@code dir}: {@code member.pem}, {@code member.key}, {@code ca.pem}.
   *
   * @throws IdentityException naming the missing or bad file, a certificate the CA did not sign, or a
   *     key that is not the certificate's
   */
  public static MemberCredential load(Path dir) throws IdentityException {
    for (String file : new String[] {FarmCa.MEMBER_CERT, FarmCa.MEMBER_KEY, FarmCa.CA_CERT}) {
      if (!Files.isRegularFile(dir.resolve(file))) {
        throw new IdentityException("member directory " + dir + " has no " + file + "; issue one with: bootfarm ca"
            + " issue --ca CA_DIR --role coordinator|worker|client NAME --out " + dir);
      }
    }
    FarmTrust trust = new FarmTrust(PemFiles.readCertificate(dir.resolve(FarmCa.CA_CERT)));
    X509Certificate certificate = PemFiles.readCertificate(dir.resolve(FarmCa.MEMBER_CERT));
    MemberIdentity identity = trust.identify(certificate);
    PrivateKey key = PemFiles.readPrivateKey(dir.resolve(FarmCa.MEMBER_KEY));
    try {
      MemberCredential credential = new MemberCredential(dir, identity, certificate, key, trust);
      byte[] probe = "bootfarm-key-probe".getBytes(StandardCharsets.US_ASCII);
      if (trust.verify(credential.encodedCertificate, probe, credential.sign(probe)).isEmpty()) {
        throw new IdentityException(dir.resolve(FarmCa.MEMBER_KEY) + " is not the key of "
            + dir.resolve(FarmCa.MEMBER_CERT) + "; issue the member anew");
      }
      return credential;
    } catch (CertificateEncodingException e) {
      throw new IdentityException(dir.resolve(FarmCa.MEMBER_CERT) + " cannot be encoded: " + e.getMessage(), e);
    }
  }

  public Path dir() {
    return dir;
  }

  public MemberIdentity identity() {
    return identity;
  }

  public X509Certificate certificate() {
    return certificate;
  }

  public X509Certificate caCertificate() {
    return trust.caCertificate();
  }

  /** The farm CA's certificate file in the member directory: what the member trusts an HTTPS coordinator by. */
  public Path caFile() {
    return dir.resolve(FarmCa.CA_CERT);
  }

  /** What this member trusts: certificates of its farm's CA. */
  public FarmTrust trust() {
    return trust;
  }

  /** This member's certificate, DER in base64: what it sends along with what it signs. */
  public String encodedCertificate() {
    return encodedCertificate;
  }

  /** {@code data} signed with this member's key, base64. */
  public String sign(byte[] data) {
    try {
      Signature signer = Signature.getInstance(FarmTrust.ALGORITHM);
      signer.initSign(key);
      signer.update(data);
      return Base64.getEncoder().encodeToString(signer.sign());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("signing with " + dir.resolve(FarmCa.MEMBER_KEY) + " failed", e);
    }
  }

  /**
   * Who signs this process's messages: its certificate, its message key and the certificate key's
   * signature over that message key ({@link FarmTrust#verifyMessage} checks all three).
   */
  public String messageSigner() {
    return messageSigner;
  }

  /** {@code data} signed with this process's message key, base64. */
  public String signMessage(byte[] data) {
    Ed25519Signer signer = new Ed25519Signer();
    signer.init(true, messageKey);
    signer.update(data, 0, data.length);
    return Base64.getEncoder().encodeToString(signer.generateSignature());
  }

  /** This process's X25519 session public key, base64: what its {@link SessionKeyClaim} vouches for. */
  public String sessionPublicKey() {
    return sessionPublicKey;
  }

  /** The next sequence number of a message MACed with this credential's session key, from 0. */
  public long nextMessageNumber() {
    return messageNumbers.getAndIncrement();
  }

  /**
   * The next nonce of a message signed with this process's message key, from 0 ({@link MessageSignatures#NONCE}):
   * each receiver accepts each nonce of one message key once (ADR 0064).
   */
  public long nextNonce() {
    return nonces.getAndIncrement();
  }

  /**
   * The X25519 secret this process shares with the holder of {@code peerPublicKey} (raw, 32 bytes).
   *
   * @throws IllegalArgumentException when the key is not 32 bytes or gives no secret (a low-order point)
   */
  public byte[] agree(byte[] peerPublicKey) {
    if (peerPublicKey.length != X25519PublicKeyParameters.KEY_SIZE) {
      throw new IllegalArgumentException("an X25519 public key has 32 bytes, not " + peerPublicKey.length);
    }
    X25519Agreement agreement = new X25519Agreement();
    agreement.init(sessionKey);
    byte[] secret = new byte[agreement.getAgreementSize()];
    try {
      agreement.calculateAgreement(new X25519PublicKeyParameters(peerPublicKey, 0), secret, 0);
    } catch (IllegalStateException lowOrder) {
      throw new IllegalArgumentException("the X25519 public key gives no shared secret", lowOrder);
    }
    return secret;
  }

  /** This member's key and certificate for TLS. */
  public PemKeyCertOptions keyCertOptions() {
    return new PemKeyCertOptions().setKeyPath(dir.resolve(FarmCa.MEMBER_KEY).toString())
        .setCertPath(dir.resolve(FarmCa.MEMBER_CERT).toString());
  }

  /** The farm CA as the only trusted root for TLS. */
  public PemTrustOptions trustOptions() {
    return new PemTrustOptions().addCertPath(caFile().toString());
  }
}
