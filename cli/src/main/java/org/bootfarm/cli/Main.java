package org.bootfarm.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.IParameterExceptionHandler;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;

/** Entry point of the bootfarm jar: the {@code bootfarm} command and its subcommands. */
@Command(name = "bootfarm", mixinStandardHelpOptions = true,
    description = "A reproducible build farm for bootable OS images.",
    versionProvider = Main.JarVersion.class)
public final class Main {

  /**
   * Every subcommand, in the order the help lists them. They are added to the command line by
   * {@link #commandLine(List, Map, Path)}, not named in the annotation: picocli builds each one's model by reflection
   * when it is added (~0.3 s for all of them, before a build starts its first tool), and a run names one.
   */
  static final List<Class<?>> SUBCOMMANDS = List.of(BuildCommand.class, CheckCommand.class,
      FarmCommands.Coordinator.class, FarmCommands.Worker.class, FarmCommands.Standalone.class,
      ClientCommands.Submit.class, ClientCommands.Status.class, ClientCommands.ListBuilds.class,
      ClientCommands.Logs.class, ClientCommands.Fetch.class, ClientCommands.Cancel.class, ClientCommands.Repos.class,
      ClientCommands.Workers.class, RecordCommands.Rebuild.class, RecordCommands.Pin.class, RecordCommands.Unpin.class,
      RecordCommands.Gc.class, NightlyCommands.Nightly.class, NightlyCommands.Verify.class, CaCommands.class,
      ProvenanceCommands.Keys.class, ProvenanceCommands.VerifyProvenance.class);

  /** The version recorded in the jar's manifest ("dev" when run from classes). */
  static final class JarVersion implements IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = Main.class.getPackage().getImplementationVersion();
      return new String[] {"bootfarm " + (version == null ? "dev" : version)};
    }
  }

  /** The farm commands, which read the config file ({@link ConfigFile}). */
  private static final List<String> FARM_COMMANDS = List.of("coordinator", "worker", "standalone");

  /** The command line with every subcommand, for the launcher and for in-process tests. */
  public static CommandLine commandLine() {
    return commandLine(List.of(), System.getenv(), ConfigFile.SYSTEM_FILE);
  }

  /**
   * The command line for these arguments: the farm commands get the config file that {@code args}
   * (its {@code --config}), {@code env} or {@code systemFile} name.
   */
  static CommandLine commandLine(List<String> args, Map<String, String> env, Path systemFile) {
    CommandLine cli = new CommandLine(new Main());
    // a run that names a subcommand first gets that one alone; anything else (help, a typo to suggest for) all
    String first = args.isEmpty() ? "" : args.get(0);
    List<Class<?>> named = SUBCOMMANDS.stream()
        .filter(c -> c.getAnnotation(Command.class).name().equals(first)).toList();
    for (Class<?> command : named.isEmpty() ? SUBCOMMANDS : named) {
      cli.addSubcommand(command);
    }
    cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
      commandLine.getErr().println("bootfarm: " + e.getMessage());
      return 1;
    });
    for (String name : FARM_COMMANDS) {
      if (cli.getSubcommands().containsKey(name)) {
        ConfigFile.install(cli.getSubcommands().get(name), args, env, systemFile);
      }
    }
    IParameterExceptionHandler usage = cli.getParameterExceptionHandler();
    cli.setParameterExceptionHandler((e, rest) -> {
      if (e instanceof ConfigFile.Problem) {
        e.getCommandLine().getErr().println("bootfarm: " + e.getMessage());
        return 2;
      }
      return usage.handleParseException(e, rest);
    });
    return cli;
  }

  /** Runs a command line in-process and returns its exit code. */
  public static int run(String... args) {
    return commandLine(List.of(args), System.getenv(), ConfigFile.SYSTEM_FILE).execute(args);
  }

  public static void main(String[] args) {
    System.exit(run(args));
  }
}
