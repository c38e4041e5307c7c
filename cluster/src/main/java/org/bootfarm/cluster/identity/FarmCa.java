package org.bootfarm.cluster.identity;

import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import org.bootfarm.cluster.NodeRole;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * The farm's certificate authority: a directory holding {@code ca.pem} (the certificate every member
 * trusts) and {@code ca.key} (owner-only; whoever reads it can make members), and the member
 * certificates it issues. A member directory holds {@code member.pem}, {@code member.key} and a copy
 * of {@code ca.pem}: what a node needs to join the event bus ({@link MemberCredential}). Keys are
 * EC P-256, signatures SHA256withECDSA; a member certificate names its holder in the common name and
 * its role in the organizational unit, and serves as TLS client and server alike.
 */
public final class FarmCa {
  public static final String CA_CERT = "ca.pem";
  public static final String CA_KEY = "ca.key";
  public static final String MEMBER_CERT = "member.pem";
  public static final String MEMBER_KEY = "member.key";
  /** The organization every farm certificate names; the CA's certificate says which farm. */
  static final String ORGANIZATION = "bootfarm";
  static final Duration CA_VALIDITY = Duration.ofDays(3650);
  static final Duration MEMBER_VALIDITY = Duration.ofDays(825);
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Path dir;
  private final X509Certificate certificate;
  private final PrivateKey key;

  private FarmCa(Path dir, X509Certificate certificate, PrivateKey key) {
    this.dir = dir;
    this.certificate = certificate;
    this.key = key;
  }

  /**
   * Makes a new CA in {@code dir} ({@code farmName} goes into its certificate's name).
   *
   * @throws IdentityException when {@code dir} holds a CA already (never replaced) or cannot be written
   */
  public static FarmCa init(Path dir, String farmName) throws IdentityException {
    if (Files.exists(dir.resolve(CA_KEY)) || Files.exists(dir.resolve(CA_CERT))) {
      throw new IdentityException(dir + " holds a farm CA already; bootfarm never replaces one (issue members from"
          + " it with: bootfarm ca issue --ca " + dir + " ..., or pick another directory)");
    }
    try {
      KeyPair pair = newKeyPair();
      X500Name name = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, ORGANIZATION)
          .addRDN(BCStyle.CN, "bootfarm CA " + farmName).build();
      Instant now = Instant.now();
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(name, serial(),
          Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(CA_VALIDITY)), name, pair.getPublic());
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
      builder.addExtension(Extension.subjectKeyIdentifier, false,
          extensions.createSubjectKeyIdentifier(pair.getPublic()));
      X509Certificate certificate = sign(builder, pair.getPrivate());
      Files.createDirectories(dir);
      PemFiles.writeNew(dir.resolve(CA_KEY), PemFiles.privateKeyPem(pair.getPrivate()), true);
      PemFiles.writeNew(dir.resolve(CA_CERT), PemFiles.certificatePem(certificate), false);
      return new FarmCa(dir, certificate, pair.getPrivate());
    } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
      throw new IdentityException("cannot make a farm CA in " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * The CA in {@code dir}, which must hold its key.
   *
   * @throws IdentityException naming the missing or unreadable file
   */
  public static FarmCa load(Path dir) throws IdentityException {
    if (!Files.isRegularFile(dir.resolve(CA_KEY))) {
      throw new IdentityException(dir + " holds no farm CA key " + CA_KEY + "; make a CA with: bootfarm ca init "
          + dir);
    }
    return new FarmCa(dir, PemFiles.readCertificate(dir.resolve(CA_CERT)), PemFiles.readPrivateKey(dir.resolve(CA_KEY)));
  }

  /** The CA in {@code dir}, made first when the directory holds none (a farm's first start). */
  public static FarmCa loadOrInit(Path dir, String farmName) throws IdentityException {
    return Files.exists(dir.resolve(CA_KEY)) ? load(dir) : init(dir, farmName);
  }

  /** Where this CA lives. */
  public Path dir() {
    return dir;
  }

  /** The certificate members trust. */
  public X509Certificate certificate() {
    return certificate;
  }

  /**
   * Issues {@code member} a key and certificate into {@code memberDir} ({@code member.pem}, {@code
   * member.key}, {@code ca.pem}), and loads them.
   *
   * @throws IdentityException when the directory holds a member already or cannot be written
   */
  public MemberCredential issue(MemberIdentity member, Path memberDir) throws IdentityException {
    return issue(member, memberDir, List.of());
  }

  /**
   * {@link #issue(MemberIdentity, Path)} with {@code hosts} (DNS names or IP addresses) as the
   * certificate's subject alternative names, so that it can serve HTTPS to clients that check them
   * (a coordinator's API with {@code --tls-cert}).
   *
   * @throws IdentityException also for a host that is neither a DNS name nor an IP address
   */
  public MemberCredential issue(MemberIdentity member, Path memberDir, List<String> hosts) throws IdentityException {
    List<GeneralName> names = new ArrayList<>();
    for (String host : hosts) {
      if (host.matches("[0-9.]+") || host.contains(":")) {
        try {
          names.add(new GeneralName(GeneralName.iPAddress, host));
        } catch (IllegalArgumentException e) {
          throw new IdentityException("host '" + host + "' is not an IP address", e);
        }
      } else if (host.matches("(?i)(\\*\\.)?[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*")) {
        names.add(new GeneralName(GeneralName.dNSName, host));
      } else {
        throw new IdentityException("host '" + host + "' is neither a DNS name nor an IP address");
      }
    }
    if (Files.exists(memberDir.resolve(MEMBER_KEY))) {
      throw new IdentityException(memberDir + " holds a member key already; bootfarm never replaces one (move the"
          + " directory away to issue anew)");
    }
    try {
      KeyPair pair = newKeyPair();
      X500Name subject = new X500NameBuilder(BCStyle.INSTANCE).addRDN(BCStyle.O, ORGANIZATION)
          .addRDN(BCStyle.OU, MemberIdentity.roleName(member.role())).addRDN(BCStyle.CN, member.name()).build();
      Instant now = Instant.now();
      X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(certificate, serial(),
          Date.from(now.minus(Duration.ofHours(1))), Date.from(now.plus(MEMBER_VALIDITY)), subject, pair.getPublic());
      JcaX509ExtensionUtils extensions = new JcaX509ExtensionUtils();
      builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
      builder.addExtension(Extension.keyUsage, true, new KeyUsage(KeyUsage.digitalSignature));
      builder.addExtension(Extension.extendedKeyUsage, false,
          new ExtendedKeyUsage(new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
      builder.addExtension(Extension.subjectKeyIdentifier, false,
          extensions.createSubjectKeyIdentifier(pair.getPublic()));
      builder.addExtension(Extension.authorityKeyIdentifier, false,
          extensions.createAuthorityKeyIdentifier(certificate));
      if (!names.isEmpty()) {
        builder.addExtension(Extension.subjectAlternativeName, false,
            new GeneralNames(names.toArray(GeneralName[]::new)));
      }
      X509Certificate issued = sign(builder, key);
      Files.createDirectories(memberDir);
      PemFiles.writeNew(memberDir.resolve(MEMBER_KEY), PemFiles.privateKeyPem(pair.getPrivate()), true);
      PemFiles.writeNew(memberDir.resolve(MEMBER_CERT), PemFiles.certificatePem(issued), false);
      Files.deleteIfExists(memberDir.resolve(CA_CERT));
      PemFiles.writeNew(memberDir.resolve(CA_CERT), PemFiles.certificatePem(certificate), false);
      return MemberCredential.load(memberDir);
    } catch (IOException | GeneralSecurityException | OperatorCreationException e) {
      throw new IdentityException("cannot issue " + member + " into " + memberDir + ": " + e.getMessage(), e);
    }
  }

  /**
   * The credential in {@code memberDir} when it is this CA's for {@code member}; else one issued now
   * (a one-machine farm's nodes issue their own from the CA they share). A directory holding another
   * member's certificate, or another CA's, is refused rather than replaced.
   */
  public MemberCredential issueOrLoad(MemberIdentity member, Path memberDir) throws IdentityException {
    if (!Files.exists(memberDir.resolve(MEMBER_KEY))) {
      return issue(member, memberDir);
    }
    MemberCredential existing = MemberCredential.load(memberDir);
    if (!existing.identity().equals(member) || !existing.caCertificate().equals(certificate)) {
      throw new IdentityException(memberDir + " holds the certificate of " + existing.identity() + " from "
          + existing.caCertificate().getSubjectX500Principal().getName() + ", not of " + member + " from "
          + certificate.getSubjectX500Principal().getName() + "; move it away to issue anew");
    }
    return existing;
  }

  private static KeyPair newKeyPair() throws GeneralSecurityException {
    KeyPairGenerator generator = KeyPairGenerator.getInstance("EC");
    generator.initialize(new ECGenParameterSpec("secp256r1"), RANDOM);
    return generator.generateKeyPair();
  }

  private static BigInteger serial() {
    return new BigInteger(127, RANDOM).add(BigInteger.ONE);
  }

  private static X509Certificate sign(X509v3CertificateBuilder builder, PrivateKey signer)
      throws OperatorCreationException, GeneralSecurityException {
    return new JcaX509CertificateConverter().getCertificate(
        builder.build(new JcaContentSignerBuilder("SHA256withECDSA").build(signer)));
  }
}
