package org.bootfarm.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The JVMs tests start run with C1 alone and the serial collector, unless the property says otherwise. */
@Tag("unit")
class ChildJvmTest {
  private final String given = System.getProperty(ChildJvm.OPTIONS_PROPERTY);

  @AfterEach
  void restoreTheProperty() {
    if (given == null) {
      System.clearProperty(ChildJvm.OPTIONS_PROPERTY);
    } else {
      System.setProperty(ChildJvm.OPTIONS_PROPERTY, given);
    }
  }

  @Test
  void aChildJvmRunsWithC1AloneAndTheSerialCollector() throws Exception {
    System.clearProperty(ChildJvm.OPTIONS_PROPERTY);
    String flags = finalFlags(ChildJvm.command());
    assertEquals("1", flag(flags, "TieredStopAtLevel"), flags);
    assertEquals("true", flag(flags, "UseSerialGC"), flags);
  }

  @Test
  void thePropertyReplacesTheOptionsAndEmptyMeansTheJvmsDefaults() throws Exception {
    System.setProperty(ChildJvm.OPTIONS_PROPERTY, "  -Xmx256m   -XX:+UseSerialGC ");
    assertEquals(List.of("-Xmx256m", "-XX:+UseSerialGC"), ChildJvm.options());
    System.setProperty(ChildJvm.OPTIONS_PROPERTY, "");
    assertEquals(List.of(), ChildJvm.options());
    assertEquals(List.of(ChildJvm.java()), ChildJvm.command());
    String flags = finalFlags(ChildJvm.command());
    assertEquals("4", flag(flags, "TieredStopAtLevel"), "the JVM's default: " + flags);
  }

  /** What {@code -XX:+PrintFlagsFinal} says in a JVM started with {@code command}. */
  private static String finalFlags(List<String> command) throws Exception {
    List<String> run = new ArrayList<>(command);
    run.addAll(List.of("-XX:+PrintFlagsFinal", "-version"));
    Process java = new ProcessBuilder(run).redirectErrorStream(true).start();
    String output = new String(java.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(java.waitFor(60, TimeUnit.SECONDS), "java -version did not end");
    assertEquals(0, java.exitValue(), () -> run + ":\n" + output);
    return output;
  }

  private static String flag(String flags, String name) {
    Matcher m = Pattern.compile("(?m)^\\s*\\S+\\s+" + name + "\\s+=\\s+(\\S+)").matcher(flags);
    assertTrue(m.find(), () -> name + " is not among the flags:\n" + flags);
    return m.group(1);
  }
}
