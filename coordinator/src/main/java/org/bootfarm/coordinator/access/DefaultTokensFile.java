package org.bootfarm.coordinator.access;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * The coordinator's tokens file when the operator names none: {@code <data-dir>/access-tokens}, readable by
 * its owner only, made on first start with a {@code local} client of role {@code admin} (the CLI on this
 * machine and the embedded farm use it) and a {@code workers} client of role {@code submit} (the workers
 * this farm starts in-process, and those given its token with {@code --token-file}). A {@code bridge-tokens}
 * file of an older bootfarm there is moved to the new name. Because the farm wrote the {@code local} line
 * itself, a {@code local} line without a role is given {@code admin}, and a missing {@code workers} line is
 * added; each change is logged. The {@code workers} token alone is also written to {@code
 * <data-dir>/workers-token} (owner only, rewritten at each start from the tokens file): the file a worker
 * that shares this volume (compose) or got a copy of it is given with {@code --token-file}.
 */
public final class DefaultTokensFile {
  private static final System.Logger LOG = System.getLogger(DefaultTokensFile.class.getName());
  public static final String NAME = "access-tokens";
  /** The name of the default file before roles, moved to {@link #NAME} on start. */
  public static final String OLD_NAME = "bridge-tokens";
  public static final String LOCAL_CLIENT = "local";
  public static final String WORKERS_CLIENT = "workers";
  /** The file beside the tokens file holding the {@code workers} token alone. */
  public static final String WORKERS_TOKEN_FILE = "workers-token";

  private DefaultTokensFile() {
  }

  /** The default file in {@code coordinatorDataDir}, made, moved or completed as the class says. */
  public static Path prepare(Path coordinatorDataDir) throws IOException {
    Files.createDirectories(coordinatorDataDir);
    Path file = coordinatorDataDir.resolve(NAME);
    Path old = coordinatorDataDir.resolve(OLD_NAME);
    if (Files.notExists(file) && Files.exists(old)) {
      try {
        Files.move(old, file);
        LOG.log(System.Logger.Level.INFO, "tokens file {0} moved to {1}: the HTTP API and the bridge share it now",
            old, file);
      } catch (FileAlreadyExistsException e) {
        // another coordinator on this data dir moved it first
      }
    }
    if (Files.notExists(file)) {
      write(file, "# bootfarm clients: one 'name token [read|submit|admin]' per line (no role: submit);"
          + " delete a line to revoke it\n" + LOCAL_CLIENT + " " + newToken() + " admin\n"
          + WORKERS_CLIENT + " " + newToken() + " submit\n", false);
    } else {
      complete(file);
    }
    Optional<String> workers = tokenOf(file, WORKERS_CLIENT);
    Path workersFile = coordinatorDataDir.resolve(WORKERS_TOKEN_FILE);
    if (workers.isPresent() && !(Files.exists(workersFile)
        && Files.readString(workersFile, StandardCharsets.UTF_8).strip().equals(workers.get()))) {
      write(workersFile, workers.get() + "\n", true);
    }
    return file;
  }

  /** Gives a role-less {@code local} line {@code admin} and adds a missing {@code workers} line. */
  private static void complete(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    List<String> updated = new ArrayList<>();
    boolean workers = false;
    boolean changed = false;
    for (String line : lines) {
      String[] fields = line.strip().split("\\s+");
      if (fields.length == 2 && fields[0].equals(LOCAL_CLIENT)) {
        line = line.strip() + " admin";
        changed = true;
        LOG.log(System.Logger.Level.INFO, "tokens file {0}: the ''local'' client, which the farm made itself, gets"
            + " role admin (a line without a role means submit)", file);
      }
      workers |= fields[0].equals(WORKERS_CLIENT);
      updated.add(line);
    }
    if (!workers) {
      updated.add(WORKERS_CLIENT + " " + newToken() + " submit");
      changed = true;
      LOG.log(System.Logger.Level.INFO, "tokens file {0}: added a ''workers'' client (role submit) for the workers"
          + " to upload and download artifacts with", file);
    }
    if (changed) {
      write(file, String.join("\n", updated) + "\n", true);
    }
  }

  /** The token of {@code client} in a tokens file, if it has a line. */
  public static Optional<String> tokenOf(Path file, String client) throws IOException {
    for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
      String[] fields = line.strip().split("\\s+");
      if (fields.length >= 2 && fields[0].equals(client)) {
        return Optional.of(fields[1]);
      }
    }
    return Optional.empty();
  }

  /** A fresh random token: 32 bytes as hex. */
  public static String newToken() {
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    return HexFormat.of().formatHex(secret);
  }

  private static void write(Path file, String text, boolean replace) throws IOException {
    Path temp = Files.createTempFile(file.getParent(), NAME, ".new",
        PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(temp, text);
    try {
      if (replace) {
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } else {
        Files.move(temp, file);
      }
    } catch (FileAlreadyExistsException e) {
      Files.deleteIfExists(temp); // another coordinator on this data dir wrote it first
    }
  }
}
