package org.bootfarm.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.security.DigestOutputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.build.BuildInfo;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.protocol.repo.RepoDefinitionLoader;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.FileTrees;
import org.bootfarm.worker.pkg.PinnedInputs;

/**
 * The inputs of {@code bootfarm build --from-buildinfo FILE --inputs DIR}, checked against the record before
 * anything is built: the definition's digest, each component's sha256, and every locked package found in
 * {@code DIR/packages} by its sha256 and copied (hashed again while copied, so a file changed meanwhile is
 * refused too) into a private directory as {@code <sha256>.rpm|.deb}, the layout a pinned build takes.
 * A file whose bytes do not hash to the recorded sha256 is never used. The definition is copied there too, under
 * the directory name its spec requires (the repo's name), and its copy's digest checked.
 *
 * <p>The trusted keys the record names ({@code gpgKeys}: keys the definition took from outside its directory) are
 * inputs too (ADR 0067): each is found by its sha256 in {@code DIR/keys} (any file name), else in the operator's
 * trusted-keys directory under the name its reference finds, and copied (hashed again) into a private keys
 * directory the rebuild reads instead; a key with other bytes is never used.
 *
 * <p>{@code DIR} is what {@code bootfarm fetch --inputs BUILD_ID --out DIR} writes: {@code definition/},
 * {@code components/<name>}, {@code packages/} (any file names) and {@code keys/}.
 */
final class RebuildInputs implements AutoCloseable {
  private static final Set<String> RPM_ENGINES = Set.of("dnf", "tdnf", "yum");
  private static final String FETCH_HINT = "fetch the build's inputs again (bootfarm fetch --inputs BUILD_ID --out DIR)";

  private final BuildInfo info;
  private final Path definition;
  private final Map<String, Path> components;
  private final PinnedInputs pinned;
  private final Path keysDir;
  private final Path root;

  private RebuildInputs(Path root, BuildInfo info, Path definition, Map<String, Path> components,
      PinnedInputs pinned, Path keysDir) {
    this.root = root;
    this.info = info;
    this.definition = definition;
    this.components = components;
    this.pinned = pinned;
    this.keysDir = keysDir;
  }

  /** The trusted-keys directory the rebuild reads: the recorded keys alone, or the operator's when it names none. */
  Path keysDir() {
    return keysDir;
  }

  BuildInfo info() {
    return info;
  }

  Path definition() {
    return definition;
  }

  Map<String, Path> components() {
    return components;
  }

  PinnedInputs pinned() {
    return pinned;
  }

  /**
   * Reads {@code buildinfoFile} and checks {@code inputs} against it; {@code definitionDir} (may be null) is used
   * instead of {@code inputs/definition}; {@code trustedKeys} is the operator's trusted-keys directory. The package
   * files and keys go into a new directory under {@code workRoot}, removed by {@link #close}.
   *
   * @throws BuildFailure INPUT naming the file, package, key or digest that does not match the record, and what to do
   */
  static RebuildInputs prepare(Path buildinfoFile, Path inputs, Path definitionDir, Path workRoot, Path trustedKeys)
      throws BuildFailure {
    BuildInfo info = read(buildinfoFile);
    Path definition = (definitionDir != null ? definitionDir : inputs.resolve("definition")).toAbsolutePath().normalize();
    if (!Files.isDirectory(definition)) {
      throw input("the definition directory " + definition + " does not exist; put the build's definition there"
          + " or give it as REPO-DIR, or " + FETCH_HINT);
    }
    String digest = RepoDefinitionLoader.digest(definition);
    if (!digest.equals(info.definitionDigest())) {
      throw input("definition " + definition + " has digest " + digest + ", but " + buildinfoFile
          + " records definitionDigest " + info.definitionDigest() + ": it is not the definition the build used;"
          + " give the exact definition directory, or " + FETCH_HINT);
    }
    Map<String, Path> components = new TreeMap<>();
    for (Map.Entry<String, String> c : info.components().entrySet()) {
      Path file = inputs.resolve("components").resolve(c.getKey()).toAbsolutePath().normalize();
      if (!Files.isRegularFile(file)) {
        throw input("component " + c.getKey() + " (sha256 " + c.getValue() + ") is not at " + file + "; "
            + FETCH_HINT);
      }
      String sha256 = sha256(file);
      if (!sha256.equals(c.getValue())) {
        throw input("component " + c.getKey() + " at " + file + " has sha256 " + sha256 + ", the record says "
            + c.getValue() + ": it is not the file the build used and is refused; " + FETCH_HINT);
      }
      components.put(c.getKey(), file);
    }
    String suffix = RPM_ENGINES.contains(info.lock().engine()) ? ".rpm" : ".deb";
    Map<String, Path> bySha256 = packageFiles(inputs.resolve("packages"));
    Path root;
    Path pinnedDir;
    Path definitionCopy;
    try {
      Files.createDirectories(workRoot);
      root = Files.createTempDirectory(workRoot, "rebuild-inputs-");
      pinnedDir = Files.createDirectories(root.resolve("packages"));
      definitionCopy = root.resolve("definition").resolve(info.repo());
      copyTree(definition, definitionCopy);
    } catch (IOException | RuntimeException e) {
      throw input("cannot copy the rebuild's inputs under " + workRoot + ": " + e.getMessage()
          + "; give a writable --cache-dir");
    }
    try {
      if (!RepoDefinitionLoader.digest(definitionCopy).equals(info.definitionDigest())) {
        throw input("definition " + definition + " changed while it was copied; rebuild again");
      }
      List<String> problems = new ArrayList<>();
      for (LockedPackage p : info.lock().inputs()) { // installed and removed by the staging
        Path source = bySha256.get(p.sha256());
        if (source == null) {
          problems.add(missing(p, inputs.resolve("packages"), bySha256));
          continue;
        }
        String copied = copyHashing(source, pinnedDir.resolve(PinnedInputs.fileName(p, suffix)));
        if (!copied.equals(p.sha256())) {
          problems.add("package " + p.describe() + ": " + source + " changed while it was read (sha256 " + copied
              + ", recorded " + p.sha256() + ") and is refused");
        }
      }
      Path keys = info.gpgKeys().isEmpty() ? trustedKeys : copyKeys(info, inputs.resolve("keys"), trustedKeys,
          Files.createDirectories(root.resolve("keys")), problems);
      if (!problems.isEmpty()) {
        throw input(String.join("; ", problems) + ". Nothing was built; " + FETCH_HINT);
      }
      return new RebuildInputs(root, info, definitionCopy, components,
          new PinnedInputs(pinnedDir, info.lock().inputs()), keys);
    } catch (IOException e) {
      FileTrees.deleteQuietly(root);
      throw input("cannot copy the rebuild's keys under " + workRoot + ": " + e.getMessage()
          + "; give a writable --cache-dir");
    } catch (BuildFailure | RuntimeException e) {
      FileTrees.deleteQuietly(root);
      throw e;
    }
  }

  /**
   * Copies each key the record names into {@code to} under the name its reference finds, from {@code offered} (found
   * by sha256) or else {@code trustedKeys}; adds a problem for each key with no file of its bytes. Returns {@code to}.
   */
  private static Path copyKeys(BuildInfo info, Path offered, Path trustedKeys, Path to, List<String> problems)
      throws BuildFailure {
    Map<String, Path> bySha256 = packageFiles(offered);
    for (Map.Entry<String, String> key : info.gpgKeys().entrySet()) {
      String name = RepoDefinition.ResolvedKey.fileName(key.getKey());
      Path source = bySha256.get(key.getValue());
      Path trusted = trustedKeys.resolve(name).toAbsolutePath();
      String trustedSha256 = Files.isRegularFile(trusted) ? sha256(trusted) : null;
      if (source == null && key.getValue().equals(trustedSha256)) {
        source = trusted;
      }
      if (source == null) {
        problems.add("key " + key.getKey() + " (sha256 " + key.getValue() + ") is not in " + offered
            + (trustedSha256 == null ? " nor in the trusted-keys directory " + trustedKeys
                : ", and " + trusted + " has sha256 " + trustedSha256 + " (another key, refused)"));
        continue;
      }
      String copied = copyHashing(source, to.resolve(name));
      if (!copied.equals(key.getValue())) {
        problems.add("key " + key.getKey() + ": " + source + " changed while it was read (sha256 " + copied
            + ", recorded " + key.getValue() + ") and is refused");
      }
    }
    return to;
  }

  /** Copies a definition directory: its files and links as they are, nothing followed out of it. */
  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : walk.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target, LinkOption.NOFOLLOW_LINKS, java.nio.file.StandardCopyOption.COPY_ATTRIBUTES);
        }
      }
    }
  }

  /** Why {@code p} has no file: a file that looks like it but has other bytes, or none at all. */
  private static String missing(LockedPackage p, Path packages, Map<String, Path> bySha256) {
    String version = p.version().contains(":") ? p.version().substring(p.version().indexOf(':') + 1) : p.version();
    for (Map.Entry<String, Path> e : new TreeMap<>(bySha256).entrySet()) {
      String name = e.getValue().getFileName().toString();
      if (name.startsWith(p.sha256()) || (name.startsWith(p.name() + "-" + version) && name.contains(p.arch()))
          || (name.startsWith(p.name() + "_") && name.contains(version.replace(':', '%')))) {
        return "package " + p.describe() + ": " + e.getValue() + " has sha256 " + e.getKey() + ", the record says "
            + p.sha256() + " (the file was changed after the build) and is refused";
      }
    }
    return "package " + p.describe() + " (sha256 " + p.sha256() + ") is not in " + packages;
  }

  /** Every regular file under {@code dir} (links are not followed) by its sha256; none when there is no {@code dir}. */
  private static Map<String, Path> packageFiles(Path dir) throws BuildFailure {
    Map<String, Path> bySha256 = new HashMap<>();
    if (!Files.isDirectory(dir)) {
      return bySha256;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path file : walk.filter(f -> Files.isRegularFile(f, LinkOption.NOFOLLOW_LINKS)).sorted().toList()) {
        bySha256.putIfAbsent(sha256(file), file.toAbsolutePath());
      }
    } catch (IOException e) {
      throw input("cannot read the package files in " + dir + ": " + e.getMessage());
    }
    return bySha256;
  }

  private static String copyHashing(Path source, Path target) throws BuildFailure {
    try (InputStream in = Files.newInputStream(source, LinkOption.NOFOLLOW_LINKS);
        OutputStream file = Files.newOutputStream(target);
        DigestOutputStream out = Sha256.hashing(file)) {
      in.transferTo(out);
      out.flush();
      return Sha256.hex(out.getMessageDigest());
    } catch (IOException e) {
      throw input("cannot copy " + source + " to " + target + ": " + e.getMessage());
    }
  }

  private static BuildInfo read(Path file) throws BuildFailure {
    try {
      return WireJson.read(Files.readString(file), BuildInfo.class);
    } catch (IOException | WireJson.WireFormatException e) {
      throw input("cannot read the buildinfo " + file + ": " + e.getMessage()
          + "; give the buildinfo.json a build published");
    }
  }

  private static String sha256(Path file) throws BuildFailure {
    try {
      return Sha256.of(file);
    } catch (IOException e) {
      throw input("cannot read " + file + ": " + e.getMessage());
    }
  }

  private static BuildFailure input(String message) {
    return new BuildFailure(BuildFailure.Kind.INPUT, message);
  }

  /** Removes the private copy of the inputs. */
  @Override
  public void close() {
    FileTrees.deleteQuietly(root);
  }
}
