package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * Every command's {@code --help} renders whole: picocli formats option descriptions as format strings, so a bare
 * {@code %} in one (a percent default, say) prints a warning and leaves the text unformatted.
 */
@Tag("unit")
class HelpTextTest {
  @Test
  void everyCommandsHelpRendersWithoutAWarning() {
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    List<String> commands = new ArrayList<>();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      for (Map.Entry<String, CommandLine> command : Main.commandLine().getSubcommands().entrySet()) {
        String usage = command.getValue().getUsageMessage();
        assertTrue(usage.contains("Usage: bootfarm " + command.getKey()), usage);
        commands.add(command.getKey());
      }
    } finally {
      System.setErr(err);
    }
    assertTrue(commands.contains("standalone") && commands.contains("fetch"), commands::toString);
    assertEquals("", captured.toString(StandardCharsets.UTF_8), "picocli warned while rendering " + commands);
  }
}
