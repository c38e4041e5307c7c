package org.bootfarm.coordinator.access;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.AccessRole;
import org.bootfarm.protocol.api.v1.Caller;

/**
 * The farm's access list, read from a tokens file of {@code name token [role]} lines (one client per line,
 * {@code #} comments; role {@code read}, {@code submit} or {@code admin}, {@code submit} when left out), so
 * that one client's access can be revoked by deleting its line. The HTTP API and the bridge both check
 * tokens against it. Only the tokens' sha256 are held; a presented token is hashed before it is looked up,
 * so the lookup reveals nothing through its timing.
 */
public final class AccessTokens {
  /** The shortest token accepted: shorter ones are guessable. */
  public static final int MIN_TOKEN_LENGTH = 16;
  /** The role of a line that names none: what every bridge client could do before roles existed. */
  public static final AccessRole DEFAULT_ROLE = AccessRole.SUBMIT;

  /** A tokens file that cannot be used, with every problem found (file, line, what to do). */
  public static final class TokensFileException extends Exception {
    public TokensFileException(String message) {
      super(message);
    }
  }

  private final Path file;
  private final FileTime readAt;
  private final Map<String, Caller> callersByTokenSha256;

  private AccessTokens(Path file, FileTime readAt, Map<String, Caller> callersByTokenSha256) {
    this.file = file;
    this.readAt = readAt;
    this.callersByTokenSha256 = Map.copyOf(callersByTokenSha256);
  }

  /** Reads the file, refusing it whole when any line is wrong. */
  public static AccessTokens read(Path file) throws TokensFileException {
    List<String> lines;
    FileTime modified;
    try {
      modified = Files.getLastModifiedTime(file);
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new TokensFileException("tokens file " + file + " cannot be read (" + e.getMessage()
          + "); create it with one 'name token [read|submit|admin]' line per client");
    }
    List<String> problems = new ArrayList<>();
    Map<String, Caller> callers = new HashMap<>();
    Map<String, Integer> lineOfName = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      int number = i + 1;
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] fields = line.split("\\s+");
      if (fields.length != 2 && fields.length != 3) {
        problems.add(file + ":" + number + ": expected 'name token [read|submit|admin]', found " + fields.length
            + " fields");
        continue;
      }
      String name = fields[0];
      String token = fields[1];
      if (!name.matches("[A-Za-z0-9._@-]{1,64}")) {
        problems.add(file + ":" + number + ": name '" + name + "' must be 1-64 letters, digits, '.', '_', '@' or '-'");
      }
      Optional<AccessRole> role = fields.length == 3 ? AccessRole.ofWord(fields[2]) : Optional.of(DEFAULT_ROLE);
      if (role.isEmpty()) {
        problems.add(file + ":" + number + ": the role of '" + name + "' is '" + fields[2]
            + "'; write read, submit or admin (or nothing, for submit)");
        continue;
      }
      if (token.length() < MIN_TOKEN_LENGTH) {
        problems.add(file + ":" + number + ": the token of '" + name + "' is shorter than " + MIN_TOKEN_LENGTH
            + " characters; generate one with: openssl rand -hex 32");
        continue;
      }
      Integer earlier = lineOfName.putIfAbsent(name, number);
      if (earlier != null) {
        problems.add(file + ":" + number + ": name '" + name + "' is already used on line " + earlier);
      }
      if (callers.putIfAbsent(Sha256.of(token.getBytes(StandardCharsets.UTF_8)), Caller.ofToken(name, role.get())) != null) {
        problems.add(file + ":" + number + ": the token of '" + name + "' is also another client's token;"
            + " every client needs its own");
      }
    }
    if (!problems.isEmpty()) {
      throw new TokensFileException(String.join("\n", problems));
    }
    return new AccessTokens(file, modified, callers);
  }

  /** The client a token belongs to, with its role, if it is on the list. */
  public Optional<Caller> callerOf(String token) {
    if (token == null || token.isEmpty()) {
      return Optional.empty();
    }
    return Optional.ofNullable(callersByTokenSha256.get(Sha256.of(token.getBytes(StandardCharsets.UTF_8))));
  }

  public int size() {
    return callersByTokenSha256.size();
  }

  public Path file() {
    return file;
  }

  /** An empty list: every call is refused (what the servers fall back to when the file goes bad). */
  public static AccessTokens none(Path file) {
    return new AccessTokens(file, FileTime.fromMillis(0), Map.of());
  }

  /**
   * This list again if the file did not change since it was read, else the file read anew. The
   * caller decides what a file that went bad means; {@link LiveTokens} refuses everyone until it is fixed,
   * because keeping the old list would silently keep a revoked token valid.
   */
  public AccessTokens reloadIfChanged() throws TokensFileException {
    try {
      if (Files.getLastModifiedTime(file).equals(readAt)) {
        return this;
      }
    } catch (IOException e) {
      throw new TokensFileException("tokens file " + file + " cannot be read any more (" + e.getMessage() + ")");
    }
    return read(file);
  }
}
