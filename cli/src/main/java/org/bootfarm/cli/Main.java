package org.bootfarm.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** Entry point of the bootfarm jar: {@code bootfarm <command> ...}. */
@Command(name = "bootfarm", mixinStandardHelpOptions = true,
    description = "A reproducible build farm for bootable OS images.",
    subcommands = {BuildCommand.class, CheckCommand.class})
public final class Main {
  public static void main(String[] args) {
    System.exit(run(args));
  }

  /** Runs a command line in-process and returns its exit code (tests call this). */
  public static int run(String... args) {
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      commandLine.getErr().println("bootfarm: " + e.getMessage());
      return 1;
    });
    return cli.execute(args);
  }
}
