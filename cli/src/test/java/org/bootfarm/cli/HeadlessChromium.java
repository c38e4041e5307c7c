package org.bootfarm.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Renders a page in Debian's headless Chromium and returns the DOM it built, for tests of the HTML
 * the coordinator serves: what a browser makes of the page, not what the server wrote. Runs as root
 * here, so Chromium's own sandbox is off ({@code --no-sandbox}); each run gets a fresh profile.
 */
final class HeadlessChromium {
  private HeadlessChromium() {}

  /** The serialized DOM of {@code url} (http: or file:) after Chromium loaded and ran it. */
  static String dumpDom(String url) throws IOException, InterruptedException {
    Path profile = Files.createTempDirectory("bootfarm-chromium-");
    Path out = profile.resolve("dom.html");
    Path err = profile.resolve("stderr.txt");
    try {
      Process chromium = new ProcessBuilder(List.of("chromium", "--headless", "--no-sandbox", "--disable-gpu",
          "--user-data-dir=" + profile.resolve("profile"), "--dump-dom", url))
          .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!chromium.waitFor(90, TimeUnit.SECONDS)) {
        chromium.destroyForcibly();
        throw new IOException("chromium did not render " + url + " within 90 s");
      }
      String dom = Files.readString(out, StandardCharsets.UTF_8);
      if (chromium.exitValue() != 0 || dom.isBlank()) {
        throw new IOException("chromium exited " + chromium.exitValue() + " rendering " + url + ": "
            + Files.readString(err, StandardCharsets.UTF_8));
      }
      return dom;
    } finally {
      try (var files = Files.walk(profile)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
