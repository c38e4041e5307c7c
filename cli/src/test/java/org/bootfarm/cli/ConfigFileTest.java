package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine.ParseResult;

/**
 * The farm commands' config file through the real picocli command line: values in it are used,
 * flags win over it, and a key or value it cannot take stops the command with exit 2 and a message
 * naming the file, line and key before anything starts.
 */
@Tag("unit")
class ConfigFileTest {
  @TempDir Path dir;

  Path config(String text) throws Exception {
    return Files.writeString(dir.resolve("bootfarm.conf"), text);
  }

  /** Parses the arguments as the launcher would, with this environment and system file; returns the subcommand. */
  Object parse(Map<String, String> env, Path systemFile, String... args) {
    ParseResult result = Main.commandLine(List.of(args), env, systemFile).parseArgs(args);
    return result.subcommand().commandSpec().userObject();
  }

  Object parse(String... args) {
    return parse(Map.of(), dir.resolve("absent.conf"), args);
  }

  @Test
  void valuesFromTheFileAreUsed() throws Exception {
    Path file = config("""
        # the farm's coordinator
        http-port = 8081
        join = 10.0.0.1:5701,10.0.0.2:5701

          keep-builds=3
        collect-every = 30m
        data-dir = /srv/bootfarm
        """);
    var coordinator = (FarmCommands.Coordinator) parse("coordinator", "--config", file.toString());
    assertEquals(8081, coordinator.options.httpPort);
    assertEquals("10.0.0.1:5701,10.0.0.2:5701", coordinator.farm.join);
    assertEquals(3, coordinator.options.keepBuilds);
    assertEquals(Duration.ofMinutes(30), coordinator.options.collectEvery);
    assertEquals(Path.of("/srv/bootfarm"), coordinator.farm.dataDir);
    assertEquals("127.0.0.1", coordinator.options.httpHost, "a key not in the file keeps its default");
  }

  @Test
  void allowUnsignedIsACommaListInTheFileAndRepeatableOnTheCommandLine() throws Exception {
    Path file = config("allow-unsigned = fixture-a, fixture-b\n");
    var coordinator = (FarmCommands.Coordinator) parse("coordinator", "--config", file.toString());
    assertEquals(java.util.Set.of("fixture-a", "fixture-b"), coordinator.options.settings(coordinator.farm)
        .allowUnsigned());
    var flagged = (FarmCommands.Standalone) parse("standalone", "--allow-unsigned", "x", "--allow-unsigned", "y,z");
    assertEquals(List.of("x", "y", "z"), flagged.coordinatorOptions.allowUnsigned);
    assertEquals(List.of(), ((FarmCommands.Coordinator) parse("coordinator")).options.allowUnsigned,
        "by default no repo may go unsigned");
  }

  @Test
  void flagWinsOverTheFile() throws Exception {
    Path file = config("http-port = 8081\nslots = 4\n");
    var standalone = (FarmCommands.Standalone) parse("standalone", "--http-port", "9090", "--config=" + file);
    assertEquals(9090, standalone.coordinatorOptions.httpPort);
    assertEquals(4, standalone.workerOptions.slots);
  }

  @Test
  void workerMetricsAddressComesFromTheFileOrItsDefault() throws Exception {
    var defaults = (FarmCommands.Worker) parse("worker");
    assertEquals("127.0.0.1", defaults.options.metrics.host);
    assertEquals(null, defaults.options.metrics.port, "no port given: the first free one from 9101 (MetricsAddress)");
    Path file = config("metrics-host = 0.0.0.0\nmetrics-port = 0\n");
    var configured = (FarmCommands.Standalone) parse("standalone", "--config", file.toString());
    assertEquals("0.0.0.0", configured.workerOptions.metrics.host);
    assertEquals(0, configured.workerOptions.metrics.port, "0 serves no metrics");
    var fixed = (FarmCommands.Worker) parse("worker", "--config", config("metrics-port = 9105\n").toString());
    assertEquals(9105, fixed.options.metrics.port, "a port in the file is given explicitly, as on the command line");
  }

  @Test
  void fileIsFoundThroughTheEnvironmentThenTheSystemLocation() throws Exception {
    Path fromEnvironment = config("slots = 3\n");
    Path system = Files.writeString(dir.resolve("system.conf"), "slots = 5\n");
    Path flagged = Files.writeString(dir.resolve("flagged.conf"), "slots = 7\n");
    Map<String, String> env = Map.of(ConfigFile.ENVIRONMENT, fromEnvironment.toString());
    assertEquals(3, ((FarmCommands.Worker) parse(env, system, "worker")).options.slots);
    assertEquals(5, ((FarmCommands.Worker) parse(Map.of(), system, "worker")).options.slots);
    assertEquals(7, ((FarmCommands.Worker) parse(env, system, "worker", "--config", flagged.toString())).options.slots);
    assertEquals(1, ((FarmCommands.Worker) parse(Map.of(), dir.resolve("absent.conf"), "worker")).options.slots);
  }

  @Test
  void unknownKeyStopsTheCommandNamingFileLineAndKey() throws Exception {
    Path file = config("# coordinator\nhttp-port = 8081\nhtp-port = 8082\n");
    CliRun run = CliRun.inProcess("coordinator", "--config", file.toString(), "--data-dir", dir.toString());
    assertEquals(2, run.exitCode, run::toString);
    assertTrue(run.stderr.contains("config file " + file + " line 3: unknown key 'htp-port'"), run::toString);
    assertTrue(run.stderr.contains("http-port"), "names the keys it knows: " + run.stderr);
    assertFalse(run.stdout.contains("ready"), run::toString);
    assertFalse(Files.exists(dir.resolve("coordinator")), "nothing was started in the data dir");
  }

  @Test
  void keyOfAnotherCommandIsUnknownToThisOne() throws Exception {
    Path file = config("slots = 2\n");
    CliRun run = CliRun.inProcess("coordinator", "--config", file.toString(), "--data-dir", dir.toString());
    assertEquals(2, run.exitCode, run::toString);
    assertTrue(run.stderr.contains("line 1: unknown key 'slots': coordinator has no option --slots"), run::toString);
  }

  @Test
  void valueThatDoesNotParseStopsTheCommandNamingFileLineAndKey() throws Exception {
    List<String> bad = List.of("http-port = eighty", "collect-every = soon", "slots = -", "no equals sign here",
        "slots = 1\nslots = 2", "keep-builds = -1", "collect-every = 0s");
    List<String> expected = List.of("line 1: key 'http-port'", "line 1: key 'collect-every'", "line 1: key 'slots'",
        "line 1: 'no equals sign here' is not 'key = value'", "line 2: key 'slots' is given twice",
        "line 1: key 'keep-builds'", "line 1: key 'collect-every'");
    List<String> failures = new ArrayList<>();
    for (int i = 0; i < bad.size(); i++) {
      Path file = config(bad.get(i) + "\n");
      String command = bad.get(i).startsWith("slots") ? "worker" : "coordinator";
      CliRun run = CliRun.inProcess(command, "--config", file.toString(), "--data-dir", dir.toString());
      if (run.exitCode != 2 || !run.stderr.contains("config file " + file + " " + expected.get(i))) {
        failures.add(bad.get(i) + " -> " + run);
      }
    }
    assertEquals(List.of(), failures);
    CliRun eighty = CliRun.inProcess("coordinator", "--config", config("http-port = eighty\n").toString());
    assertTrue(eighty.stderr.contains("'eighty' is not an int"), eighty::toString);
  }

  @Test
  void processGivenABadFileThroughTheEnvironmentExits2BeforeStarting() throws Exception {
    Path file = config("cluster-port = 5701\nslotz = 2\n");
    CliRun run = CliRun.subprocess(List.of(), Map.of(ConfigFile.ENVIRONMENT, file.toString()),
        "worker", "--data-dir", dir.toString());
    assertEquals(2, run.exitCode, run::toString);
    assertTrue(run.stderr.startsWith("bootfarm: config file " + file + " line 2: unknown key 'slotz'"), run::toString);
    assertFalse(run.stdout.contains("ready"), run::toString);
  }

  @Test
  void missingNamedFileStopsTheCommand() {
    Path absent = dir.resolve("nosuch.conf");
    CliRun run = CliRun.inProcess("worker", "--config", absent.toString());
    assertEquals(2, run.exitCode, run::toString);
    assertTrue(run.stderr.contains("config file " + absent + " (named by --config) cannot be read"), run::toString);
  }
}
