package org.bootfarm.worker.build;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.build.BuildResult;
import org.bootfarm.worker.pkg.PackageDrivers;

/**
 * Runs the build engine in a JVM of its own, so a test can vary what only a process has: umask,
 * TZ, locale, hostname, CPU count. The child prints the BuildResult as JSON on stdout and its
 * log on stderr. It runs either a plain build given as positional arguments or a whole
 * {@link BuildRequest} (apt sources, pinned inputs, SOURCE_DATE_EPOCH) given as an
 * {@link EngineMain.Job} in a JSON file.
 */
public final class EngineProcess {
  private static final String JOB = "--job";

  private EngineProcess() {}

  /** What one engine run in a child JVM printed. */
  public record Run(int exitCode, BuildResult result, String log) {
    /** How many package files the build downloaded, from the engine's closing log line. */
    public int downloaded() {
      return log.lines().filter(l -> l.contains("] downloaded ") && l.contains(" package files"))
          .map(l -> l.replaceFirst(".*\\] downloaded (\\d+) package files.*", "$1"))
          .mapToInt(Integer::parseInt).findFirst()
          .orElseThrow(() -> new AssertionError("the build log has no download count:\n" + log));
    }
  }

  /**
   * Child entry point: {@code DEFINITION OUT CACHE KEYS TARGET REUSE NAME=FILE...}, REUSE being
   * {@code reuse-stages} or {@code from-scratch}; or {@code --job FILE REUSE}, FILE holding an
   * {@link EngineMain.Job} as JSON (which says nothing of stage reuse).
   */
  public static void main(String[] args) throws Exception {
    BuildRequest request;
    if (args.length == 3 && JOB.equals(args[0])) {
      request = WireJson.read(Files.readString(Path.of(args[1])), EngineMain.Job.class).request()
          .withReuseStages("reuse-stages".equals(args[2]));
    } else {
      java.util.Map<String, Path> components = new java.util.HashMap<>();
      for (int i = 6; i < args.length; i++) {
        String[] pair = args[i].split("=", 2);
        components.put(pair[0], Path.of(pair[1]));
      }
      request = new BuildRequest(Path.of(args[0]), args[4], components, Path.of(args[1]),
          Path.of(args[2]), Path.of(args[3]), false, Optional.empty(), OptionalLong.empty(), false)
          .withReuseStages("reuse-stages".equals(args[5]));
    }
    BuildResult result = new BuildEngine(PackageDrivers.standard())
        .run(request, (stage, text) -> System.err.println("[" + stage + "] " + text));
    System.out.println(new ObjectMapper().writeValueAsString(result));
    System.exit(result.succeeded() ? 0 : 1);
  }

  /**
   * Builds a definition in a child JVM started through {@code wrapper} (e.g. {@code unshare --uts
   * sh -c '...; exec "$@"' sh}) with extra environment variables.
   */
  public static Run build(List<String> wrapper, Map<String, String> env, Path definition, Path out, Path cache,
      Path keys, Map<String, Path> components) throws IOException, InterruptedException {
    return build(wrapper, env, definition, out, cache, keys, components, "bootstrap", false);
  }

  /**
   * As {@link #build(List, Map, Path, Path, Path, Path, Map)}, for {@code target}, reusing the worker's
   * stage cache under {@code cache} when {@code reuseStages}.
   */
  public static Run build(List<String> wrapper, Map<String, String> env, Path definition, Path out, Path cache,
      Path keys, Map<String, Path> components, String target, boolean reuseStages)
      throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of(definition.toString(), out.toString(), cache.toString(),
        keys.toString(), target, reuseStages ? "reuse-stages" : "from-scratch"));
    components.forEach((name, file) -> args.add(name + "=" + file));
    return start(wrapper, env, out, args);
  }

  /**
   * Runs the whole of {@code request} (its apt sources, pinned inputs and SOURCE_DATE_EPOCH included) in a
   * child JVM started through {@code wrapper}, with extra environment variables. The request goes over as
   * the {@link EngineMain.Job} the worker's engine process reads, written beside {@code request.outDir()}.
   */
  public static Run build(List<String> wrapper, Map<String, String> env, BuildRequest request)
      throws IOException, InterruptedException {
    Path out = request.outDir();
    Files.createDirectories(out);
    Path job = Files.writeString(out.resolveSibling(out.getFileName() + ".job.json"),
        WireJson.write(EngineMain.Job.of(request, List.of())));
    return start(wrapper, env, out,
        List.of(JOB, job.toString(), request.reuseStages() ? "reuse-stages" : "from-scratch"));
  }

  private static Run start(List<String> wrapper, Map<String, String> env, Path out, List<String> args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(wrapper);
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(EngineProcess.class.getName());
    command.addAll(args);
    Files.createDirectories(out);
    Path stdout = out.resolveSibling(out.getFileName() + ".result.json");
    Path stderr = out.resolveSibling(out.getFileName() + ".log");
    ProcessBuilder builder = new ProcessBuilder(command).redirectOutput(stdout.toFile()).redirectError(stderr.toFile());
    builder.environment().putAll(env);
    int code = builder.start().waitFor();
    String json = Files.readString(stdout);
    String log = Files.readString(stderr);
    if (json.isBlank()) {
      throw new AssertionError("the engine printed no result (exit " + code + "):\n" + log);
    }
    return new Run(code, new ObjectMapper().readValue(json, BuildResult.class), log);
  }
}
