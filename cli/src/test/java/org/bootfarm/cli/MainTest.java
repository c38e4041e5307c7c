package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import picocli.CommandLine.Command;

/** The command line builds the model of the subcommand a run names, and of all of them when it names none. */
@Tag("unit")
class MainTest {

  private static final Path NO_CONFIG = Path.of("/nonexistent/bootfarm.conf");

  private static Set<String> subcommands(String... args) {
    return Main.commandLine(List.of(args), Map.of(), NO_CONFIG).getSubcommands().keySet();
  }

  @Test
  void aRunNamingASubcommandGetsThatOneAlone() {
    assertEquals(Set.of("build"), subcommands("build", "repos/debian-12"));
    assertEquals(Set.of("worker"), subcommands("worker", "--coordinator", "127.0.0.1"));
    assertEquals(Set.of("ca"), subcommands("ca", "init"));
  }

  @Test
  void helpATypoOrNothingGetsEverySubcommand() {
    Set<String> all = Main.SUBCOMMANDS.stream().map(c -> c.getAnnotation(Command.class).name())
        .collect(Collectors.toSet());
    assertEquals(Main.SUBCOMMANDS.size(), all.size(), "every subcommand has a name of its own");
    assertEquals(all, subcommands());
    assertEquals(all, subcommands("--help"));
    assertEquals(all, subcommands("bulid"), "picocli suggests from all of them");
    assertEquals(all, Main.commandLine().getSubcommands().keySet());
  }
}
