package org.bootfarm.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeSet;
import picocli.CommandLine;
import picocli.CommandLine.IDefaultValueProvider;
import picocli.CommandLine.Model.ArgSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParameterException;

/**
 * The optional config file of the farm commands ({@code coordinator}, {@code worker}, {@code
 * standalone}), read as picocli's default values, so a flag on the command line always wins over
 * it. Found through {@code --config FILE}, else {@code $BOOTFARM_CONFIG}, else {@code
 * /etc/bootfarm/bootfarm.conf} when that exists. One {@code key = value} per line, keys the long
 * option names without dashes ({@code http-port = 8081}); blank lines and lines starting with
 * {@code #} are skipped. The whole file is checked against the command's options the first time a
 * value is asked for, before the command starts: a key the command does not know, a value its
 * option does not accept, a line without {@code =} or a key given twice is a {@link Problem}
 * naming the file, the line and the key.
 */
final class ConfigFile implements IDefaultValueProvider {
  /** The file read when neither {@code --config} nor {@code $BOOTFARM_CONFIG} names one. */
  static final Path SYSTEM_FILE = Path.of("/etc/bootfarm/bootfarm.conf");
  /** The environment variable naming the file. */
  static final String ENVIRONMENT = "BOOTFARM_CONFIG";
  /** The option naming the file; it cannot be set in the file itself. */
  static final String OPTION = "--config";

  /** A config file that cannot be used: the command exits 2 with this message before starting anything. */
  static final class Problem extends ParameterException {
    Problem(CommandLine command, String message) {
      super(command, message);
    }
  }

  /** One {@code key = value} line. */
  private record Entry(int line, String value) {}

  private final Path file;
  private final String foundThrough;
  private final CommandLine command;
  private Map<String, Entry> entries; // read and checked on first use

  private ConfigFile(Path file, String foundThrough, CommandLine command) {
    this.file = file;
    this.foundThrough = foundThrough;
    this.command = command;
  }

  /**
   * Gives a farm subcommand its config file, if there is one: the value of {@code --config} in
   * {@code args}, else {@code $BOOTFARM_CONFIG} in {@code env}, else {@code systemFile} when it exists.
   */
  static void install(CommandLine subcommand, List<String> args, Map<String, String> env, Path systemFile) {
    locate(args, env, systemFile).ifPresent(found -> subcommand.setDefaultValueProvider(
        new ConfigFile(found.file, found.through, subcommand)));
  }

  /** Where the file is and what named it. */
  private record Found(Path file, String through) {}

  private static Optional<Found> locate(List<String> args, Map<String, String> env, Path systemFile) {
    for (int i = 0; i < args.size(); i++) {
      String arg = args.get(i);
      if (arg.equals("--")) {
        break;
      }
      if (arg.equals(OPTION) && i + 1 < args.size()) {
        return Optional.of(new Found(Path.of(args.get(i + 1)), OPTION));
      }
      if (arg.startsWith(OPTION + "=")) {
        return Optional.of(new Found(Path.of(arg.substring(OPTION.length() + 1)), OPTION));
      }
    }
    String fromEnvironment = env.get(ENVIRONMENT);
    if (fromEnvironment != null && !fromEnvironment.isBlank()) {
      return Optional.of(new Found(Path.of(fromEnvironment), "$" + ENVIRONMENT));
    }
    return Files.isRegularFile(systemFile) ? Optional.of(new Found(systemFile, "the default location"))
        : Optional.empty();
  }

  @Override
  public String defaultValue(ArgSpec arg) {
    if (!(arg instanceof OptionSpec option) || option.usageHelp() || option.versionHelp()) {
      return null;
    }
    Entry entry = entries().get(key(option));
    return entry == null ? null : entry.value();
  }

  private synchronized Map<String, Entry> entries() {
    if (entries == null) {
      entries = read();
    }
    return entries;
  }

  /** Reads the file and checks every line against the command's options. */
  private Map<String, Entry> read() {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new Problem(command, "config file " + file + " (named by " + foundThrough + ") cannot be read: "
          + e + (Files.exists(file) ? "" : "; create it or name another one"));
    }
    Map<String, OptionSpec> known = new LinkedHashMap<>();
    for (OptionSpec option : command.getCommandSpec().options()) {
      if (!option.usageHelp() && !option.versionHelp() && !option.longestName().equals(OPTION)) {
        known.put(key(option), option);
      }
    }
    Map<String, Entry> read = new LinkedHashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      int number = i + 1;
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int equals = line.indexOf('=');
      if (equals < 0) {
        throw problem(number, "'" + line + "' is not 'key = value'");
      }
      String key = line.substring(0, equals).strip();
      String value = line.substring(equals + 1).strip();
      OptionSpec option = known.get(key);
      if (option == null) {
        throw problem(number, "unknown key '" + key + "': " + command.getCommandName() + " has no option --" + key
            + "; its keys are " + String.join(", ", new TreeSet<>(known.keySet())));
      }
      Entry earlier = read.get(key);
      if (earlier != null) {
        throw problem(number, "key '" + key + "' is given twice (also on line " + earlier.line + "); keep one");
      }
      checkValue(number, key, value);
      read.put(key, new Entry(number, value));
    }
    return read;
  }

  /** Parses {@code --key=value} on a fresh instance of the command, so the option's own converter judges it. */
  private void checkValue(int line, String key, String value) {
    CommandLine probe = new CommandLine(command.getCommandSpec().userObject().getClass());
    try {
      probe.parseArgs("--" + key + "=" + value);
    } catch (ParameterException e) {
      throw problem(line, "key '" + key + "': " + e.getMessage());
    }
  }

  private Problem problem(int line, String what) {
    return new Problem(command, "config file " + file + " line " + line + ": " + what);
  }

  private static String key(OptionSpec option) {
    return option.longestName().replaceFirst("^-+", "");
  }
}
