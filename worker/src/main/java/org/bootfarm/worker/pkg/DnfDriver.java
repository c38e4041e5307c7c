package org.bootfarm.worker.pkg;

import org.bootfarm.worker.FileTrees;
import org.bootfarm.worker.process.ExternalCommand;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.build.Lock;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.protocol.repo.RepoDefinition;
import org.bootfarm.protocol.repo.RepoSpec;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildFailure.Kind;
import org.bootfarm.worker.image.ImageRoot;
import org.bootfarm.sandbox.Capability;
import org.bootfarm.worker.sandbox.ImageDevices;
import org.bootfarm.sandbox.Sandbox;

/**
 * Installs RPM definitions (package manager tdnf, yum or dnf) into an image root with the host's
 * dnf, on a worker that has neither tdnf nor yum. Package files are kept in a warm per-repo cache
 * ({@code <session cache>/dnf}); after a failed run every file the run added to that cache is
 * deleted, so a corrupt or unverified package never survives into the next build. Every flag
 * dnf gets is in {@link #dnfCommand}.
 *
 * <p>dnf and rpm run in a {@link Sandbox} ({@link #sandbox}), in two phases: a download phase with
 * the host's network that runs no package script (the command with {@code --downloadonly --refresh},
 * which checks the repositories' metadata, downloads, checks the signatures and imports the keys,
 * fetching a key given by URL; a removal, which downloads nothing, runs {@code makecache} instead), and
 * an install phase without network ({@code -C}, from the cache only) in which rpm runs
 * the package scripts. Both see the image root and the repo's own cache writable and nothing else of
 * the host's that dnf does not need.
 */
public final class DnfDriver implements PackageManagerDriver {

  /** The engine name recorded in locks and buildinfo. */
  public static final String ENGINE = "dnf";

  /** Where the rpm database lives inside the image (Debian's rpm defaults to {@code ~/.rpmdb}). */
  public static final String RPM_DBPATH = "/var/lib/rpm";

  /** The {@code packages_script_staging} commands this driver runs. */
  public static final Set<String> SCRIPT_COMMANDS =
      Set.of("install", "erase", "remove", "reinstall", "update", "upgrade", "downgrade");

  private static final String LOCK_QUERY =
      "%{NAME}\\t%{EPOCHNUM}\\t%{VERSION}\\t%{RELEASE}\\t%{ARCH}\\t%{BUILDTIME}\\t%{SIGMD5}\\n";

  private static final Pattern CHECKSUM_MISMATCH =
      Pattern.compile("(\\S+\\.rpm): Downloading successful, but checksum doesn't match");
  private static final Pattern SIGNATURE_PROBLEM = Pattern.compile(
      "(?:Package (\\S+\\.rpm) is not signed"
          + "|Public key for (\\S+\\.rpm) is not (?:installed|trusted)"
          + "|(\\S+\\.rpm): (?:Header|Signature)? ?V\\d .*(?:BAD|NOKEY)"
          + "|Package (\\S+\\.rpm) has (?:a )?bad signature)");
  private static final Pattern CURL_ERROR = Pattern.compile("Curl error \\(\\d+\\): (.*?) for (\\S+)");
  private static final Pattern METADATA_FAILURE =
      Pattern.compile("Failed to download metadata for repo '([^']+)'");
  private static final Pattern NO_MATCH =
      Pattern.compile("(?:No match for argument|No package \\S* ?available|Unable to find a match):? (.+)");
  private static final Pattern MISSING_DEPENDENCY = Pattern.compile("nothing provides .+");
  private static final Pattern TRANSACTION_STEP = Pattern.compile(
      "^\\s*(Installing|Upgrading|Reinstalling|Downgrading)\\s*:\\s*(\\S+)\\s+(\\d+)/(\\d+)\\s*$");
  private static final Pattern RELEASE_VERSION = Pattern.compile("-(\\d[0-9A-Za-z._]*)$");

  /**
   * What rpm keeps in the install phase, where it unpacks files and runs package scripts chrooted
   * into the image ({@link Capability#why()} says why each): {@code SYS_CHROOT} for the chroot,
   * {@code CHOWN}, {@code FOWNER}, {@code FSETID}, {@code SETFCAP} and {@code MKNOD} to give files the
   * owners, modes, capabilities and device types their packages state, {@code DAC_OVERRIDE} for
   * scripts that edit mode-0000 files such as /etc/shadow. The download phase keeps none.
   */
  public static final Set<Capability> INSTALL_CAPABILITIES = Collections.unmodifiableSet(EnumSet.of(
      Capability.CHOWN, Capability.DAC_OVERRIDE, Capability.FOWNER, Capability.FSETID, Capability.MKNOD,
      Capability.SETFCAP, Capability.SYS_CHROOT));

  /** The two runs of every transaction: only the one that runs no package script has network. */
  public enum Phase {
    /** {@code --downloadonly --refresh} (or {@code makecache}): the host's network, no package script, no capability. */
    DOWNLOAD,
    /** {@code -C}: no network, rpm installs and runs the package scripts. */
    INSTALL
  }

  @Override
  public String engine() {
    return ENGINE;
  }

  @Override
  public Optional<String> unavailableReason() {
    boolean present = ExternalCommand.onPath("dnf").isPresent() && ExternalCommand.onPath("rpm").isPresent();
    if (!present) {
      return Optional.of("install Debian packages dnf and rpm");
    }
    return ExternalCommand.installed(Sandbox.BWRAP) ? Optional.empty()
        : Optional.of("dnf runs in a bubblewrap sandbox: install the Debian package bubblewrap");
  }

  @Override
  public InstallReport install(PackageSession session, List<String> packages) throws BuildFailure {
    if (packages.isEmpty()) {
      return InstallReport.NOTHING;
    }
    int localFiles = 0;
    for (String item : packages) {
      if (item.startsWith("-")) {
        throw new BuildFailure(Kind.DEFINITION, "repo-spec.json of " + session.definition().name() + ": '" + item
            + "' is not a package name (dnf would read it as an option); correct the package lists");
      }
      if (item.startsWith("/")) {
        if (!Files.isRegularFile(Path.of(item))) {
          throw new BuildFailure(Kind.INPUT, "package file " + item + " (repo-spec.json field kernel of "
              + session.definition().name() + ") does not exist on this worker; give an existing path or a package name");
        }
        localFiles++;
      }
    }
    List<String> arguments = new ArrayList<>();
    arguments.add("install");
    arguments.addAll(packages);
    return run(session, arguments, localFiles);
  }

  @Override
  public Optional<List<String>> resolve(PackageSession session, List<List<String>> transactions)
      throws BuildFailure {
    return resolve(session, transactions, null);
  }

  /** Resolves, and fetches the first transaction's files in the same dnf run when {@code fetchNow} says so ({@link DnfPrefetch}). */
  @Override
  public Optional<List<String>> resolve(PackageSession session, List<List<String>> transactions,
      java.util.function.Predicate<List<String>> fetchNow) throws BuildFailure {
    return session.pinned().isPresent() ? Optional.empty()
        : DnfResolver.resolve(this, session, transactions, fetchNow);
  }

  /** The lock's files as the resolution names them, by repo id and sha256 ({@link DnfResolver#lines}, ADR 0054). */
  @Override
  public Optional<List<String>> asResolvedLines(Lock lock) {
    return Optional.of(DnfResolver.lines(lock));
  }

  @Override
  public Optional<String> reportedVersion() {
    return DnfResolver.reportedVersion();
  }

  @Override
  public void runScript(PackageSession session, String script) throws BuildFailure {
    List<String> words = script.isBlank() ? List.of() : List.of(script.trim().split("\\s+"));
    if (words.isEmpty()) {
      return;
    }
    if (!SCRIPT_COMMANDS.contains(words.get(0)) || words.stream().anyMatch(w -> w.startsWith("-"))) {
      throw new BuildFailure(Kind.DEFINITION, "repo-spec.json: packages_script_staging: '" + script
          + "' is not a package-manager command dnf runs; use one of " + new TreeSet<>(SCRIPT_COMMANDS)
          + " followed by package names, e.g. 'erase toybox'");
    }
    run(session, words, 0);
  }

  /**
   * The whole dnf command line. Every flag bootfarm passes to dnf is here:
   * <ul>
   *   <li>{@code --installroot}, {@code --releasever}: the image root; the version from the
   *       definition's name ({@code photon-2.0} → {@code 2.0}) for {@code $releasever} in .repo files</li>
   *   <li>{@code --config}, {@code reposdir}, {@code varsdir}: only the definition's repositories
   *       and none of the host's dnf configuration</li>
   *   <li>{@code cachedir}, {@code keepcache=1}: the warm per-repo cache outside the image</li>
   *   <li>{@code metadata_expire=0}: repomd.xml is checked on every run (a few hundred bytes), so
   *       a changed repository is seen at once; unchanged metadata and packages are not fetched</li>
   *   <li>{@code install_weak_deps=False}: exactly the listed packages and their requirements</li>
   *   <li>{@code clean_requirements_on_remove=False}: {@code erase X} removes X and what requires
   *       it, not X's dependencies, as tdnf and yum do</li>
   *   <li>{@code skip_if_unavailable=False}: an unreachable repository fails the build</li>
   *   <li>{@code --noplugins}: no host plugin changes the result</li>
   *   <li>{@code *.gpgcheck=1} (and {@code localpkg_gpgcheck=1} in the generated main config): every
   *       package's signature is checked, whatever a .repo file says, unless the operator allowed the
   *       definition unsigned and it has unsigned sources ({@link #checksSignatures})</li>
   *   <li>{@link Phase#DOWNLOAD}: {@code --downloadonly} (for a command other than {@code makecache});
   *       {@link Phase#INSTALL}: {@code -C}, the cache only, since the sandbox has no network</li>
   * </ul>
   */
  public List<String> dnfCommand(PackageSession session, DnfFiles files, Phase phase, List<String> arguments) {
    List<String> command = dnfCommand(session, files, List.of());
    if (phase == Phase.INSTALL) {
      command.add("-C");
    } else if (!arguments.isEmpty() && !arguments.get(0).equals("makecache")) {
      command.add("--downloadonly");
      command.add("--refresh");
    }
    command.addAll(arguments);
    return command;
  }

  /** {@link #dnfCommand(PackageSession, DnfFiles, Phase, List)} without the phase's flag. */
  public List<String> dnfCommand(PackageSession session, DnfFiles files, List<String> arguments) {
    List<String> command = new ArrayList<>(List.of(
        "dnf", "-y",
        "--installroot=" + session.rootfs().toAbsolutePath(),
        "--releasever=" + releaseVersion(session.definition().spec()),
        "--config=" + files.config(),
        "--noplugins",
        "--setopt=reposdir=" + files.reposDir(),
        "--setopt=varsdir=" + files.varsDir(),
        "--setopt=cachedir=" + packageCache(session),
        "--setopt=keepcache=1",
        "--setopt=metadata_expire=0",
        "--setopt=install_weak_deps=False",
        "--setopt=clean_requirements_on_remove=False",
        "--setopt=skip_if_unavailable=False"));
    if (checksSignatures(session.definition())) {
      command.add("--setopt=*.gpgcheck=1");
    }
    command.addAll(arguments);
    return command;
  }

  /**
   * Whether dnf must check every package's signature: always, except for a definition the operator allowed
   * unsigned ({@code --allow-unsigned}) that has sources without a check. The loader refuses such sources
   * otherwise; this is the driver's own refusal, should anything bypass the loader (docs/adr/0027).
   */
  static boolean checksSignatures(RepoDefinition definition) {
    return !definition.unsignedAllowed() || definition.unsigned().isEmpty();
  }

  /** The environment dnf and rpm run with: a private HOME whose .rpmmacros puts the rpmdb in the image. */
  public Map<String, String> environment(DnfFiles files) {
    // rpm records SOURCE_DATE_EPOCH as every package's INSTALLTIME, so the rpmdb is reproducible
    return Map.of("HOME", files.home().toString(), "LC_ALL", "C", "LANG", "C", "TZ", "UTC",
        "SOURCE_DATE_EPOCH", Long.toString(files.sourceDateEpoch()));
  }

  /** The warm package cache of the session's repo. */
  public static Path packageCache(PackageSession session) {
    if (session.pinned().isPresent()) {
      return DnfPinnedRepository.cache(session); // a rebuild leaves the warm cache as it was
    }
    return session.cacheDir().resolve("dnf").toAbsolutePath();
  }

  /** {@code $releasever} for a definition: the version at the end of its name, else {@code 0}. */
  public static String releaseVersion(RepoSpec spec) {
    Matcher matcher = RELEASE_VERSION.matcher(spec.name());
    return matcher.find() ? matcher.group(1) : "0";
  }

  /** The generated files dnf runs with, all under the session's work directory. */
  public record DnfFiles(Path home, Path config, Path reposDir, Path varsDir, long sourceDateEpoch) {}

  /**
   * Writes the private HOME (with {@code %_dbpath}), the dnf.conf (empty but for localpkg_gpgcheck),
   * an empty vars dir and the repos dir: the definition's .repo files with each {@code gpgkey=file:}
   * reference rewritten to the key file it resolved to.
   */
  DnfFiles prepare(PackageSession session) throws BuildFailure {
    Path base = session.workDir().resolve("dnf").toAbsolutePath();
    try {
      DnfFiles files = new DnfFiles(base.resolve("home"), base.resolve("dnf.conf"), base.resolve("repos.d"),
          base.resolve("vars"), session.sourceDateEpoch());
      Files.createDirectories(files.home());
      Files.createDirectories(files.varsDir());
      Files.writeString(files.home().resolve(".rpmmacros"), "%_dbpath " + RPM_DBPATH + "\n");
      // not gpgcheck=1 here: --setopt=*.gpgcheck=1 covers every repository, and gpgcheck=1 in [main] makes the
      // rpmdb's write count (its sqlite change counter) depend on the cache being cold or warm (docs/adr/0027)
      Files.writeString(files.config(), checksSignatures(session.definition())
          ? "[main]\nlocalpkg_gpgcheck=1\n" : "[main]\n");
      FileTrees.delete(files.reposDir());
      Files.createDirectories(files.reposDir());
      RepoDefinition definition = session.definition();
      if (session.pinned().isPresent()) {
        // a rebuild: the local repository of the pinned files is the only one dnf sees
        String repoText = DnfPinnedRepository.repoFile(definition, DnfPinnedRepository.directory(session),
            checksSignatures(definition));
        DnfPinnedRepository.make(session, session.pinned().get());
        Files.writeString(files.reposDir().resolve(DnfPinnedRepository.REPO_ID + ".repo"), repoText);
        Files.createDirectories(packageCache(session));
        return files;
      }
      for (Path repoFile : definition.repoFiles()) {
        String name = repoFile.getFileName().toString();
        if (name.endsWith(".local")) {
          name = name.substring(0, name.length() - ".local".length());
        }
        if (!name.endsWith(".repo")) {
          name = name + ".repo";
        }
        Files.writeString(files.reposDir().resolve(name),
            rewriteKeys(Files.readString(repoFile, StandardCharsets.UTF_8), definition.gpgKeys()));
      }
      Files.createDirectories(packageCache(session));
      return files;
    } catch (IOException e) {
      throw new BuildFailure(Kind.INTERNAL, "cannot prepare dnf's configuration under " + base + ": " + e.getMessage(), e);
    }
  }

  /** Replaces each {@code gpgkey} reference that was resolved with {@code file://} + its key file. */
  static String rewriteKeys(String repoText, List<RepoDefinition.ResolvedKey> keys) {
    Map<String, String> replacements = new HashMap<>();
    keys.forEach(k -> replacements.put(k.reference(), "file://" + k.file().toAbsolutePath()));
    StringBuilder out = new StringBuilder();
    boolean inGpgKey = false;
    for (String line : repoText.split("\n", -1)) {
      Matcher key = Pattern.compile("^(\\s*gpgkey\\s*=)(.*)$").matcher(line);
      String prefix;
      String value;
      if (key.matches()) {
        inGpgKey = true;
        prefix = key.group(1);
        value = key.group(2);
      } else if (inGpgKey && !line.isBlank() && Character.isWhitespace(line.charAt(0))) {
        prefix = "";
        value = line;
      } else {
        inGpgKey = false;
        out.append(line).append('\n');
        continue;
      }
      Matcher token = Pattern.compile("[^\\s,]+").matcher(value);
      StringBuilder rewritten = new StringBuilder();
      while (token.find()) {
        token.appendReplacement(rewritten,
            Matcher.quoteReplacement(replacements.getOrDefault(token.group(), token.group())));
      }
      token.appendTail(rewritten);
      out.append(prefix).append(rewritten).append('\n');
    }
    return out.substring(0, out.length() - 1);
  }

  /** Runs one dnf transaction; on failure cleans the cache of what it added and classifies the error. */
  private InstallReport run(PackageSession session, List<String> arguments, int localFiles) throws BuildFailure {
    DnfFiles files = prepare(session);
    return holdingCache(session, () -> runHoldingCache(session, files, packageCache(session), arguments, localFiles));
  }

  /** Work on the package cache that may fail the build. */
  interface CacheWork<T> {
    T run() throws BuildFailure;
  }

  /**
   * Runs {@code work} while this process holds the session's package cache: builds of one repo on
   * one worker share the cache, and the cleanup after a failure must not delete a file another run
   * is verifying, nor may a lock be taken while files come and go.
   */
  static <T> T holdingCache(PackageSession session, CacheWork<T> work) throws BuildFailure {
    // beside the cache: the repo's warm cache, or a pinned session's own (the warm cache is not even locked)
    Path lockFile = packageCache(session).getParent().resolve("dnf.lock");
    try {
      return CacheLock.holding(lockFile, work::run);
    } catch (IOException e) {
      throw new BuildFailure(Kind.INTERNAL, "cannot lock the package cache " + lockFile + ": " + e.getMessage(), e);
    }
  }


  /**
   * Runs dnf, counts what it downloaded, and after a failure removes from the cache every file the
   * run added.
   */
  private InstallReport runHoldingCache(PackageSession session, DnfFiles files, Path cache, List<String> arguments,
      int localFiles) throws BuildFailure {
    // files this build's resolution fetched for exactly this install: no download phase (docs/adr/0058)
    Optional<DnfPrefetch.Fetched> fetched = REMOVALS.contains(arguments.get(0)) ? Optional.empty()
        : DnfPrefetch.take(session, files, arguments);
    Map<Path, DnfCacheFiles.FileState> before = fetched.isPresent() ? fetched.get().cacheBefore()
        : DnfCacheFiles.snapshot(cache);
    Set<String> transaction = new LinkedHashSet<>();
    ExternalCommand.Result result;
    boolean installed = false;
    try {
      if (fetched.isPresent()) {
        session.log().line(session.stage(), "dnf: the resolution fetched these packages' files against the metadata"
            + " still in the cache: no download phase");
        result = installPhase(session, files, arguments, transaction,
            DnfPrefetch.bothPhases(session, files, dnfCommand(session, files, Phase.DOWNLOAD, arguments),
                dnfCommand(session, files, Phase.INSTALL, arguments)));
        installed = result.succeeded() || result.tail().stream().noneMatch(l -> l.contains(NOT_IN_CACHE));
        if (!installed) {
          session.log().line(session.stage(), "dnf: a file the install needs was not fetched; downloading as usual");
          result = runDnf(session, files, Phase.DOWNLOAD, arguments, environment(files), line -> {});
        }
      } else if (REMOVALS.contains(arguments.get(0))) {
        // nothing to download, but the install phase runs from the cache: make sure there is one.
        // libdnf takes SOURCE_DATE_EPOCH as "now" when it judges the metadata's age: refresh without it.
        Map<String, String> refreshEnvironment = new HashMap<>(environment(files));
        refreshEnvironment.remove("SOURCE_DATE_EPOCH");
        result = runDnf(session, files, Phase.DOWNLOAD, List.of("makecache"), refreshEnvironment, line -> {});
      } else {
        // refreshes the metadata (--refresh: whatever age SOURCE_DATE_EPOCH makes it seem), downloads,
        // checks every signature and imports the keys (a key URL is fetched here): no script runs
        result = runDnf(session, files, Phase.DOWNLOAD, arguments, environment(files), line -> {});
      }
      if (result.succeeded() && !installed) {
        result = installPhase(session, files, arguments, transaction, dnfCommand(session, files, Phase.INSTALL,
            arguments));
      }
    } catch (java.io.InterruptedIOException e) {
      // the build was cancelled while dnf ran: what it wrote into the cache may be half-written
      DnfCacheFiles.discard(session, cache, DnfCacheFiles.added(DnfCacheFiles.snapshot(cache), before), Set.of());
      throw new BuildFailure(Kind.CANCELLED, "dnf was stopped: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new BuildFailure(Kind.TOOL, "cannot run dnf (" + e.getMessage() + "); install Debian packages dnf, rpm"
          + " and bubblewrap", e);
    }
    Map<Path, DnfCacheFiles.FileState> after = DnfCacheFiles.snapshot(cache);
    List<Path> added = DnfCacheFiles.added(after, before);
    if (!result.succeeded()) {
      Classified failure = classify(session, files, result);
      DnfCacheFiles.discard(session, cache, added, failure.badFiles());
      if (session.pinned().isPresent() && failure.failure().kind() == Kind.PACKAGE) {
        throw new BuildFailure(Kind.PACKAGE, "a rebuild installs only the packages its record locked, and "
            + failure.failure().getMessage() + ". The record's lock holds what stayed installed: a package a"
            + " staging script removed, or one the definition asks for since, is not among the pinned inputs");
      }
      throw failure.failure();
    }
    List<Path> downloaded = added.stream().filter(p -> p.getFileName().toString().endsWith(".rpm")).toList();
    long bytes = downloaded.stream().mapToLong(p -> after.get(p).size()).sum();
    int fromCache = Math.max(0, transaction.size() - downloaded.size() - localFiles);
    session.log().line(session.stage(), "dnf: " + downloaded.size() + " package files downloaded ("
        + bytes + " bytes), " + fromCache + " taken from the cache " + cache);
    return new InstallReport(downloaded.size(), bytes, fromCache);
  }

  /** dnf's install phase ({@code command}), each package it installs added to {@code transaction} and reported as progress. */
  private ExternalCommand.Result installPhase(PackageSession session, DnfFiles files, List<String> arguments,
      Set<String> transaction, List<String> command) throws IOException, BuildFailure {
    return runDnf(session, files, Phase.INSTALL, arguments, command, environment(files), line -> {
      Matcher step = TRANSACTION_STEP.matcher(line);
      if (step.matches()) {
        transaction.add(step.group(2));
        session.log().progress(session.stage(), Long.parseLong(step.group(3)), Long.parseLong(step.group(4)));
      }
    });
  }

  /** What dnf's install phase ({@code -C}) says when a package file it needs is not in the cache. */
  private static final String NOT_IN_CACHE = "cannot be downloaded due to";

  /** The commands that only take packages away: they need nothing downloaded. */
  private static final Set<String> REMOVALS = Set.of("erase", "remove");

  /** Runs one dnf command of {@code phase} in its sandbox, every output line to the build log and to {@code lines}. */
  private ExternalCommand.Result runDnf(PackageSession session, DnfFiles files, Phase phase, List<String> arguments,
      Map<String, String> environment, java.util.function.Consumer<String> lines) throws IOException, BuildFailure {
    return runDnf(session, files, phase, arguments, dnfCommand(session, files, phase, arguments), environment, lines);
  }

  /** {@link #runDnf(PackageSession, DnfFiles, Phase, List, Map, java.util.function.Consumer)} of another program. */
  private ExternalCommand.Result runDnf(PackageSession session, DnfFiles files, Phase phase, List<String> arguments,
      List<String> command, Map<String, String> environment, java.util.function.Consumer<String> lines)
      throws IOException, BuildFailure {
    Sandbox sandbox = sandbox(session, files, phase, arguments);
    ImageDevices devices = phase == Phase.INSTALL ? ImageDevices.prepare(session.image(), false) : null;
    try {
      return ExternalCommand.run(sandbox.command(command), environment, null,
          line -> {
            session.log().line(session.stage(), line);
            lines.accept(line);
          });
    } finally {
      if (devices != null) {
        devices.removeMountPoints();
      }
    }
  }

  /**
   * The sandbox of one dnf run. Both phases see, besides the host's programs: the image root
   * writable, dnf's generated configuration (private HOME, dnf.conf, repos.d; read-only in the install
   * phase), the repo's own package cache, and the key files and a kernel RPM file read-only
   * ({@link #readOnlyInputs}); nothing of other repos' caches, the worker's data or the
   * rest of the build directory. {@link Phase#DOWNLOAD}: the host's network, the cache writable, no
   * capability, no package script. {@link Phase#INSTALL}: no network, {@link #INSTALL_CAPABILITIES},
   * the host's harmless device nodes in the image's /dev for the scripts, and the cache's entries
   * read-only in an otherwise empty tmpfs (dnf writes its lock files there), so no package script can
   * change the cache.
   */
  Sandbox sandbox(PackageSession session, DnfFiles files, Phase phase, List<String> arguments) throws BuildFailure {
    Path root = session.rootfs().toAbsolutePath();
    Path cache = packageCache(session);
    Path configuration = files.config().getParent();
    Sandbox sandbox = Sandbox.confined()
        .writable(root)
        .workingDirectory(configuration);
    if (phase == Phase.DOWNLOAD) {
      // a rebuild from pinned inputs reads its local repository only: no network at all
      sandbox.network(session.pinned().isPresent() ? Sandbox.Network.NONE : Sandbox.Network.HOST)
          .writable(configuration).writable(cache);
    } else {
      sandbox.readOnly(configuration);
      cacheReadOnly(sandbox, cache);
    }
    if (session.pinned().isPresent()) {
      sandbox.readOnly(DnfPinnedRepository.directory(session));
    }
    for (Path[] input : readOnlyInputs(session, files, arguments)) {
      sandbox.readOnly(input[0], input[1]);
    }
    return phase == Phase.DOWNLOAD ? sandbox : sandbox.capabilities(INSTALL_CAPABILITIES).devicesIn(root);
  }

  /**
   * Shows the cache's entries read-only over an empty tmpfs: dnf writes its lock files into the tmpfs, and no
   * package script can change the cache.
   */
  static void cacheReadOnly(Sandbox sandbox, Path cache) throws BuildFailure {
    sandbox.emptyDirectory(cache);
    try (Stream<Path> entries = Files.list(cache)) {
      for (Path entry : entries.sorted().toList()) {
        // directories and files dnf made; never a link, which the bind would follow on the host
        if (Files.isDirectory(entry, java.nio.file.LinkOption.NOFOLLOW_LINKS)
            || Files.isRegularFile(entry, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
          sandbox.readOnly(entry);
        }
      }
    } catch (IOException e) {
      throw new BuildFailure(Kind.INTERNAL, "cannot read the package cache " + cache + ": " + e.getMessage(), e);
    }
  }

  /**
   * The host files a dnf or rpm run reads besides the image and the cache, as {host file, path dnf
   * opens}: the key files the .repo files name (the loader resolved them in the definition or the
   * trusted-keys directory; {@link #realKeyFile}) and a kernel RPM file. A {@code file://} repository stays invisible: a .repo file could name any
   * directory of the worker; serve it over http.
   */
  static List<Path[]> readOnlyInputs(PackageSession session, DnfFiles files, List<String> arguments) {
    Map<Path, Path[]> inputs = new java.util.TreeMap<>();
    for (RepoDefinition.ResolvedKey key : session.definition().gpgKeys()) {
      Path named = key.file().toAbsolutePath().normalize();
      realKeyFile(session, named).ifPresent(real -> inputs.put(named, new Path[] {real, named}));
    }
    // the one host file a definition may name (an operator's kernel RPM); any other path argument
    // stays invisible, so no definition can show a package script a file of the worker's
    RepoSpec spec = session.definition().spec();
    if (spec.kernelIsFile() && Files.exists(Path.of(spec.kernel()))) {
      Path kernel = Path.of(spec.kernel()).toAbsolutePath().normalize();
      inputs.put(kernel, new Path[] {kernel, kernel});
    }
    return new ArrayList<>(inputs.values());
  }

  /**
   * The real file behind a key file the loader resolved, when it lies where keys do: in the
   * directory it is named in, the definition's, /etc/pki or /usr/share. A key named in the definition
   * that is a link to, say, a file in /root is not shown (dnf then reports the key missing).
   */
  private static Optional<Path> realKeyFile(PackageSession session, Path named) {
    try {
      Path real = named.toRealPath();
      List<Path> places = new ArrayList<>(List.of(named.getParent().toRealPath(), Path.of("/etc/pki"),
          Path.of("/usr/share")));
      places.add(session.definition().directory().toRealPath());
      return Files.isRegularFile(real) && places.stream().anyMatch(real::startsWith) ? Optional.of(real)
          : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** A classified dnf failure and the package files it names as bad (purged from the cache). */
  private record Classified(BuildFailure failure, Set<String> badFiles) {
    Classified(BuildFailure failure) {
      this(failure, Set.of());
    }
  }

  /** Maps dnf's output to the failure an operator can act on. */
  private static Classified classify(PackageSession session, DnfFiles files, ExternalCommand.Result result) {
    String definition = session.definition().name();
    List<String> lines = result.tail();
    Set<String> corrupt = matches(lines, CHECKSUM_MISMATCH);
    if (!corrupt.isEmpty()) {
      return new Classified(new BuildFailure(Kind.INTEGRITY, "package " + describe(corrupt) + " of " + definition
          + " does not match the checksum in the repository metadata: the file on the mirror is corrupt"
          + " or the metadata is stale; nothing of it was kept in the cache. Fix the repository, then rebuild."),
          corrupt);
    }
    Set<String> unsigned = matches(lines, SIGNATURE_PROBLEM);
    if (!unsigned.isEmpty()) {
      return new Classified(new BuildFailure(Kind.INTEGRITY, "package " + describe(unsigned) + " of " + definition
          + " is unsigned or not signed by a key listed in gpgkey= of its .repo file, and gpgcheck is on;"
          + " it was refused and removed from the cache. Sign it, or fix gpgkey=."), unsigned);
    }
    for (String line : lines) {
      Matcher curl = CURL_ERROR.matcher(line);
      if (curl.find()) {
        return new Classified(new BuildFailure(Kind.NETWORK, "cannot reach the repository of " + definition + " at "
            + curl.group(2) + " (" + curl.group(1) + "); check its baseurl in the .repo file and the worker's network"));
      }
    }
    for (String line : lines) {
      Matcher metadata = METADATA_FAILURE.matcher(line);
      if (metadata.find()) {
        String repo = metadata.group(1);
        return new Classified(new BuildFailure(Kind.NETWORK, "cannot download the metadata of repository '" + repo + "' of "
            + definition + " from " + baseUrls(files, repo) + "; check its baseurl in the .repo file and the worker's network"));
      }
    }
    Set<String> missing = new TreeSet<>();
    for (String line : lines) {
      Matcher noMatch = NO_MATCH.matcher(line);
      if (noMatch.find()) {
        missing.addAll(List.of(noMatch.group(1).trim().split("\\s+")));
      }
    }
    if (!missing.isEmpty()) {
      return new Classified(new BuildFailure(Kind.PACKAGE, "package " + String.join(", ", missing) + " not found in the repositories of "
          + definition + "; check the package lists in repo-spec.json and the repositories in its .repo files"));
    }
    List<String> dependencies = lines.stream().map(String::trim)
        .filter(l -> MISSING_DEPENDENCY.matcher(l).find()).distinct().toList();
    if (!dependencies.isEmpty()) {
      return new Classified(new BuildFailure(Kind.PACKAGE, "cannot resolve the packages of " + definition + ": "
          + String.join("; ", dependencies)));
    }
    return new Classified(new BuildFailure(Kind.TOOL, "dnf " + String.join(" ", result.command().subList(
        Math.max(0, result.command().size() - 8), result.command().size())) + " failed for " + definition
        + " with exit code " + result.exitCode() + "; its last output:\n" + result.lastLines(15)));
  }

  private static Set<String> matches(List<String> lines, Pattern pattern) {
    Set<String> found = new TreeSet<>();
    for (String line : lines) {
      Matcher matcher = pattern.matcher(line);
      while (matcher.find()) {
        for (int g = 1; g <= matcher.groupCount(); g++) {
          if (matcher.group(g) != null) {
            found.add(Path.of(matcher.group(g)).getFileName().toString());
          }
        }
      }
    }
    return found;
  }

  /** "haveged (haveged-1.9.1-1.ph2.x86_64.rpm)" for each file. */
  private static String describe(Set<String> fileNames) {
    return fileNames.stream().map(f -> packageName(f) + " (" + f + ")").collect(Collectors.joining(", "));
  }

  /** The package name of an {@code N-V-R.A.rpm} file name (the file name itself when it is not one). */
  static String packageName(String fileName) {
    String base = fileName.endsWith(".rpm") ? fileName.substring(0, fileName.length() - 4) : fileName;
    int arch = base.lastIndexOf('.');
    String nvr = arch > 0 ? base.substring(0, arch) : base;
    int release = nvr.lastIndexOf('-');
    int version = release > 0 ? nvr.lastIndexOf('-', release - 1) : -1;
    return version > 0 ? nvr.substring(0, version) : fileName;
  }

  private static String baseUrls(DnfFiles files, String repoId) {
    Pattern section = Pattern.compile("^\\s*\\[(.+)]\\s*$");
    Pattern url = Pattern.compile("^\\s*(?:baseurl|mirrorlist|metalink)\\s*=\\s*(.+)$");
    List<String> urls = new ArrayList<>();
    try (Stream<Path> repoFiles = Files.list(files.reposDir())) {
      for (Path file : repoFiles.sorted().toList()) {
        String current = "";
        for (String line : Files.readAllLines(file)) {
          Matcher s = section.matcher(line);
          Matcher u = url.matcher(line);
          if (s.matches()) {
            current = s.group(1).trim();
          } else if (current.equals(repoId) && u.matches()) {
            urls.add(u.group(1).trim());
          }
        }
      }
    } catch (IOException e) {
      return "its baseurl";
    }
    return urls.isEmpty() ? "its baseurl" : String.join(" ", urls);
  }

  @Override
  public Lock lock(PackageSession session) throws BuildFailure {
    DnfFiles files = prepare(session);
    return holdingCache(session, () -> lockHoldingCache(session, files));
  }

  /**
   * The sandbox of rpm's queries (the lock): the image root writable (sqlite makes the rpmdb's
   * {@code -shm} file even to read), the cache, the private HOME and a kernel file read-only; no
   * network, no capability.
   */
  private static Sandbox querySandbox(PackageSession session, DnfFiles files) {
    Sandbox sandbox = Sandbox.confined()
        .writable(session.rootfs().toAbsolutePath())
        .readOnly(packageCache(session))
        .readOnly(files.config().getParent());
    if (session.pinned().isPresent()) {
      sandbox.readOnly(DnfPinnedRepository.directory(session));
    }
    for (Path[] input : readOnlyInputs(session, files, List.of())) {
      sandbox.readOnly(input[0], input[1]);
    }
    return sandbox;
  }

  private Lock lockHoldingCache(PackageSession session, DnfFiles files) throws BuildFailure {
    Map<String, String> environment = environment(files);
    Sandbox queries = querySandbox(session, files);
    List<String> installed;
    try {
      installed = ExternalCommand.output(queries.command(List.of("rpm", "--root",
          session.rootfs().toAbsolutePath().toString(), "--dbpath", RPM_DBPATH, "-qa", "--qf", LOCK_QUERY)), environment);
    } catch (IOException e) {
      throw new BuildFailure(Kind.TOOL, "cannot read the rpm database of " + session.rootfs() + ": " + e.getMessage(), e);
    }
    List<Path> candidates = new ArrayList<>(session.pinned().isPresent()
        ? DnfPinnedRepository.files(session)
        : DnfCacheFiles.snapshot(packageCache(session)).keySet().stream()
            .filter(p -> p.getFileName().toString().endsWith(".rpm")).sorted().toList());
    RepoSpec spec = session.definition().spec();
    if (spec.kernelIsFile()) {
      candidates.add(Path.of(spec.kernel()));
    }
    Map<String, Path> fileByIdentity = identities(candidates, queries, environment);
    List<LockedPackage> packages = new ArrayList<>();
    Map<String, Path> filesBySha256 = new HashMap<>();
    for (String row : installed) {
      String[] f = row.split("\t", -1);
      if (f.length != 7 || f[0].equals("gpg-pubkey")) {
        continue; // keys dnf imported are not packages of the image
      }
      Path file = fileByIdentity.get(row);
      if (file == null) {
        throw new BuildFailure(Kind.INTERNAL, "installed package " + f[0] + "-" + f[2] + "-" + f[3] + "." + f[4]
            + " has no package file in the cache " + packageCache(session)
            + "; the cache was changed during the build, rebuild to pin it again");
      }
      String version = (f[1].equals("0") ? "" : f[1] + ":") + f[2] + "-" + f[3];
      String sha256 = sha256(file);
      filesBySha256.put(sha256, file);
      packages.add(new LockedPackage(f[0], version, f[4], sha256, Long.parseLong(f[5])));
    }
    Lock lock = new Lock(ENGINE, packages);
    if (session.pinned().isPresent()) {
      // only a part of the pinned set before or after the staging's removals: StagingStage checks the whole
      lock = PinnedSet.installedAreAllPinned(lock, session.pinned().get());
      Map<String, Path> pinnedFiles = new HashMap<>();
      for (LockedPackage p : lock.packages()) {
        pinnedFiles.put(p.sha256(), session.pinned().get().file(p, DnfPinnedRepository.SUFFIX).toAbsolutePath());
      }
      filesBySha256 = pinnedFiles;
    } else {
      // the resolution's URLs where the metadata has not changed since (docs/adr/0055), else repoquery
      Path cache = packageCache(session);
      lock = DnfOrigins.add(lock, filesBySha256, cache, DnfResolvedLocations.origins(cache, filesBySha256),
          new DnfLocationQuery(this, session, files));
    }
    // a staging that removes packages reads the lock before and after: packageFiles wants the files of both
    LOCKED_FILES.merge(session.rootfs().toAbsolutePath(), Map.copyOf(filesBySha256), (earlier, now) -> {
      Map<String, Path> both = new HashMap<>(earlier);
      both.putAll(now);
      return Map.copyOf(both);
    });
    return lock;
  }

  /** The files {@link #lock} found for each image, by sha256, until {@link #packageFiles} takes them. */
  private static final Map<Path, Map<String, Path>> LOCKED_FILES = new ConcurrentHashMap<>();

  /** Maps the {@link #LOCK_QUERY} line of each package file to the file. */
  private static Map<String, Path> identities(List<Path> files, Sandbox queries, Map<String, String> environment)
      throws BuildFailure {
    Map<String, Path> byIdentity = new LinkedHashMap<>();
    if (files.isEmpty()) {
      return byIdentity;
    }
    List<String> batch = new ArrayList<>(List.of("rpm", "-qp", "--nosignature", "--nodigest", "--qf", LOCK_QUERY));
    files.forEach(f -> batch.add(f.toString()));
    try {
      List<String> lines = ExternalCommand.output(queries.command(batch), environment);
      if (lines.size() == files.size()) {
        for (int i = 0; i < files.size(); i++) {
          byIdentity.put(lines.get(i), files.get(i));
        }
        return byIdentity;
      }
    } catch (IOException e) {
      // an unreadable file in the batch: query one by one below and skip the unreadable ones
    }
    for (Path file : files) {
      try {
        List<String> lines = ExternalCommand.output(queries.command(
            List.of("rpm", "-qp", "--nosignature", "--nodigest", "--qf", LOCK_QUERY, file.toString())), environment);
        if (lines.size() == 1) {
          byIdentity.put(lines.get(0), file);
        }
      } catch (IOException e) {
        // not a readable package: it cannot be the file of an installed package
      }
    }
    return byIdentity;
  }

  private static String sha256(Path file) throws BuildFailure {
    try {
      return Sha256.of(file);
    } catch (IOException e) {
      throw new BuildFailure(Kind.INTERNAL, "cannot hash " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Map<String, Path> packageFiles(PackageSession session, Lock lock) throws BuildFailure {
    // the lock just hashed each file it mapped to a package: take those when they are all still there
    Map<String, Path> known = LOCKED_FILES.remove(session.rootfs().toAbsolutePath());
    if (known != null && lock.inputs().stream().allMatch(p -> known.containsKey(p.sha256())
        && Files.isRegularFile(known.get(p.sha256()), LinkOption.NOFOLLOW_LINKS))) {
      Map<String, Path> files = new HashMap<>();
      lock.inputs().forEach(p -> files.put(p.sha256(), known.get(p.sha256())));
      return files;
    }
    List<Path> roots = new ArrayList<>();
    session.pinned().ifPresent(pinned -> roots.add(pinned.dir()));
    roots.add(packageCache(session));
    return PackageFiles.find(lock, ".rpm", roots);
  }

  @Override
  public void cleanImage(PackageSession session, boolean keepDatabase) throws BuildFailure {
    ImageRoot image = null;
    try {
      image = session.image();
      removeCacheInsideRoot(session, image);
      for (String directory : List.of("/var/log", "/var/lib/dnf", "/var/lib/rpm")) {
        if (image.isSymbolicLink(directory)) {
          continue; // not the package manager's directory: nothing of it is emptied through a link
        }
        for (String name : image.list(directory)) {
          String child = directory + "/" + name;
          boolean leftover = switch (directory) {
            case "/var/log" -> name.startsWith("dnf") || name.equals("hawkey.log");
            case "/var/lib/dnf" -> name.startsWith("history");
            default -> name.equals(".rpm.lock") || name.endsWith("-shm")
                || (name.endsWith("-wal") && !image.isSymbolicLink(child) && Files.size(image.resolve(child)) == 0);
          };
          if (leftover) {
            image.delete(child);
          }
        }
      }
      image.delete("/var/cache/dnf");
      image.delete("/.rpm.lock");
      if (!keepDatabase) {
        image.delete("/var/lib/rpm");
        image.delete("/var/lib/dnf");
      }
      removeIfOnlyEmptyDirectories(image, "/etc/dnf");
    } catch (IOException | UncheckedIOException e) {
      throw new BuildFailure(Kind.INTERNAL, "cannot clean dnf's leftovers out of " + (image == null ? session.rootfs() : image)
          + ": " + e.getMessage(), e);
    }
  }

  /**
   * With {@code --installroot}, dnf recreates its cachedir path inside the image (holding
   * {@code expired_repos.json}). Removes it, then each parent that is left empty and that no
   * installed package owns. Who owns the parents is asked once for all of them ({@link RpmOwners}).
   */
  private void removeCacheInsideRoot(PackageSession session, ImageRoot image) throws IOException, BuildFailure {
    Path cache = packageCache(session);
    String inside = "/" + cache.getRoot().relativize(cache);
    image.delete(inside);
    DnfFiles files = prepare(session);
    // the parents the loop below may reach: up to the first that is a link or not a directory
    List<String> parents = new ArrayList<>();
    for (Path parent = Path.of(inside).getParent(); parent != null && parent.getNameCount() > 0; parent = parent.getParent()) {
      String path = parent.toString();
      if (image.isSymbolicLink(path) || !image.isDirectory(path)) {
        break;
      }
      parents.add(path);
    }
    if (parents.isEmpty() || !image.list(parents.get(0)).isEmpty()) {
      return;
    }
    Set<String> owned = ownedByPackages(session, image, parents, files);
    for (String path : parents) {
      if (!image.list(path).isEmpty() || owned.contains(path)) {
        break;
      }
      image.delete(path);
    }
  }

  /** Which of {@code directories} an installed package owns: asked of the image's rpm database, confined as the lock's queries. */
  private Set<String> ownedByPackages(PackageSession session, ImageRoot image, List<String> directories, DnfFiles files)
      throws IOException {
    if (!image.isDirectory(RPM_DBPATH)) {
      return Set.of();
    }
    return RpmOwners.owned(querySandbox(session, files), image.hostPath().toString(), RPM_DBPATH, directories,
        environment(files));
  }

  /** Deletes {@code directory} when it holds nothing but (empty) directories. */
  private static void removeIfOnlyEmptyDirectories(ImageRoot image, String directory) throws IOException {
    if (image.isSymbolicLink(directory) || !image.isDirectory(directory)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(image.resolve(directory))) {
      if (paths.anyMatch(p -> !Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS))) {
        return;
      }
    }
    image.delete(directory);
  }

}
