package org.bootfarm.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;

/** Entry point of the bootfarm jar: the {@code bootfarm} command and its subcommands. */
@Command(name = "bootfarm", mixinStandardHelpOptions = true,
    description = "Reproducible bootstrap ISOs from repo definitions.",
    versionProvider = Main.JarVersion.class,
    subcommands = {CheckCommand.class})
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
    return new CommandLine(new Main());
  }

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }
}
