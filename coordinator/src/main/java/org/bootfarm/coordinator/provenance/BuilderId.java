package org.bootfarm.coordinator.provenance;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The {@code builder.id} every statement of a farm names (ADR 0044): one URI for the farm, the same on each of its
 * coordinators, on every start and across key rotation, so that a consumer's policy can name the farm it trusts.
 * It is {@code --builder-id URI} when the operator gives one; else the {@value #FILE} file beside the signing key,
 * written the first time as {@code urn:bootfarm:farm:<keyid of the key then current>} and kept from then on
 * (rotation replaces the key files, not this one; coordinators sharing the key directory share it too).
 */
public final class BuilderId {
  /** The file beside the signing key that holds the farm's builder id. */
  public static final String FILE = "builder-id";
  /** The prefix of a builder id the farm chose itself. */
  public static final String FARM_URN = "urn:bootfarm:farm:";
  private static final System.Logger LOG = System.getLogger(BuilderId.class.getName());

  private BuilderId() {}

  /**
   * The builder id to sign with: {@code given} when not null, else the one recorded beside {@code keys}' key
   * file, recorded there now when missing.
   *
   * @throws IOException naming the flag or file when the URI is not absolute, or the file cannot be read
   */
  public static String of(String given, SigningKeys keys) throws IOException {
    if (given != null) {
      return checked(given, "--builder-id");
    }
    Path file = keys.keyFile().toAbsolutePath().getParent().resolve(FILE);
    if (Files.isRegularFile(file)) {
      return checked(Files.readString(file, StandardCharsets.UTF_8).strip(), file.toString());
    }
    String made = FARM_URN + keys.current().keyid();
    try {
      Files.writeString(file, made + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      LOG.log(System.Logger.Level.WARNING, "bootfarm coordinator: cannot record the farm's builder id in " + file
          + " (" + e.getMessage() + "): statements name " + made + " until the key rotates; give --builder-id URI"
          + " to keep one name");
    }
    return made;
  }

  private static String checked(String id, String where) throws IOException {
    try {
      if (!id.isEmpty() && new URI(id).isAbsolute()) {
        return id;
      }
    } catch (URISyntaxException e) {
      // said below
    }
    throw new IOException(where + ": the builder id '" + id + "' is no absolute URI; give one such as"
        + " https://farm.example.org/bootfarm or " + FARM_URN + "NAME");
  }
}
