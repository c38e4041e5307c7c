package org.bootfarm.worker.build;

import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import org.bootfarm.protocol.Sha256;

/**
 * Which code this engine is: the sha256 over every class and resource of the bootfarm jar, so that the buildinfo's
 * {@code builder} and the action cache's key change with any change of the code, not only with the version string
 * (ADR 0067). Maven writes it into the jar as {@value #RESOURCE} when it packages the jar ({@link #main}, run by
 * {@code cli/pom.xml} after shading): reading it costs nothing at run time, where hashing the 56 MB jar in a cold
 * JVM costs ~0.7 s of CPU. Run from class directories (tests, an IDE), the digest is computed once per JVM from
 * the classpath: each directory's files by their bytes, bootfarm's own jars by their entries, other jars by their
 * file names (a released library's versioned name).
 *
 * <p>The digest: for each entry in order of name ({@code /}-separated, directories left out, {@value #RESOURCE}
 * itself left out), {@code NAME\0SIZE\0<bytes>}, as {@code DefinitionArchive} writes a definition.
 */
public final class EngineCode {
  /** Where the packaged jar holds its digest. */
  public static final String RESOURCE = "META-INF/bootfarm/engine-digest";

  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static volatile String digest;

  private EngineCode() {}

  /** The digest of the code running, from the jar's {@value #RESOURCE} or, run from classes, of the classpath. */
  public static String digest() {
    String known = digest;
    if (known == null) {
      synchronized (EngineCode.class) {
        if (digest == null) {
          digest = stamped().orElseGet(() -> ofClasspath(System.getProperty("java.class.path")));
        }
        known = digest;
      }
    }
    return known;
  }

  /**
   * The buildinfo's {@code builder}: {@code bootfarm-VERSION+engine.DIGEST}, the version from the jar's manifest
   * ({@code bootfarm-dev} when run from classes).
   */
  public static String builder() {
    String version = EngineCode.class.getPackage().getImplementationVersion();
    return (version == null ? "bootfarm-dev" : "bootfarm-" + version) + "+engine." + digest();
  }

  /** The digest written into the jar, when this code runs from a packaged jar. */
  private static java.util.Optional<String> stamped() {
    try (InputStream in = EngineCode.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        return java.util.Optional.empty();
      }
      String text = new String(in.readAllBytes(), StandardCharsets.US_ASCII).strip();
      if (!SHA256.matcher(text).matches()) {
        throw new IllegalStateException("the bootfarm jar's " + RESOURCE + " holds '" + text
            + "', not a sha256: rebuild the jar (mvn -o -q -DskipTests package)");
      }
      return java.util.Optional.of(text);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the bootfarm jar's " + RESOURCE, e);
    }
  }

  /** The digest of a jar's entries (every one but {@value #RESOURCE}). */
  static String ofJar(Path jar) throws IOException {
    MessageDigest hash = Sha256.newDigest();
    try (ZipFile zip = new ZipFile(jar.toFile())) {
      Map<String, ZipEntry> entries = new TreeMap<>();
      for (Enumeration<? extends ZipEntry> e = zip.entries(); e.hasMoreElements(); ) {
        ZipEntry entry = e.nextElement();
        if (!entry.isDirectory() && !entry.getName().equals(RESOURCE)) {
          entries.put(entry.getName(), entry);
        }
      }
      for (ZipEntry entry : entries.values()) {
        try (InputStream in = zip.getInputStream(entry)) {
          byte[] bytes = in.readAllBytes();
          update(hash, entry.getName(), bytes);
        }
      }
    }
    return Sha256.hex(hash);
  }

  /**
   * The digest of the code a classpath ({@code java.class.path}) loads, in its order: a directory's files by their
   * bytes, a jar of bootfarm's own ({@code .../org/bootfarm/...}) by its entries, any other jar by its file name.
   */
  static String ofClasspath(String classpath) {
    MessageDigest hash = Sha256.newDigest();
    try {
      for (String element : classpath.split(Pattern.quote(File.pathSeparator))) {
        if (element.isEmpty()) {
          continue;
        }
        Path path = Path.of(element);
        if (Files.isDirectory(path)) {
          update(hash, "directory", new byte[0]);
          List<Path> files;
          try (Stream<Path> walk = Files.walk(path)) {
            files = walk.filter(p -> Files.isRegularFile(p, LinkOption.NOFOLLOW_LINKS))
                .sorted((a, b) -> name(path, a).compareTo(name(path, b))).toList();
          }
          for (Path file : files) {
            update(hash, name(path, file), Files.readAllBytes(file));
          }
        } else if (Files.isRegularFile(path) && path.toString().replace('\\', '/').contains("/org/bootfarm/")) {
          update(hash, "jar", ofJar(path).getBytes(StandardCharsets.US_ASCII));
        } else {
          update(hash, "library", path.getFileName().toString().getBytes(StandardCharsets.UTF_8));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the classpath " + classpath + " to identify the engine's code", e);
    }
    return Sha256.hex(hash);
  }

  private static String name(Path root, Path file) {
    return root.relativize(file).toString().replace('\\', '/');
  }

  private static void update(MessageDigest hash, String name, byte[] bytes) {
    hash.update((name + "\0" + bytes.length + "\0").getBytes(StandardCharsets.UTF_8));
    hash.update(bytes);
  }

  /**
   * Writes the digest of {@code JAR}'s entries into it as {@value #RESOURCE}, its time {@code TIMESTAMP} (the
   * build's {@code project.build.outputTimestamp}, so the jar stays reproducible): {@code stamp JAR TIMESTAMP}.
   * An earlier stamp is replaced, so stamping again changes nothing. Other entries are copied as they are.
   */
  public static void main(String[] args) throws IOException {
    if (args.length != 3 || !args[0].equals("stamp")) {
      System.err.println("usage: EngineCode stamp JAR TIMESTAMP (ISO-8601, e.g. 2026-01-01T00:00:00Z)");
      System.exit(2);
    }
    Path jar = Path.of(args[1]).toAbsolutePath();
    FileTime time = FileTime.from(Instant.parse(args[2]));
    String value = ofJar(jar);
    try (FileSystem zip = FileSystems.newFileSystem(URI.create("jar:" + jar.toUri()), Map.of())) {
      Path entry = zip.getPath(RESOURCE);
      List<Path> made = new ArrayList<>();
      for (Path dir = entry.getParent(); dir != null && !Files.exists(dir); dir = dir.getParent()) {
        made.add(0, dir);
      }
      for (Path dir : made) {
        Files.createDirectory(dir);
      }
      Files.write(entry, (value + "\n").getBytes(StandardCharsets.US_ASCII));
      made.add(entry);
      for (Path p : made) {
        // all three: the zip file system writes access and creation times of a new entry too, else the clock's
        Files.getFileAttributeView(p, BasicFileAttributeView.class).setTimes(time, time, time);
      }
    }
    System.out.println("engine digest " + value + " written into " + jar + " as " + RESOURCE);
  }
}
