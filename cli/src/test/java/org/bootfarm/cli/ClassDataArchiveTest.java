package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code deploy/bootfarm-java}, the launcher's class-data archive (docs/adr/0053): a jar's first build makes it,
 * later runs load their classes from it, a rewritten jar never runs with the archive of its former content (the
 * launcher names a new one, and the JVM itself refuses an archive of another jar), and an archive directory
 * others can write is not used; a command (not a daemon) runs without the C2 compiler (docs/adr/0055). Runs a small probe jar ({@link CdsProbe}), not bootfarm's, in real JVMs.
 */
@Tag("process")
class ClassDataArchiveTest {
  private static final Path LAUNCHER = CheckCommandTest.repoRoot().resolve("deploy/bootfarm-java");
  private static final String FROM_ARCHIVE = "org.bootfarm.cli.CdsProbe source: shared objects file (top)";

  @TempDir
  Path dir;

  @Test
  void theFirstBuildMakesTheArchiveAndLaterRunsLoadTheirClassesFromIt() throws Exception {
    Path jar = probeJar(dir.resolve("probe.jar"), "one");
    Path archives = dir.resolve("jvm");

    Run first = run(jar, archives, List.of(), "build", "x");

    assertEquals("probe build x one\n", first.out, "nothing of the JVM's in the command's output: " + first.err);
    assertEquals(1, archives(archives).size(), "one archive made");
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(archives)));
    Path log = dir.resolve("classes.log");
    Run second = run(jar, archives, List.of("-Xlog:class+load=info:file=" + log), "status");
    assertEquals("probe status one\n", second.out);
    assertTrue(Files.readString(log).contains(FROM_ARCHIVE), "the probe's class came from the archive");
  }

  @Test
  void aRewrittenJarRunsItsOwnClassesAndGetsAnArchiveOfItsOwn() throws Exception {
    Path jar = probeJar(dir.resolve("probe.jar"), "one");
    Path archives = dir.resolve("jvm");
    run(jar, archives, List.of(), "build");
    List<Path> before = archives(archives);

    probeJar(jar, "two, rewritten");
    Path log = dir.resolve("classes.log");
    Run rewritten = run(jar, archives, List.of("-Xlog:class+load=info:file=" + log), "build");

    assertEquals("probe build two, rewritten\n", rewritten.out);
    assertFalse(Files.readString(log).contains(FROM_ARCHIVE), "not from the former jar's archive");
    List<Path> after = archives(archives);
    assertEquals(1, after.size(), "the former archive replaced: " + after);
    assertFalse(after.equals(before), "by one of the rewritten jar");
  }

  @Test
  void theJvmRefusesTheArchiveOfAnotherJarGivenUnderAnyName() throws Exception {
    Path jar = probeJar(dir.resolve("probe.jar"), "one");
    Path archives = dir.resolve("jvm");
    run(jar, archives, List.of(), "build");
    Path archive = archives(archives).get(0);
    Path other = probeJar(dir.resolve("other.jar"), "other");
    Path log = dir.resolve("classes.log");

    Run forged = command(List.of("java", "-XX:SharedArchiveFile=" + archive, "-Xlog:cds=off", "-Xlog:cds+dynamic=off",
        "-Xlog:class+load=info:file=" + log, "-jar", other.toString(), "build"), Map.of());

    assertEquals("probe build other\n", forged.out);
    assertFalse(Files.readString(log).contains(FROM_ARCHIVE), "the JVM checked the jar against the archive");
  }

  @Test
  void anArchiveDirectoryOthersCanWriteIsNotUsed() throws Exception {
    Path jar = probeJar(dir.resolve("probe.jar"), "one");
    Path archives = Files.createDirectories(dir.resolve("jvm"));
    Files.setPosixFilePermissions(archives, PosixFilePermissions.fromString("rwxrwxrwx"));

    Run refused = run(jar, archives, List.of(), "build");

    assertEquals("probe build one\n", refused.out, "the command still runs, without an archive");
    assertTrue(refused.err.contains("not using class-data archives in " + archives) && refused.err.contains("chmod 700"),
        refused.err);
    assertEquals(List.of(), archives(archives));
  }

  @Test
  void aCommandRunsWithTheC2CompilerAsADaemonDoes() throws Exception {
    Path jar = probeJar(dir.resolve("probe.jar"), "one");
    Path archives = dir.resolve("jvm");
    List<String> flags = List.of("-XX:+PrintFlagsFinal");

    // without C2, SHA-256 runs without its intrinsic, and a build hashes every file of its image (docs/adr/0055)
    assertEquals("4", tieredStopAtLevel(run(jar, archives, flags, "build").out), "a build keeps C2");
    assertEquals("4", tieredStopAtLevel(run(jar, archives, flags, "status").out), "so does any other command");
    assertEquals("4", tieredStopAtLevel(run(jar, archives, flags, "worker").out), "and a daemon");
    assertEquals("1", tieredStopAtLevel(run(jar, archives, List.of("-XX:+PrintFlagsFinal", "-XX:TieredStopAtLevel=1"),
        "build").out), "BOOTFARM_JAVA_OPTS still chooses");
  }

  /** The value of TieredStopAtLevel in the JVM's -XX:+PrintFlagsFinal table. */
  private static String tieredStopAtLevel(String flagsTable) {
    // "     intx TieredStopAtLevel                        = 4        {product} {default}"
    return flagsTable.lines().map(l -> l.trim().split("\\s+"))
        .filter(words -> words.length > 3 && words[1].equals("TieredStopAtLevel"))
        .map(words -> words[3]).findFirst().orElse("absent");
  }

  private record Run(String out, String err) {}

  private Run run(Path jar, Path archives, List<String> javaOptions, String... args) throws Exception {
    List<String> command = new ArrayList<>(List.of(LAUNCHER.toString(), jar.toString()));
    command.addAll(List.of(args));
    return command(command, Map.of("BOOTFARM_CDS_DIR", archives.toString(),
        "BOOTFARM_JAVA_OPTS", String.join(" ", javaOptions)));
  }

  private Run command(List<String> command, Map<String, String> environment) throws Exception {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(false);
    builder.environment().putAll(environment);
    Path out = dir.resolve("out.txt");
    Path err = dir.resolve("err.txt");
    Process process = builder.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertTrue(process.waitFor(120, TimeUnit.SECONDS), "ended: " + command);
    Run run = new Run(Files.readString(out), Files.readString(err));
    assertEquals(0, process.exitValue(), command + ": " + run);
    return run;
  }

  private static List<Path> archives(Path archives) throws IOException {
    if (!Files.isDirectory(archives)) {
      return List.of();
    }
    try (Stream<Path> files = Files.list(archives)) {
      return files.sorted().toList();
    }
  }

  /** A jar of {@link CdsProbe} whose probe.txt holds {@code text}, written over {@code jar}. */
  private static Path probeJar(Path jar, String text) throws IOException {
    Manifest manifest = new Manifest();
    manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
    manifest.getMainAttributes().put(Attributes.Name.MAIN_CLASS, CdsProbe.class.getName());
    String name = CdsProbe.class.getName().replace('.', '/') + ".class";
    Path temp = Files.createTempFile(jar.getParent(), "probe", ".jar");
    try (OutputStream file = Files.newOutputStream(temp); JarOutputStream out = new JarOutputStream(file, manifest)) {
      out.putNextEntry(new JarEntry(name));
      try (var in = CdsProbe.class.getClassLoader().getResourceAsStream(name)) {
        in.transferTo(out);
      }
      out.putNextEntry(new JarEntry("probe.txt"));
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
    return Files.move(temp, jar, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }
}
