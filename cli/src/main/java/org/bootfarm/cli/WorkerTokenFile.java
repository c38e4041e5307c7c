package org.bootfarm.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Reads the token a worker sends to the artifact store from the file {@code --token-file} names (or {@code
 * BOOTFARM_TOKEN_FILE}): the file's first non-blank, non-comment line, so the token never shows in a process
 * listing. A file that cannot be read, or holds no token, stops the worker before it joins, naming the file.
 */
final class WorkerTokenFile {
  private WorkerTokenFile() {
  }

  static String read(Path file) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalArgumentException("--token-file " + file + " cannot be read (" + e + "); it must hold the"
          + " token of a client of role submit in the coordinator's tokens file, readable by this worker's user");
    }
    for (String line : text.split("\n")) {
      String token = line.strip();
      if (!token.isEmpty() && !token.startsWith("#")) {
        if (token.split("\\s+").length != 1) {
          throw new IllegalArgumentException("--token-file " + file + " holds '" + token.split("\\s+")[0]
              + " ...', more than one word: it must hold the token alone (not the tokens file's 'name token role'"
              + " line)");
        }
        return token;
      }
    }
    throw new IllegalArgumentException("--token-file " + file + " is empty: write into it the token of a client of"
        + " role submit in the coordinator's tokens file (its 'workers' line)");
  }
}
