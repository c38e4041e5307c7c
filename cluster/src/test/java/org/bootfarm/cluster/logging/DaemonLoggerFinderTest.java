package org.bootfarm.cluster.logging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("unit")
class DaemonLoggerFinderTest {

  @Test
  void aMessageIsOneLineWithTimeLevelLoggerAndText() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    System.Logger log = new DaemonLoggerFinder.LineLogger("org.bootfarm.x.Y", System.Logger.Level.INFO,
        new PrintStream(bytes, true, StandardCharsets.UTF_8));
    log.log(System.Logger.Level.WARNING, "build {0} lost on {1}", "01ABC", "worker-1");
    log.log(System.Logger.Level.DEBUG, "not shown at INFO");
    String text = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(text.matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d+)?Z WARNING org\\.bootfarm\\.x\\.Y: "
        + "build 01ABC lost on worker-1\\R"), text);
  }

  @Test
  void aThrownExceptionFollowsWithItsStackTrace() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    System.Logger log = new DaemonLoggerFinder.LineLogger("n", System.Logger.Level.INFO,
        new PrintStream(bytes, true, StandardCharsets.UTF_8));
    log.log(System.Logger.Level.ERROR, "upload failed", new IllegalStateException("disk full"));
    String[] lines = bytes.toString(StandardCharsets.UTF_8).split("\\R");
    assertTrue(lines[0].endsWith("ERROR   n: upload failed"), lines[0]);
    assertEquals("java.lang.IllegalStateException: disk full", lines[1]);
    assertTrue(lines[2].startsWith("\tat "), lines[2]);
  }

  @Test
  void theThresholdIsReadFromItsNameAndAnUnknownNameMeansInfo() {
    assertEquals(System.Logger.Level.INFO, DaemonLoggerFinder.threshold(null));
    assertEquals(System.Logger.Level.DEBUG, DaemonLoggerFinder.threshold("debug"));
    assertEquals(System.Logger.Level.INFO, DaemonLoggerFinder.threshold("loud"));
    System.Logger quiet = new DaemonLoggerFinder.LineLogger("n", System.Logger.Level.WARNING, System.err);
    assertFalse(quiet.isLoggable(System.Logger.Level.INFO));
    assertTrue(quiet.isLoggable(System.Logger.Level.ERROR));
  }

  @Test
  void itIsTheLoggerFinderOfTheJvm() {
    assertInstanceOf(DaemonLoggerFinder.class, System.LoggerFinder.getLoggerFinder());
  }

  /** A message logged while the JVM shuts down (a worker draining) is still written. */
  @Test
  void aMessageLoggedInAShutdownHookIsWritten() throws Exception {
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    Process child = new ProcessBuilder(List.of(java.toString(), "-cp", System.getProperty("java.class.path"),
        ShutdownLogger.class.getName())).redirectErrorStream(true).start();
    assertTrue(child.waitFor(60, TimeUnit.SECONDS), "the child JVM did not exit");
    String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(output.contains("INFO    drain: still waiting for 1 build"), output);
  }

  /** A JVM that logs from its shutdown hook after java.util.logging's own hook has had time to run. */
  static final class ShutdownLogger {
    public static void main(String[] args) {
      System.Logger log = System.getLogger("drain");
      log.log(System.Logger.Level.INFO, "started");
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        try {
          Thread.sleep(500); // the behaviour under test: log after the other shutdown hooks ran
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        log.log(System.Logger.Level.INFO, "still waiting for 1 build");
      }));
    }
  }
}
