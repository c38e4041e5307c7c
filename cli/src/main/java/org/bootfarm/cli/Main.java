package org.bootfarm.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the bootfarm jar: the {@code bootfarm} command and its subcommands. */
@Command(name = "bootfarm", mixinStandardHelpOptions = true,
    description = "Reproducible bootstrap ISOs from repo definitions.",
    subcommands = {CheckCommand.class})
public final class Main {

  /** The command line with every subcommand, for the launcher and for in-process tests. */
  public static CommandLine commandLine() {
    return new CommandLine(new Main());
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }
}
