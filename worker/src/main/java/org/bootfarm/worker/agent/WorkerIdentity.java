package org.bootfarm.worker.agent;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.bootfarm.protocol.api.v1.WorkerInfo;

/**
 * A worker's stable id, the name placement hashes repos to, so a restarted worker gets its repos
 * (and its warm caches) back: {@code --worker-id} when given, else the one kept in
 * {@code <data-dir>/worker-id}, created on the first start as {@code <hostname>-<8 random hex>}.
 */
public final class WorkerIdentity {
  /** The file under the data dir that keeps the id. */
  public static final String FILE_NAME = "worker-id";

  private WorkerIdentity() {}

  /**
   * The worker's id: {@code flag} when not null (checked), else the data dir's.
   *
   * @throws IllegalArgumentException when the flag, or the kept file, holds an invalid id
   */
  public static String resolve(String flag, Path dataDir) throws IOException {
    if (flag != null) {
      if (!flag.matches(WorkerInfo.ID_PATTERN)) {
        throw new IllegalArgumentException("--worker-id '" + flag + "' is not 1-64 letters, digits, '.', '_' or '-'"
            + " (it becomes part of an event-bus address); choose such a name, e.g. build-7");
      }
      return flag;
    }
    Path file = dataDir.resolve(FILE_NAME);
    if (Files.exists(file)) {
      String kept = Files.readString(file, StandardCharsets.UTF_8).strip();
      if (!kept.matches(WorkerInfo.ID_PATTERN)) {
        throw new IllegalArgumentException(file + " holds '" + kept + "', not a worker id (1-64 letters, digits,"
            + " '.', '_' or '-'): fix the file, delete it for a new id, or give --worker-id");
      }
      return kept;
    }
    byte[] random = new byte[4];
    new SecureRandom().nextBytes(random);
    String created = hostName() + "-" + HexFormat.of().formatHex(random);
    Files.createDirectories(dataDir);
    Path temporary = Files.createTempFile(dataDir, FILE_NAME, ".tmp");
    Files.writeString(temporary, created + "\n", StandardCharsets.UTF_8);
    Files.move(temporary, file, StandardCopyOption.ATOMIC_MOVE);
    return created;
  }

  /** This machine's host name reduced to worker-id characters, short enough for the hex suffix. */
  static String hostName() {
    String name;
    try {
      name = InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      name = "worker";
    }
    name = name.replaceAll("[^A-Za-z0-9._-]", "-");
    if (name.isEmpty()) {
      name = "worker";
    }
    return name.length() > 55 ? name.substring(0, 55) : name;
  }
}
