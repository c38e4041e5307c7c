package org.bootfarm.cli;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;

/**
 * The main class of the small jar {@link ClassDataArchiveTest} runs through {@code deploy/bootfarm-java}: prints its
 * arguments and the text of the jar's {@code probe.txt}, so a run shows which jar's content it ran.
 */
public final class CdsProbe {
  private CdsProbe() {}

  public static void main(String[] args) throws IOException {
    try (InputStream in = CdsProbe.class.getResourceAsStream("/probe.txt")) {
      String text = in == null ? "none" : new String(in.readAllBytes(), StandardCharsets.UTF_8);
      System.out.println("probe " + String.join(" ", args) + " " + text);
    }
  }
}
