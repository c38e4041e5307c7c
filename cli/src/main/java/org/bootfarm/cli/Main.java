package org.bootfarm.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;

/** Entry point of the bootfarm jar: the {@code bootfarm} command and its subcommands. */
@Command(name = "bootfarm", mixinStandardHelpOptions = true,
    description = "A reproducible build farm for bootable OS images.",
    versionProvider = Main.JarVersion.class,
    subcommands = {BuildCommand.class, CheckCommand.class, FarmCommands.Coordinator.class,
        FarmCommands.Worker.class, FarmCommands.Standalone.class})
public final class Main {

  /** The version recorded in the jar's manifest ("dev" when run from classes). */
  static final class JarVersion implements IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Main.class.getPackage().getImplementationVersion();
      return new String[] {"bootfarm " + (version == null ? "dev" : version)};
    }
  }

  /** The command line with every subcommand, for the launcher and for in-process tests. */
  public static CommandLine commandLine() {
    CommandLine cli = new CommandLine(new Main());
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      commandLine.getErr().println("bootfarm: " + e.getMessage());
      return 1;
    });
    return cli;
  }

  /** Runs a command line in-process and returns its exit code. */
  public static int run(String... args) {
    return commandLine().execute(args);
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }
}
