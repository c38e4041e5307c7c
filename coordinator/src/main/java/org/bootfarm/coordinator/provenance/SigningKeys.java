package org.bootfarm.coordinator.provenance;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bootfarm.protocol.api.v1.SigningKeyInfo;
import org.bootfarm.protocol.provenance.FarmSigningKey;

/**
 * The coordinator's provenance signing key (Ed25519, the JDK's own provider) and the retired public keys it still
 * serves (ADR 0044). The key file is PEM: the PKCS#8 {@code PRIVATE KEY} and its {@code PUBLIC KEY}; made on the
 * first start as {@code <data-dir>/signing/signing.key} (directory 0700, file 0600, with {@code signing.pub}
 * beside it), or given with {@code --signing-key FILE} so that every coordinator of a farm signs with the same key.
 * Retired public keys are the {@code *.pub} PEM files in {@code retired/} beside the key file. Workers hold none.
 */
public final class SigningKeys {
  /** The key directory under the data dir, and the file names in it. */
  public static final String DIRECTORY = "signing";
  public static final String KEY_FILE = "signing.key";
  public static final String PUBLIC_FILE = "signing.pub";
  public static final String RETIRED = "retired";
  private static final Pattern PRIVATE_PEM = Pattern.compile(
      "-----BEGIN PRIVATE KEY-----([A-Za-z0-9+/=\\s]*?)-----END PRIVATE KEY-----");

  private final Path keyFile;
  private final PrivateKey privateKey;
  private final FarmSigningKey current;
  private final List<FarmSigningKey> retired;

  private SigningKeys(Path keyFile, PrivateKey privateKey, FarmSigningKey current, List<FarmSigningKey> retired) {
    this.keyFile = keyFile;
    this.privateKey = privateKey;
    this.current = current;
    this.retired = List.copyOf(retired);
  }

  /**
   * The key of {@code givenKeyFile}, else of {@code <dataDir>/signing/signing.key}, made there when missing.
   *
   * @throws IOException naming the file and what to do when it cannot be read or is no Ed25519 key pair
   */
  public static SigningKeys open(Path dataDir, Path givenKeyFile) throws IOException {
    Path file = givenKeyFile != null ? givenKeyFile : dataDir.resolve(DIRECTORY).resolve(KEY_FILE);
    if (givenKeyFile == null && !Files.exists(file)) {
      generate(file);
    } else if (!Files.isRegularFile(file)) {
      throw new IOException("--signing-key " + file + ": no such file; give the key file another coordinator of"
          + " the farm made (" + DIRECTORY + "/" + KEY_FILE + " in its data dir), or leave the flag out to make one");
    }
    String text = Files.readString(file, StandardCharsets.US_ASCII);
    PrivateKey privateKey = privateKey(file, text);
    List<FarmSigningKey> publics;
    try {
      publics = FarmSigningKey.readPem(text);
    } catch (IllegalArgumentException e) {
      throw new IOException("signing key " + file + ": " + e.getMessage());
    }
    if (publics.size() != 1) {
      throw new IOException("signing key " + file + " holds " + publics.size() + " PUBLIC KEY blocks, not 1: append"
          + " the private key's public key (openssl pkey -in " + file + " -pubout >> " + file + ")");
    }
    FarmSigningKey current = publics.get(0);
    byte[] probe = "bootfarm signing key check".getBytes(StandardCharsets.US_ASCII);
    if (!current.verifies(probe, sign(privateKey, probe))) {
      throw new IOException("signing key " + file + ": its PUBLIC KEY is not the public half of its PRIVATE KEY;"
          + " replace it with the output of: openssl pkey -in " + file + " -pubout");
    }
    return new SigningKeys(file, privateKey, current, retired(file.toAbsolutePath().getParent().resolve(RETIRED),
        current.keyid()));
  }

  /** A new key pair in {@code file} (0600, its directory 0700), its public key also in {@link #PUBLIC_FILE}. */
  private static void generate(Path file) throws IOException {
    KeyPair pair;
    try {
      pair = KeyPairGenerator.getInstance(FarmSigningKey.ALGORITHM).generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IOException("this JDK cannot make an Ed25519 key: " + e.getMessage(), e);
    }
    Path dir = file.toAbsolutePath().getParent();
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
    }
    FarmSigningKey publicKey = new FarmSigningKey(pair.getPublic());
    String pem = "-----BEGIN PRIVATE KEY-----\n" + Base64.getMimeEncoder(64, new byte[] {'\n'})
        .encodeToString(pair.getPrivate().getEncoded()) + "\n-----END PRIVATE KEY-----\n" + publicKey.pem();
    Path partial = Files.createTempFile(dir, ".signing", ".partial",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(partial, pem, StandardCharsets.US_ASCII);
    try {
      Files.move(partial, file, StandardCopyOption.ATOMIC_MOVE);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(partial, file);
    }
    Files.writeString(dir.resolve(PUBLIC_FILE), publicKey.pem(), StandardCharsets.US_ASCII);
  }

  private static PrivateKey privateKey(Path file, String text) throws IOException {
    Matcher block = PRIVATE_PEM.matcher(text);
    if (!block.find()) {
      throw new IOException("signing key " + file + " holds no PRIVATE KEY PEM block (PKCS#8): give the file a"
          + " coordinator made, or one of: openssl genpkey -algorithm ed25519");
    }
    try {
      byte[] der = Base64.getMimeDecoder().decode(block.group(1).replaceAll("\\s", ""));
      return KeyFactory.getInstance(FarmSigningKey.ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new IOException("signing key " + file + ": its PRIVATE KEY is not an Ed25519 PKCS#8 key: "
          + e.getMessage(), e);
    }
  }

  /** The public keys in {@code dir}'s {@code *.pub} files, by keyid, without {@code currentKeyid}. */
  private static List<FarmSigningKey> retired(Path dir, String currentKeyid) throws IOException {
    Map<String, FarmSigningKey> keys = new TreeMap<>();
    if (Files.isDirectory(dir)) {
      try (DirectoryStream<Path> files = Files.newDirectoryStream(dir, "*.pub")) {
        for (Path file : files) {
          try {
            FarmSigningKey.readPem(Files.readString(file, StandardCharsets.US_ASCII))
                .forEach(key -> keys.put(key.keyid(), key));
          } catch (IllegalArgumentException e) {
            throw new IOException("retired signing key " + file + ": " + e.getMessage() + "; remove the file or"
                + " put the PUBLIC KEY PEM of a retired key in it");
          }
        }
      }
    }
    keys.remove(currentKeyid);
    return new ArrayList<>(keys.values());
  }

  private static byte[] sign(PrivateKey key, byte[] message) throws IOException {
    try {
      Signature signer = Signature.getInstance(FarmSigningKey.ALGORITHM);
      signer.initSign(key);
      signer.update(message);
      return signer.sign();
    } catch (GeneralSecurityException e) {
      throw new IOException("cannot sign with the Ed25519 key: " + e.getMessage(), e);
    }
  }

  /** The Ed25519 signature of {@code message} with the current key. */
  public byte[] sign(byte[] message) throws IOException {
    return sign(privateKey, message);
  }

  public FarmSigningKey current() {
    return current;
  }

  public Path keyFile() {
    return keyFile;
  }

  /** The current key, then the retired ones, as {@code GET /api/v1/keys} lists them. */
  public List<SigningKeyInfo> keys() {
    List<SigningKeyInfo> all = new ArrayList<>();
    all.add(info(current, SigningKeyInfo.CURRENT));
    retired.forEach(key -> all.add(info(key, SigningKeyInfo.RETIRED)));
    return all;
  }

  private static SigningKeyInfo info(FarmSigningKey key, String status) {
    return new SigningKeyInfo(key.keyid(), FarmSigningKey.ALGORITHM, status,
        Base64.getEncoder().encodeToString(key.raw()), key.pem());
  }
}
