package org.bootfarm.worker.pkg;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.bootfarm.worker.FileTrees;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.build.Lock;
import org.bootfarm.protocol.build.LockedPackage;
import org.bootfarm.protocol.build.PackageOrigin;
import org.bootfarm.protocol.repo.AptSources;
import org.bootfarm.protocol.repo.RepoSpec;
import org.bootfarm.worker.BuildFailure;
import org.bootfarm.worker.BuildLog;
import org.bootfarm.worker.BuildFailure.Kind;
import org.bootfarm.worker.image.ImageDirectories;
import org.bootfarm.worker.image.ImageRoot;
import org.bootfarm.worker.process.ExternalCommand;
import org.bootfarm.sandbox.Capability;
import org.bootfarm.worker.sandbox.ImageDevices;
import org.bootfarm.sandbox.Sandbox;

/**
 * The driver for {@code apt} definitions: bootstraps a Debian root with mmdebstrap and adds,
 * removes and pins packages with the host's apt and dpkg acting on that root.
 *
 * <p>Every flag handed to the tools is in {@link #mmdebstrapCommand}, {@link #aptConfig} and the
 * constants below; docs/adr/0006-apt-driver-mmdebstrap.md says why each was chosen. In short:
 * <ul>
 *   <li>A root without a dpkg database is bootstrapped with {@code mmdebstrap --variant=essential}:
 *       the Essential:yes set (dpkg, coreutils, bash, util-linux...) plus the requested packages,
 *       and no apt inside the image. {@code --skip=check/empty} keeps what base.sh put there.</li>
 *   <li>A root with a dpkg database gets packages from the host's {@code apt-get} with
 *       {@code Dir} pointed at the root and {@code DPkg::Chroot-Directory}, as mmdebstrap itself
 *       installs non-essential packages.</li>
 *   <li>Sources: the definition's sources file, else {@link #defaultSources()}. The suite is the
 *       first suite of that file ({@link AptSourcesFile}).</li>
 *   <li>Warm cache: {@code <cacheDir>/apt/archives} (package files) and {@code <cacheDir>/apt/lists}
 *       (signed indices) are linked into the root before a run; after a successful run each new
 *       package file is checked against the SHA256 in the signed indices and only then published
 *       (temporary name, atomic rename). A failed run publishes nothing.</li>
 *   <li>Confinement: every tool runs in a {@link Sandbox}, in two phases. The download phase has the
 *       host's network and runs no package script: host apt fetches the indices and exactly the
 *       package files the install will need into the root's apt directories (for a fresh root, while
 *       mmdebstrap starts and waits at hooks for them, {@link AptBootstrapFetch}). The install phase
 *       (mmdebstrap with {@code --skip=update}, or host apt with dpkg chrooted into the root) has no
 *       network. Both see the root writable and only the host files apt needs
 *       ({@link #sandbox}).</li>
 *   <li>Lock: each installed package's file sha256, build time and origin (suite/component and URL, from
 *       the verified indices in the lists cache, {@link AptOrigins}).</li>
 *   <li>Rebuild from a record ({@link PackageSession#pinned}): the only source is a
 *       {@link PinnedAptRepository} of the pinned files; no phase has network, the warm cache is neither
 *       read nor written, and the lock must be part of the pinned set, with what the staging removed all of it
 *       (docs/adr/0036, 0035).</li>
 * </ul>
 */
public final class AptDriver implements PackageManagerDriver {

  /** Debian's own sources on a Debian 12 worker (deb822), then the classic one-line file. */
  static final List<String> DEFAULT_SOURCES = List.of("sources.list.d/debian.sources", "sources.list");

  /**
   * dpkg path filters written into the image's {@code /etc/dpkg/dpkg.cfg.d/99mmdebstrap}, so later
   * installs into the same root obey them too: no manuals, info pages, translations or docs
   * (copyright files stay, as the licences require) in an image that boots into a tmpfs.
   */
  static final List<String> DPKG_OPTIONS = List.of(
      "path-exclude=/usr/share/man/*",
      "path-exclude=/usr/share/info/*",
      "path-exclude=/usr/share/locale/*",
      "path-exclude=/usr/share/doc/*",
      "path-include=/usr/share/doc/*/copyright",
      "path-exclude=/usr/share/lintian/*");

  /** dpkg's default force flags (security-mac, downgrade) and unsafe-io: no fsync per unpacked file. */
  static final String DPKG_FORCE = "security-mac,downgrade,unsafe-io";

  /** The worker's apt settings carried over to the build: how to treat its (e.g. snapshot) archive. */
  static final List<String> INHERITED_APT_SETTINGS = List.of("Acquire::Check-Valid-Until", "Acquire::Check-Date");

  /** apt settings every run gets: no translations, no recommends (the package list is exact). */
  static final List<String> APT_OPTIONS = List.of(
      "Acquire::Languages \"none\"",
      "APT::Install-Recommends \"false\"",
      "APT::Install-Suggests \"false\"");

  /**
   * What mmdebstrap, apt and dpkg keep in the install phase, where dpkg unpacks and runs maintainer
   * scripts chrooted into the root ({@link Capability#why()} says why each). {@code DAC_OVERRIDE}
   * too: without it systemd's postinst fails to create /run/systemd/netif/links, leases and lldp
   * inside a directory it has just given to systemd-network (measured with debian-12's appliance
   * set). No {@code MKNOD}: Debian packages ship no device nodes, and without it mmdebstrap makes
   * none in the tree. The download phase keeps none.
   */
  public static final Set<Capability> INSTALL_CAPABILITIES = Collections.unmodifiableSet(EnumSet.of(
      Capability.CHOWN, Capability.DAC_OVERRIDE, Capability.FOWNER, Capability.FSETID, Capability.SETFCAP,
      Capability.SYS_CHROOT));

  /** The host's apt keyrings apt checks the sources' signatures with when a source names no Signed-By. */
  static final List<Path> HOST_KEYRINGS = List.of(Path.of("/etc/apt/trusted.gpg"), Path.of("/etc/apt/trusted.gpg.d"));

  /**
   * The stand-in for the dummy {@code usr-is-merged} that mmdebstrap's merged-usr setup hook installs
   * before it resolves the essential set, so the download phase resolves the same set (without it
   * apt picks usrmerge and perl).
   */
  static final String MERGED_USR_STATUS = String.join("\n",
      "Package: usr-is-merged",
      "Status: install ok installed",
      "Priority: optional",
      "Section: oldlibs",
      "Maintainer: bootfarm",
      "Architecture: all",
      "Multi-Arch: foreign",
      "Source: mmdebstrap-dummy-usr-is-merged",
      "Version: 1",
      "Description: stand-in for mmdebstrap's merged-usr setup hook",
      "",
      "");

  /** Whether a run has the network: only the one that runs no maintainer script. */
  enum Phase { DOWNLOAD, INSTALL }

  /** Debian package names, optionally with {@code :arch} or {@code =version}; nothing that looks like an option. */
  private static final Pattern PACKAGE_NAME = RepoSpec.APT_PACKAGE_WORD;

  private static final List<String> TOOLS = List.of("mmdebstrap", "apt-get", "apt-config", "dpkg", "dpkg-query");
  private static final Map<String, String> TOOL_PACKAGES =
      Map.of("mmdebstrap", "mmdebstrap", "apt-get", "apt", "apt-config", "apt", "dpkg", "dpkg", "dpkg-query", "dpkg");

  private static final int TAIL_LINES = 40;

  private volatile List<String> inheritedAptOptions;
  private volatile String hostArchitecture;

  @Override
  public String engine() {
    return "mmdebstrap";
  }

  @Override
  public Optional<String> unavailableReason() {
    Set<String> missing = new LinkedHashSet<>();
    for (String tool : TOOLS) {
      if (ExternalCommand.onPath(tool).isEmpty()) {
        missing.add(TOOL_PACKAGES.get(tool));
      }
    }
    if (!missing.isEmpty()) {
      return Optional.of("the apt driver needs mmdebstrap, apt and dpkg: install the Debian package(s) "
          + String.join(" ", missing) + " (apt-get install " + String.join(" ", missing) + ")");
    }
    if (!ExternalCommand.runningAsRoot()) {
      return Optional.of("the apt driver runs mmdebstrap --mode=root and chroots into the image: run the worker as root");
    }
    if (!ExternalCommand.installed(Sandbox.BWRAP)) {
      return Optional.of("the apt driver runs its tools in a bubblewrap sandbox: install the Debian package bubblewrap");
    }
    return Optional.empty();
  }

  /**
   * The worker's own Debian sources: {@code /etc/apt/sources.list.d/debian.sources} when present,
   * else {@code /etc/apt/sources.list}. Only Debian's file is taken: other files in
   * {@code sources.list.d} (third-party archives) never reach an image.
   *
   * @throws BuildFailure TOOL when neither exists, naming both paths
   */
  public static Path defaultSources() throws BuildFailure {
    return defaultSources(Path.of("/etc/apt"));
  }

  /** {@link #defaultSources()} relative to another apt configuration directory. */
  static Path defaultSources(Path etcApt) throws BuildFailure {
    for (String candidate : DEFAULT_SOURCES) {
      Path file = etcApt.resolve(candidate);
      if (Files.isRegularFile(file)) {
        return file;
      }
    }
    throw new BuildFailure(Kind.TOOL, "this worker has no Debian apt sources: neither "
        + etcApt.resolve(DEFAULT_SOURCES.get(0)) + " nor " + etcApt.resolve(DEFAULT_SOURCES.get(1))
        + " exists; configure the worker's Debian archive there, or ship a sources file in the repo definition");
  }

  @Override
  public InstallReport install(PackageSession session, List<String> packages) throws BuildFailure {
    checkPackageNames(packages);
    Path root = session.rootfs();
    try {
      if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
        ImageDirectories.create(root); // a fresh root, as mmdebstrap would make it
      }
    } catch (IOException e) {
      throw new BuildFailure(Kind.INTERNAL, "apt: cannot create the root " + root + ": " + e.getMessage(), e);
    }
    boolean fresh = !hasDpkgDatabase(session);
    if (!fresh && packages.isEmpty()) {
      return InstallReport.NOTHING;
    }
    Path archivesCache = session.cacheDir().resolve("apt/archives");
    Path listsCache = session.cacheDir().resolve("apt/lists");
    boolean pinned = session.pinned().isPresent();
    AptSourcesFile sources = openSources(session);
    try {
      Files.createDirectories(archivesCache);
      Files.createDirectories(listsCache);
      Set<String> installedBefore = fresh ? Set.of() : installedArchiveNames(session);
      Set<String> cachedBefore = new TreeSet<>();
      AptCacheLinks[] linked = {AptCacheLinks.NONE};
      if (pinned) {
        cachedBefore.addAll(fileNames(archivesCache));
        emptyRoot(session.image()); // apt would take a warm-cache file of the same name on its size alone
      } else {
        AptCacheLock.holding(session.cacheDir(), () -> {
          cachedBefore.addAll(fileNames(archivesCache));
          linked[0] = seedRoot(session.image(), archivesCache, listsCache);
        });
      }
      // the signed indices as they were before any package script ran: what every file is checked against after
      AptPackageIndex vouching = null;
      boolean rechecked = false;
      try {
        if (fresh) {
          session.log().line(session.stage(), "apt: bootstrapping " + root + " (suite " + sources.suite()
              + " from " + sources.file() + ") with " + String.join(" ", packages));
          // the fetch's lines and mmdebstrap's come from two threads at once
          PackageSession logged = session.withLog(BuildLog.oneLineAtATime(session.log()));
          BootstrapDownload download = downloadForBootstrap(logged, sources, packages);
          vouching = download.index();
          Optional<AptBootstrapFetch> fetch = download.fetch();
          try {
            Path pathFilter = TarPathFilter.install(session.workDir());
            ImageDevices devices = ImageDevices.prepare(session.image(), true);
            try {
              Sandbox install = sandbox(session, sources, Phase.INSTALL, null).readOnly(pathFilter.toAbsolutePath());
              fetch.ifPresent(f -> install.readOnly(f.gateDirectory().toAbsolutePath())
                  .readOnly(f.lateDirectory().toAbsolutePath()));
              try {
                runApt(logged, sources, mmdebstrapCommand(session, sources, packages,
                    fetch.map(AptBootstrapFetch::mmdebstrapOptions).orElse(List.of())),
                    Map.of("PATH", TarPathFilter.searchPath(pathFilter)), install);
              } catch (BuildFailure mmdebstrapFailure) {
                throw fetch.isPresent() ? fetch.get().failureOr(mmdebstrapFailure) : mmdebstrapFailure;
              }
              if (fetch.isPresent()) {
                fetch.get().finish();
              }
            } finally {
              devices.removeMountPoints();
              FileTrees.delete(pathFilter);
            }
          } finally {
            fetch.ifPresent(AptBootstrapFetch::close);
          }
          forgetTheWorker(session.image(), sources);
        } else {
          session.log().line(session.stage(), "apt: adding " + String.join(" ", packages) + " to " + root);
          List<String> install = new ArrayList<>(List.of("apt-get", "-y", "install"));
          install.addAll(packages);
          vouching = inRootWithHostApt(session, sources, packages, install).orElse(null);
        }
        rechecked = true;
        Optional<BuildFailure> tampered = linked[0].recheck(vouching, line -> session.log().line(session.stage(), line));
        if (tampered.isPresent()) {
          throw tampered.get();
        }
        if (pinned) {
          Set<String> added = new TreeSet<>(installedArchiveNames(session));
          added.removeAll(installedBefore);
          session.log().line(session.stage(), "apt: " + added.size() + " package files installed from the pinned"
              + " inputs, none downloaded");
          return InstallReport.NOTHING;
        }
        InstallReport report = harvest(session, sources, archivesCache, vouching, cachedBefore, installedBefore);
        session.log().line(session.stage(), "apt: " + report.downloaded() + " package files downloaded ("
            + report.bytesDownloaded() + " bytes), " + report.fromCache() + " from the warm cache");
        return report;
      } finally {
        if (!rechecked) {
          // a run that failed: its package scripts may have run all the same; what they changed leaves the cache
          // (recheck logs it), and the run's own failure is the one reported
          try {
            linked[0].recheck(vouching, line -> session.log().line(session.stage(), line));
          } catch (IOException e) {
            session.log().line(session.stage(), "apt: cannot check the warm cache's linked files: " + e.getMessage());
          }
        }
        emptyAptState(session);
      }
    } catch (IOException e) {
      throw new BuildFailure(Kind.INTERNAL, "apt: " + e.getMessage() + " (root " + root + ", cache "
          + session.cacheDir() + ")", e);
    } finally {
      closeSources(session, sources);
    }
  }

  /**
   * The sources of one run: {@link #sourcesOf} for a build that resolves its packages; for a rebuild from a
   * record ({@link PackageSession#pinned}) a {@link PinnedAptRepository} of the pinned files in a fresh
   * directory of the work dir, and never the definition's or the worker's sources. Close with
   * {@link #closeSources}.
   */
  static AptSourcesFile openSources(PackageSession session) throws BuildFailure {
    if (session.pinned().isEmpty()) {
      return sourcesOf(session);
    }
    try {
      Path dir = Files.createTempDirectory(Files.createDirectories(session.workDir()), "apt-pinned-");
      return PinnedAptRepository.write(session.pinned().get(), dir, session.sourceDateEpoch()).sources();
    } catch (IOException e) {
      throw new BuildFailure(Kind.INTERNAL, "apt: cannot make a directory in " + session.workDir() + ": "
          + e.getMessage(), e);
    }
  }

  /** Deletes what {@link #openSources} wrote for a pinned session; best effort (the work dir goes with the build). */
  static void closeSources(PackageSession session, AptSourcesFile sources) {
    if (session.pinned().isPresent()) {
      FileTrees.deleteQuietly(sources.file().getParent());
    }
  }

  /**
   * What installing each transaction into an empty root would take, resolved by apt without downloading or
   * installing anything ({@link AptResolver}): the set {@link #downloadForBootstrap} fetches for a fresh root.
   * Empty for a rebuild from a record, which never uses the action cache.
   */
  @Override
  public Optional<List<String>> resolve(PackageSession session, List<List<String>> transactions)
      throws BuildFailure {
    return session.pinned().isPresent() ? Optional.empty() : AptResolver.resolve(this, session, transactions);
  }

  /** The lock's files as the resolution names them: name, version, arch, sha256 and origin (ADR 0054). */
  @Override
  public Optional<List<String>> asResolvedLines(Lock lock) {
    return Optional.of(AptResolver.lines(lock));
  }

  @Override
  public void runScript(PackageSession session, String script) throws BuildFailure {
    for (String command : script.split("[;\n]")) {
      List<String> words = Arrays.stream(command.trim().split("\\s+")).filter(w -> !w.isEmpty()).toList();
      if (words.isEmpty()) {
        continue;
      }
      String verb = words.get(0);
      List<String> packages = words.subList(1, words.size());
      checkPackageNames(packages);
      if (packages.isEmpty()) {
        throw new BuildFailure(Kind.DEFINITION, "repo-spec.json: packages_script_staging: '" + command.trim()
            + "' names no package; write e.g. 'remove busybox'");
      }
      switch (verb) {
        case "install" -> install(session, packages);
        case "remove", "erase", "purge" -> {
          if (!hasDpkgDatabase(session)) {
            throw new BuildFailure(Kind.DEFINITION, "repo-spec.json: packages_script_staging: '" + command.trim()
                + "' runs before any package was installed in " + session.rootfs());
          }
          List<String> remove = new ArrayList<>(List.of("apt-get", "-y", "purge".equals(verb) ? "purge" : "remove"));
          remove.addAll(packages);
          session.log().line(session.stage(), "apt: " + String.join(" ", remove.subList(2, remove.size()))
              + " in " + session.rootfs());
          AptSourcesFile sources = openSources(session);
          try {
            inRootWithHostApt(session, sources, List.of(), remove);
          } catch (IOException e) {
            throw new BuildFailure(Kind.INTERNAL, "apt: " + e.getMessage(), e);
          } finally {
            emptyAptState(session);
            closeSources(session, sources);
          }
        }
        default -> throw new BuildFailure(Kind.DEFINITION, "repo-spec.json: packages_script_staging: '"
            + command.trim() + "': unknown command '" + verb + "'; the apt driver knows install, remove"
            + " (or erase) and purge");
      }
    }
  }

  /**
   * The installed packages with the sha256 of each file, its build time and its origin. A build that resolved
   * its packages reads each file from the warm cache and its origin from the verified indices in the cache's
   * lists ({@link AptOrigins}); a rebuild from a record must have installed only pinned packages, and its
   * lock is those, origins included.
   */
  @Override
  public Lock lock(PackageSession session) throws BuildFailure {
    if (session.pinned().isPresent()) {
      return pinnedLock(session, session.pinned().get());
    }
    Path archivesCache = session.cacheDir().resolve("apt/archives");
    List<String[]> installed = installedPackages(session);
    Set<String> names = new TreeSet<>();
    installed.forEach(p -> names.add(AptPackageIndex.archiveName(p[0], p[1], p[2])));
    AptOrigins origins;
    try {
      origins = AptOrigins.read(session.cacheDir().resolve("apt/lists"),
          installed.isEmpty() ? List.of() : sourcesOf(session).uris(), names);
    } catch (IOException e) {
      throw new BuildFailure(Kind.INTERNAL, "apt: cannot read the indices in " + session.cacheDir().resolve("apt/lists")
          + ": " + e.getMessage(), e);
    }
    List<LockedPackage> locked = new ArrayList<>();
    List<String> unknownOrigin = new ArrayList<>();
    for (String[] p : installed) {
      String archiveName = AptPackageIndex.archiveName(p[0], p[1], p[2]);
      Path deb = archivesCache.resolve(archiveName);
      if (!Files.isRegularFile(deb)) {
        throw new BuildFailure(Kind.INTERNAL, "apt: package " + p[0] + " " + p[1] + " (" + p[2]
            + ") is installed in " + session.rootfs() + " but its package file " + deb
            + " is not in the warm cache; the lock needs the file that was installed: rebuild the root"
            + " from scratch with this cache directory");
      }
      try {
        String sha = sha256(deb);
        PackageOrigin origin = origins.of(archiveName, sha).orElse(null);
        if (origin == null) {
          unknownOrigin.add(archiveName);
        }
        locked.add(new LockedPackage(p[0], p[1], p[2], sha, DebFile.buildTime(deb), origin));
      } catch (IOException e) {
        throw new BuildFailure(Kind.INTERNAL, "apt: cannot read " + deb + ": " + e.getMessage(), e);
      }
    }
    if (!unknownOrigin.isEmpty()) {
      session.log().line(session.stage(), "apt: no index in " + session.cacheDir().resolve("apt/lists")
          + " lists " + String.join(", ", unknownOrigin) + " with the installed file's sha256 (the indices moved on"
          + " since it was installed); locked without an origin");
    }
    return new Lock(engine(), locked);
  }

  /**
   * The lock of a rebuild: every installed package must be a pinned one (name, version, architecture); each
   * is locked as the record locked it, sha256, build time and origin included, since apt took its file from the
   * local repository only after checking it against that sha256. A pinned package not installed is no error
   * here: a lock read before or after the staging's removals is part of the pinned set, and
   * {@link PinnedSet#exactly} checks the whole set at the end of the staging.
   *
   * @throws BuildFailure INPUT naming what was installed beyond the pinned set
   */
  private Lock pinnedLock(PackageSession session, PinnedInputs pinned) throws BuildFailure {
    Map<String, LockedPackage> byName = new TreeMap<>();
    for (LockedPackage p : pinned.packages()) {
      byName.put(AptPackageIndex.archiveName(p.name(), p.version(), p.arch()), p);
    }
    List<LockedPackage> locked = new ArrayList<>();
    List<String> extra = new ArrayList<>();
    for (String[] p : installedPackages(session)) {
      String archiveName = AptPackageIndex.archiveName(p[0], p[1], p[2]);
      LockedPackage record = byName.get(archiveName);
      if (record == null) {
        extra.add(p[0] + "-" + p[1] + "." + p[2]);
      } else {
        locked.add(record);
      }
    }
    if (!extra.isEmpty()) {
      throw new BuildFailure(Kind.INPUT, "apt: the rebuild installed packages the record does not pin"
          + "; installed but not pinned: " + String.join(", ", extra)
          + ". The definition's package lists or hooks no longer install what the recorded build did: rebuild with"
          + " the definition digest the record names");
    }
    return new Lock(engine(), locked);
  }

  /**
   * Each locked package's file, found by name rather than by hashing every file the worker keeps: for a rebuild
   * {@code <sha256>.deb} in the pinned inputs' directory; otherwise the warm cache's
   * {@code name_version_arch.deb}, checked to still have the locked sha256.
   */
  @Override
  public java.util.Map<String, Path> packageFiles(PackageSession session, Lock lock) throws BuildFailure {
    Map<String, Path> files = new TreeMap<>();
    List<String> missing = new ArrayList<>();
    Path archivesCache = session.cacheDir().resolve("apt/archives");
    for (LockedPackage p : lock.inputs()) { // installed and removed by the staging
      Path file = session.pinned().isPresent() ? session.pinned().get().file(p, ".deb")
          : archivesCache.resolve(AptPackageIndex.archiveName(p.name(), p.version(), p.arch()));
      try {
        if (Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)
            && (session.pinned().isPresent() || sha256(file).equals(p.sha256()))) {
          files.put(p.sha256(), file);
          continue;
        }
      } catch (IOException e) {
        // named below
      }
      missing.add(p.describe() + " (sha256 " + p.sha256() + ", " + file + ")");
    }
    if (!missing.isEmpty()) {
      throw new BuildFailure(Kind.INTEGRITY, "apt: the package file of " + String.join(", ", missing)
          + " is gone or changed since the lock was taken: the package cache changed during the build; build again");
    }
    return files;
  }

  @Override
  public void cleanImage(PackageSession session, boolean keepDatabase) throws BuildFailure {
    Path root = session.rootfs();
    try {
      ImageRoot image = session.image();
      image.deleteChildren("/var/cache/apt");
      image.deleteChildren("/var/lib/apt/lists");
      image.deleteChildren("/var/log/apt");
      for (String file : List.of("/var/log/dpkg.log", "/var/log/alternatives.log", "/var/log/bootstrap.log",
          "/var/cache/ldconfig/aux-cache")) {
        deleteFile(image, file);
      }
      if (!image.isSymbolicLink("/etc/machine-id") && image.isRegularFile("/etc/machine-id")) {
        image.rewrite("/etc/machine-id", new byte[0]);
      }
      for (String file : List.of("/etc/hostname", "/etc/resolv.conf")) {
        deleteIfCopiedFromHost(image, file, Path.of(file));
      }
      for (String dir : List.of("/var/lib/dpkg", "/var/cache/debconf")) {
        if (!image.isSymbolicLink(dir)) {
          for (String name : image.list(dir)) {
            if (name.endsWith("-old")) {
              deleteFile(image, dir + "/" + name);
            }
          }
        }
      }
      if (!keepDatabase) {
        image.delete("/var/lib/dpkg");
      }
      session.log().line(session.stage(), "apt: cleaned package caches and logs out of " + root
          + (keepDatabase ? " (dpkg database kept)" : " (dpkg database removed)"));
    } catch (IOException e) {
      throw new BuildFailure(Kind.INTERNAL, "apt: cannot clean " + root + ": " + e.getMessage(), e);
    }
  }

  // ---------------------------------------------------------------- mmdebstrap

  /** The whole mmdebstrap command line of a fresh root. */
  List<String> mmdebstrapCommand(PackageSession session, AptSourcesFile sources, List<String> packages,
      List<String> gateHooks) throws BuildFailure {
    List<String> cmd = new ArrayList<>(List.of(
        "mmdebstrap",
        "--mode=root",
        "--variant=essential",
        "--verbose"));
    // before the merged-usr hooks: its essential hook installs a package file the second gate waits for
    cmd.addAll(gateHooks);
    cmd.addAll(List.of(
        // merged /usr set up by mmdebstrap itself: the usrmerge package would pull perl (~47 MB)
        // into a tree the guest unpacks into RAM
        "--hook-dir=/usr/share/mmdebstrap/hooks/merged-usr",
        // base.sh may have put files into the root already
        "--skip=check/empty",
        // the download phase fetched the indices; this run has no network (downloadForBootstrap)
        "--skip=update",
        // the sandbox mounts /proc and binds the device nodes; mmdebstrap could not mount anyway
        "--skip=chroot/mount",
        // the archives directory holds the warm cache, linked in before the run
        "--skip=download/empty",
        "--skip=essential/unlink",
        // keep package files and lists for harvest(); emptyAptState() removes them afterwards
        "--skip=cleanup/apt"));
    if (!packages.isEmpty()) {
      cmd.add("--include=" + String.join(",", packages));
    }
    for (String option : aptOptions()) {
      cmd.add("--aptopt=" + option);
    }
    // the sandbox is the confinement; apt's own drop to _apt would need CAP_SETUID
    cmd.add("--aptopt=APT::Sandbox::User \"root\"");
    for (String option : DPKG_OPTIONS) {
      cmd.add("--dpkgopt=" + option);
    }
    cmd.add("--");
    cmd.add(sources.suite());
    cmd.add(session.rootfs().toString());
    cmd.add(sources.file().toString());
    return cmd;
  }

  /**
   * Removes what mmdebstrap copies from this worker into the root: the sources it pasted (they
   * name the worker's mirror), the apt options it made permanent (the worker's settings, and the
   * image has no apt), and the host's hostname and resolv.conf. Without this the base stage's
   * archive would differ between workers with different mirrors, settings or host names.
   */
  private static void forgetTheWorker(ImageRoot image, AptSourcesFile sources) throws IOException {
    String parts = "/etc/apt/sources.list.d";
    if (!image.isSymbolicLink(parts)) {
      for (String name : image.list(parts)) {
        if (name.startsWith("0000")) {
          deleteFile(image, parts + "/" + name);
        }
      }
    }
    deleteIfCopiedFromHost(image, "/etc/apt/sources.list", sources.file());
    deleteFile(image, "/etc/apt/apt.conf.d/99mmdebstrap");
    deleteIfCopiedFromHost(image, "/etc/hostname", Path.of("/etc/hostname"));
    deleteIfCopiedFromHost(image, "/etc/resolv.conf", Path.of("/etc/resolv.conf"));
  }

  // ---------------------------------------------------------------- host apt on the root

  /**
   * Downloads, with the host's network and no package script, what mmdebstrap will install into a
   * fresh root: the indices ({@code apt-get update}) and the package files of the essential set
   * (mmdebstrap's own pattern for {@code --variant=essential}), of {@code packages} and of the real
   * {@code usr-is-merged} its merged-usr hook installs, resolved as mmdebstrap resolves them (an
   * empty status but for the hook's dummy usr-is-merged, apt not forced essential, the native
   * architecture only), into the root's {@code var/lib/apt/lists} and {@code var/cache/apt/archives}.
   * mmdebstrap then runs with {@code --skip=update} and no network, and finds every file present. When bootfarm
   * fetches the files itself ({@link #planDownload}) they are fetched while mmdebstrap starts: the returned
   * {@link AptBootstrapFetch} holds mmdebstrap at its gates until they are in the root (docs/adr/0063); empty when
   * the download is done on return.
   */
  private BootstrapDownload downloadForBootstrap(PackageSession session, AptSourcesFile sources,
      List<String> packages) throws BuildFailure, IOException {
    Path aptDir = Files.createTempDirectory(Files.createDirectories(session.workDir()), "apt-");
    boolean handedOver = false;
    try {
      Path config = bootstrapConfig(session, sources, aptDir);
      Map<String, String> environment = Map.of("APT_CONFIG", config.toString());
      Sandbox sandbox = sandbox(session, sources, Phase.DOWNLOAD, aptDir);
      Optional<AptIndexRefresh.Note> fresh = freshIndices(session, sources);
      refreshIndices(session, sources, environment, sandbox, fresh);
      List<String> request = bootstrapRequest(sources, packages);
      java.util.OptionalInt transaction = fresh.isPresent() ? fresh.get().transactionOf(request)
          : java.util.OptionalInt.empty();
      Optional<List<String>> resolved = transaction.isPresent()
          ? AptResolver.savedListing(session.cacheDir(), fresh.get().memoKey(), transaction.getAsInt())
          : Optional.empty();
      Optional<Download> download = planDownload(session, request, environment, sandbox, resolved, true);
      if (download.isEmpty()) {
        downloadWithAptGet(session, sources, request, environment, sandbox);
        return new BootstrapDownload(indexOfArchives(session), Optional.empty());
      }
      List<AptFetchPlan.PackageFile> files = download.get().files();
      if (files.isEmpty()) {
        return new BootstrapDownload(indexOfArchives(session), Optional.empty());
      }
      Set<String> essential = AptEssentialSet.of(download.get().index());
      // what the essential phase may need of the files to fetch; the others in it are in the archives already
      List<AptFetchPlan.PackageFile> early = files.stream().filter(f -> essential.contains(f.archiveName())).toList();
      List<AptFetchPlan.PackageFile> late = files.stream().filter(f -> !essential.contains(f.archiveName())).toList();
      int connections = AptFetchPlan.connections(System.getenv());
      session.log().line(session.stage(), String.format("apt: fetching %d package files (%d bytes) on %d connections"
          + " while mmdebstrap starts: first the %d its essential phase may need (%d bytes), then the other %d",
          files.size(), files.stream().mapToLong(AptFetchPlan.PackageFile::size).sum(),
          Math.min(connections, files.size()), early.size(),
          early.stream().mapToLong(AptFetchPlan.PackageFile::size).sum(), late.size()));
      Path partialDir = Files.createDirectories(aptDir.resolve("partial"));
      Path lateDir = Files.createDirectories(aptDir.resolve("late"));
      // the essential phase's files are placed before its gate opens, while no package script runs; the others are
      // placed by the second gate inside mmdebstrap's sandbox, as package scripts may run by then (docs/adr/0066)
      AptBootstrapFetch fetch = AptBootstrapFetch.start(Files.createDirectories(session.workDir()).resolve("gates"),
          aptDir, lateDir,
          () -> fetch(session, sources, environment, sandbox, early, connections, partialDir),
          () -> fetchInto(session, sources, environment, sandbox, late, connections, lateDir));
      handedOver = true;
      return new BootstrapDownload(download.get().index(), Optional.of(fetch));
    } finally {
      if (!handedOver) {
        FileTrees.delete(aptDir);
      }
    }
  }

  /**
   * The apt configuration that resolves a fresh root as mmdebstrap does, written into {@code aptDir}: host apt on
   * the session's root ({@link #aptConfig}), an empty status but for the merged-usr hook's dummy
   * {@code usr-is-merged} ({@link #MERGED_USR_STATUS}), apt not forced essential, the native architecture only.
   */
  Path bootstrapConfig(PackageSession session, AptSourcesFile sources, Path aptDir) throws BuildFailure, IOException {
    Path emptyDir = Files.createDirectories(aptDir.resolve("empty"));
    Path logDir = Files.createDirectories(aptDir.resolve("log"));
    Path status = Files.writeString(aptDir.resolve("status"), MERGED_USR_STATUS);
    return Files.writeString(aptDir.resolve("apt.conf"), aptConfig(session.rootfs(), sources.file(), emptyDir, logDir)
        + "Dir::State::status \"" + status + "\";\n"
        + "APT::Architectures \"" + hostArchitecture() + "\";\n"
        + "pkgCacheGen::ForceEssential \",\";\n");
  }

  /**
   * What a fresh root installs, as {@code apt-get install} arguments: the essential set (mmdebstrap's own
   * pattern for {@code --variant=essential}), {@code packages}, and the real {@code usr-is-merged} the merged-usr
   * hook installs.
   */
  List<String> bootstrapRequest(AptSourcesFile sources, List<String> packages) throws BuildFailure {
    List<String> request = new ArrayList<>();
    request.add("?narrow(?or(?archive(^" + sources.suite() + "$),?codename(^" + sources.suite() + "$)),"
        + "?architecture(" + hostArchitecture() + "),?essential)");
    request.addAll(packages);
    request.add("usr-is-merged");
    return request;
  }

  /**
   * Runs {@code command} (apt-get install, remove or purge) with the host's apt against the root:
   * apt reads the root's dpkg status and caches, dpkg runs chrooted into it. When
   * {@code toDownload} names packages, a download phase with the network fetches the indices and
   * their files first; the command itself runs without network, with the sandbox's /proc and device
   * nodes in the root for the maintainer scripts. Services are kept from starting by a
   * policy-rc.d, as mmdebstrap does.
   */
  private Optional<AptPackageIndex> inRootWithHostApt(PackageSession session, AptSourcesFile sources,
      List<String> toDownload, List<String> command) throws BuildFailure, IOException {
    Path root = session.rootfs();
    ImageRoot image = session.image();
    Path aptDir = Files.createTempDirectory(Files.createDirectories(session.workDir()), "apt-");
    Path emptyDir = Files.createDirectories(aptDir.resolve("empty"));
    Path logDir = Files.createDirectories(aptDir.resolve("log"));
    Path config = aptDir.resolve("apt.conf");
    Files.writeString(config, aptConfig(root, sources.file(), emptyDir, logDir));
    image.createDirectories("/var/cache/apt/archives/partial");
    image.createDirectories("/var/lib/apt/lists/partial");
    Map<String, String> environment = Map.of("APT_CONFIG", config.toString());

    String policy = "/usr/sbin/policy-rc.d";
    boolean ownPolicy = false;
    Optional<AptPackageIndex> vouching = Optional.empty();
    try {
      if (!image.isSymbolicLink(policy) && !image.exists(policy) && image.isDirectory("/usr/sbin")) {
        image.write(policy, "#!/bin/sh\n# written by bootfarm while installing: start no services\nexit 101\n"
            .getBytes(StandardCharsets.UTF_8), "rwxr-xr-x");
        ownPolicy = true;
      }
      if (!toDownload.isEmpty()) {
        Sandbox sandbox = sandbox(session, sources, Phase.DOWNLOAD, aptDir);
        refreshIndices(session, sources, environment, sandbox, freshIndices(session, sources));
        vouching = Optional.of(downloadPackageFiles(session, sources, toDownload, environment, sandbox,
            Optional.empty()));
      }
      ImageDevices devices = ImageDevices.prepare(session.image(), true);
      try {
        runApt(session, sources, withoutPty(command), environment, sandbox(session, sources, Phase.INSTALL, aptDir));
      } finally {
        devices.removeMountPoints();
      }
    } finally {
      if (ownPolicy) {
        image.delete(policy);
      }
      FileTrees.delete(aptDir);
    }
    return vouching;
  }

  /**
   * The resolution's note on the warm indices, when they were refreshed from {@code sources} moments ago
   * ({@link AptIndexRefresh}); never for a rebuild from pinned inputs, which reads its own local repository.
   */
  private static Optional<AptIndexRefresh.Note> freshIndices(PackageSession session, AptSourcesFile sources) {
    return session.pinned().isPresent() ? Optional.empty()
        : AptIndexRefresh.fresh(session.cacheDir(), sources.file(), java.time.Instant.now());
  }

  /**
   * {@code apt-get update} into the root, in the download phase's sandbox; skipped when the root's indices, linked
   * from the warm cache, are {@code fresh}: refreshed from the same sources by a resolution moments ago. The
   * install then takes the indices its build's resolution verified.
   */
  private void refreshIndices(PackageSession session, AptSourcesFile sources, Map<String, String> environment,
      Sandbox sandbox, Optional<AptIndexRefresh.Note> fresh) throws BuildFailure, IOException {
    if (fresh.isPresent()) {
      session.log().line(session.stage(), String.format("apt: the indices were refreshed from these sources"
          + " %.1f s ago, by the resolution; they are not refreshed again",
          fresh.get().age(java.time.Instant.now()).toMillis() / 1000.0));
      return;
    }
    runApt(session, sources, withoutPty(List.of("apt-get", "update", "--error-on=any")), environment, sandbox);
    if (session.pinned().isEmpty()) {
      // published now, while no package script has run in the root: nothing that runs there later reaches the
      // indices the next build trusts (docs/adr/0066)
      Path lists = session.image().resolve(LISTS);
      AptCacheLock.holding(session.cacheDir(), () -> publishLists(lists, session.cacheDir().resolve("apt/lists")));
    }
  }

  /**
   * The lines of a {@code --print-uris} listing made into an empty archives directory whose file is not in the
   * root's archives at the size listed (the warm cache's files are linked there): what apt would list for this
   * root. A line not understood stays, so the plan refuses the listing and apt-get downloads.
   */
  static List<String> notInArchives(ImageRoot image, List<String> listing) throws IOException {
    List<String> missing = new ArrayList<>();
    for (String line : listing) {
      Optional<AptFetchPlan.PrintedUri> printed = AptFetchPlan.printedUri(line);
      if (printed.isPresent() && !printed.get().archiveName().contains("/")) {
        String path = ARCHIVES + "/" + printed.get().archiveName();
        if (image.isRegularFile(path) && Files.size(image.resolve(path)) == printed.get().size()) {
          continue;
        }
      }
      missing.add(line);
    }
    return missing;
  }

  /**
   * {@code apt-get --download-only install ARGS} into the root's archives directory, the package files fetched on
   * {@link AptFetchPlan#connections} connections at once ({@link AptFetchPlan}): apt-get lists them
   * ({@code --print-uris}), or, for a bootstrap of the request its build's resolution made from the same indices,
   * {@code resolved} holds the resolution's listing ({@link AptResolver#savedListing}) and apt's solver does not run
   * again; each is fetched into {@code archives/partial} and checked against the SHA256 of the
   * signed indices by apt-helper, then moved into place. A listing the plan cannot read, or fewer than two files,
   * leaves the whole download to apt-get, as does nothing: its errors are the ones an operator knows.
   * {@link #harvest} checks every file once more after the install, as for apt-get's own downloads.
   */
  private AptPackageIndex downloadPackageFiles(PackageSession session, AptSourcesFile sources, List<String> install,
      Map<String, String> environment, Sandbox sandbox, Optional<List<String>> resolved)
      throws BuildFailure, IOException {
    Optional<Download> download = planDownload(session, install, environment, sandbox, resolved, false);
    Optional<List<AptFetchPlan.PackageFile>> files = download.map(Download::files);
    if (files.isEmpty()) {
      downloadWithAptGet(session, sources, install, environment, sandbox);
      return indexOfArchives(session);
    }
    if (files.get().isEmpty()) {
      return indexOfArchives(session);
    }
    long bytes = files.get().stream().mapToLong(AptFetchPlan.PackageFile::size).sum();
    int connections = AptFetchPlan.connections(System.getenv());
    session.log().line(session.stage(), "apt: fetching " + files.get().size() + " package files (" + bytes
        + " bytes) on " + Math.min(connections, files.get().size())
        + (Math.min(connections, files.get().size()) == 1 ? " connection" : " connections"));
    Path partialDir = session.image().createDirectories(ARCHIVES + "/partial");
    fetch(session, sources, environment, sandbox, files.get(), connections, partialDir);
    return download.get().index();
  }

  /** {@code apt-get --download-only install ARGS} into the root's archives: apt's own download, on one connection. */
  private void downloadWithAptGet(PackageSession session, AptSourcesFile sources, List<String> install,
      Map<String, String> environment, Sandbox sandbox) throws BuildFailure, IOException {
    List<String> download = new ArrayList<>(List.of("apt-get", "-y", "--download-only", "install"));
    download.addAll(install);
    runApt(session, sources, withoutPty(download), environment, sandbox);
  }

  /**
   * The package files a download of {@code install} fetches itself ({@link #downloadPackageFiles}): those of
   * {@code resolved}, or of apt-get's {@code --print-uris}, that the root's archives lack; an empty list when it
   * lacks none; empty when apt-get must download them (a listing the plan cannot read, fewer than two files).
   */
  private Optional<Download> planDownload(PackageSession session, List<String> install,
      Map<String, String> environment, Sandbox sandbox, Optional<List<String>> resolved, boolean withRelations)
      throws BuildFailure, IOException {
    List<String> listing = new ArrayList<>();
    boolean listed;
    if (resolved.isPresent()) {
      listing.addAll(notInArchives(session.image(), resolved.get()));
      session.log().line(session.stage(), "apt: the package files are the ones the resolution listed for this"
          + " request, " + listing.size() + " of " + resolved.get().size() + " not in the warm cache; apt's solver"
          + " does not run again");
      if (listing.isEmpty()) {
        return Optional.of(Download.NOTHING);
      }
      listed = true;
    } else {
      List<String> printUris = new ArrayList<>(List.of("apt-get", "-y", "-qq", "--print-uris", "install"));
      printUris.addAll(install);
      listed = runTool(session, sandbox.command(withoutPty(printUris)), environment, listing::add, false)
          .exitCode() == 0;
      if (listed && listing.isEmpty()) {
        return Optional.of(Download.NOTHING);
      }
    }
    Optional<List<AptFetchPlan.PackageFile>> files = Optional.empty();
    AptPackageIndex index = null;
    List<String> names = listed ? AptFetchPlan.archiveNames(listing) : List.of();
    if (names.size() > 1) {
      // the files already in the archives (the warm cache) are installed too: relations through them count
      // (AptEssentialSet), and the harvest checks them against this index, read before any package script ran
      Set<String> inRoot = new HashSet<>(names);
      session.image().list(ARCHIVES).stream().filter(n -> n.endsWith(".deb")).forEach(inRoot::add);
      Path lists = session.image().resolve(LISTS);
      index = withRelations ? AptPackageIndex.readWithRelations(lists, inRoot) : AptPackageIndex.read(lists, inRoot);
      files = AptFetchPlan.read(listing, index);
      if (files.isEmpty()) {
        session.log().line(session.stage(), "apt: the package files are fetched on one connection: apt-get"
            + " --print-uris listed a file the signed indices state no single SHA256 for, or a line not understood");
      }
    }
    return files.isEmpty() || files.get().size() < 2 ? Optional.empty() : Optional.of(new Download(files.get(), index));
  }

  /** The package files a download fetches itself, and the index their SHA256 (and relations, if asked) came from. */
  private record Download(List<AptFetchPlan.PackageFile> files, AptPackageIndex index) {
    static final Download NOTHING = new Download(List.of(), null);
  }

  /**
   * A fresh root's download: the signed indices of every file it may install, read before any package script ran,
   * and the fetch still under way while mmdebstrap starts, if there is one.
   */
  private record BootstrapDownload(AptPackageIndex index, Optional<AptBootstrapFetch> fetch) {}

  /**
   * The signed indices of the package files in the root's archives, read from the root's lists: called after a
   * download and before the install, while no package script has run, for the harvest to check against.
   */
  private static AptPackageIndex indexOfArchives(PackageSession session) throws IOException {
    Set<String> names = new HashSet<>();
    session.image().list(ARCHIVES).stream().filter(n -> n.endsWith(".deb")).forEach(names::add);
    return AptPackageIndex.read(session.image().resolve(LISTS), names);
  }

  /**
   * Fetches {@code files} on up to {@code connections} connections at once ({@link AptFetchPlan#shards}), each
   * with apt-helper into {@code partialDir} (writable in {@code sandbox}), checked against the SHA256 of the signed
   * indices, then moves them into the root's archives. A shard that fails names the files it did not fetch.
   */
  private void fetch(PackageSession session, AptSourcesFile sources, Map<String, String> environment,
      Sandbox sandbox, List<AptFetchPlan.PackageFile> files, int connections, Path partialDir)
      throws BuildFailure, IOException {
    fetchInto(session, sources, environment, sandbox, files, connections, partialDir);
    ImageRoot image = session.image();
    ImageRoot fetched = ImageRoot.of(partialDir);
    for (AptFetchPlan.PackageFile file : files) {
      fetched.moveTo(file.archiveName(), image, ARCHIVES + "/" + file.archiveName());
    }
  }

  /**
   * Fetches {@code files} as {@link #fetch} does into {@code partialDir}, and leaves them there: for files something
   * else places in the root (the second gate of {@link AptBootstrapFetch}).
   */
  private void fetchInto(PackageSession session, AptSourcesFile sources, Map<String, String> environment,
      Sandbox sandbox, List<AptFetchPlan.PackageFile> files, int connections, Path partialDir)
      throws BuildFailure, IOException {
    if (files.isEmpty()) {
      return;
    }
    ImageRoot fetched = ImageRoot.of(partialDir);
    List<List<AptFetchPlan.PackageFile>> shards = AptFetchPlan.shards(files, connections);
    Object logLock = new Object();
    java.util.function.Consumer<String> log = line -> {
      synchronized (logLock) {
        session.log().line(session.stage(), line);
      }
    };
    ExecutorService fetchers = Executors.newFixedThreadPool(shards.size(), runnable -> {
      Thread thread = new Thread(runnable, "apt-fetch");
      thread.setDaemon(true);
      return thread;
    });
    try {
      List<Future<ToolRun>> runs = new ArrayList<>();
      for (List<AptFetchPlan.PackageFile> shard : shards) {
        List<String> command = sandbox.command(AptFetchPlan.helperCommand(shard, partialDir.toString()));
        runs.add(fetchers.submit(() -> runTool(session, command, environment, log, true)));
      }
      for (int i = 0; i < runs.size(); i++) {
        ToolRun result = runs.get(i).get();
        if (result.exitCode() != 0) {
          BuildFailure failure = AptFailure.classify("apt-helper", result.exitCode(), result.problems(), result.tail(),
              sources);
          List<String> notFetched = new ArrayList<>();
          for (AptFetchPlan.PackageFile file : shards.get(i)) {
            if (!fetched.isRegularFile(file.archiveName())) {
              notFetched.add(file.archiveName() + " from " + file.uri());
            }
          }
          throw new BuildFailure(failure.kind(), "apt: could not fetch " + String.join(", ", notFetched) + ": "
              + failure.getMessage(), failure);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new BuildFailure(Kind.CANCELLED, "apt-helper was stopped while it fetched the package files: the build"
          + " was interrupted", e);
    } catch (ExecutionException e) {
      if (e.getCause() instanceof BuildFailure failure) {
        throw failure;
      }
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IOException("fetching package files failed: " + e.getCause(), e.getCause());
    } finally {
      fetchers.shutdownNow();
    }
  }

  static List<String> withoutPty(List<String> aptGet) {
    List<String> cmd = new ArrayList<>(aptGet);
    cmd.addAll(1, List.of("-o", "Dpkg::Use-Pty=0", "-o", "APT::Color=0"));
    return cmd;
  }

  /**
   * The sandbox of one apt, dpkg or mmdebstrap run on the session's root. Every phase sees, besides
   * the host's programs: the root writable, the sources file, the host's apt keyrings
   * ({@link #HOST_KEYRINGS}) and the keyrings the sources name ({@link #signedByFiles}) read-only, an empty /etc/apt/apt.conf.d, and {@code aptDir} (this run's generated apt.conf and log
   * directory) writable. {@link Phase#DOWNLOAD}: the host's network, no capability, no package
   * script runs. {@link Phase#INSTALL}: no network, {@link #INSTALL_CAPABILITIES}, the sandbox's own
   * /proc at the root's /proc and the host's harmless device nodes in the root's /dev (call
   * {@link ImageDevices#prepare} before and remove the mount points after). The warm cache is never
   * seen: its files are linked into the root before and published from it after the run.
   */
  Sandbox sandbox(PackageSession session, AptSourcesFile sources, Phase phase, Path aptDir) {
    Path root = session.rootfs().toAbsolutePath();
    Sandbox sandbox = Sandbox.confined().writable(root).readOnly(sources.file().toAbsolutePath())
        // mmdebstrap's own apt-config calls read the host's apt.conf.d: none of it (as for host apt)
        .emptyDirectory(Path.of("/etc/apt/apt.conf.d"));
    for (Path keyring : HOST_KEYRINGS) {
      if (Files.exists(keyring)) {
        sandbox.readOnly(keyring);
      }
    }
    for (Path[] key : signedByFiles(session, sources)) {
      sandbox.readOnly(key[0], key[1]);
    }
    if (aptDir != null) {
      sandbox.writable(aptDir.toAbsolutePath());
    }
    if (session.pinned().isPresent()) {
      // a rebuild: the local repository and the pinned files it links to, and no network in any phase
      sandbox.readOnly(sources.file().toAbsolutePath().getParent())
          .readOnly(session.pinned().get().dir().toAbsolutePath());
    }
    if (phase == Phase.DOWNLOAD) {
      return session.pinned().isPresent() ? sandbox : sandbox.network(Sandbox.Network.HOST);
    }
    return sandbox.capabilities(INSTALL_CAPABILITIES).procIn(root).devicesIn(root);
  }

  /**
   * Where a key file named with {@code signed-by} may lie to be shown to apt: the usual keyring
   * directories. A key elsewhere (or one beside the definition, see {@link #signedByFiles}) stays
   * invisible, so no sources file can show a maintainer script a file of the worker's.
   */
  static final List<Path> KEYRING_DIRECTORIES = List.of(Path.of("/etc/apt/keyrings"),
      Path.of("/etc/apt/trusted.gpg.d"), Path.of("/usr/share/keyrings"), Path.of("/usr/local/share/keyrings"));

  /**
   * The key files the sources name with {@code signed-by} ({@code Signed-By:}), which apt reads to
   * check the indices, as {host file, path apt opens}: only keyrings ({@code .gpg}, {@code .asc}, the
   * names apt takes) whose real path is in {@link #KEYRING_DIRECTORIES} or the definition's directory.
   * A fingerprint or an inline key names no file; a key elsewhere is not shown (apt then names it).
   */
  static List<Path[]> signedByFiles(PackageSession session, AptSourcesFile sources) {
    List<Path> allowed = new ArrayList<>();
    for (Path dir : KEYRING_DIRECTORIES) {
      realPath(dir).ifPresent(allowed::add);
    }
    realPath(session.definition().directory()).ifPresent(allowed::add);
    Map<Path, Path[]> files = new TreeMap<>();
    try {
      for (AptSources.Entry entry : AptSources.read(sources.file()).entries()) {
        String value = entry.options().get("signed-by");
        if (!entry.enabled() || value == null) {
          continue;
        }
        for (String item : value.split("[,\\s]+")) {
          if (!item.startsWith("/") || !(item.endsWith(".gpg") || item.endsWith(".asc"))) {
            continue;
          }
          Path named = Path.of(item).toAbsolutePath().normalize();
          Optional<Path> real = realPath(named);
          if (real.isPresent() && Files.isRegularFile(real.get()) && allowed.stream().anyMatch(real.get()::startsWith)) {
            files.put(named, new Path[] {real.get(), named});
          }
        }
      }
    } catch (IOException e) {
      // read once already (sourcesOf); apt names a key file it cannot open
    }
    return new ArrayList<>(files.values());
  }

  private static Optional<Path> realPath(Path path) {
    try {
      return Optional.of(path.toRealPath());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  /** The sandbox of dpkg-query on the root's database: the root read-only, nothing else. */
  private static Sandbox querySandbox(PackageSession session) {
    return Sandbox.confined().readOnly(session.rootfs().toAbsolutePath());
  }

  /** The apt configuration of host apt acting on {@code root}; nothing of the host's or the image's apt.conf.d is read. */
  String aptConfig(Path root, Path sourcesFile, Path emptyDir, Path logDir) throws BuildFailure {
    StringBuilder conf = new StringBuilder();
    conf.append("Dir \"").append(root).append("/\";\n");
    conf.append("Dir::Etc::SourceList \"").append(sourcesFile.toAbsolutePath()).append("\";\n");
    conf.append("Dir::Etc::SourceParts \"").append(emptyDir).append("/\";\n");
    conf.append("Dir::Etc::Parts \"").append(emptyDir).append("/\";\n");
    conf.append("Dir::Etc::Preferences \"").append(emptyDir).append("/none\";\n");
    conf.append("Dir::Etc::PreferencesParts \"").append(emptyDir).append("/\";\n");
    conf.append("Dir::Etc::Trusted \"/etc/apt/trusted.gpg\";\n");
    conf.append("Dir::Etc::TrustedParts \"/etc/apt/trusted.gpg.d/\";\n");
    conf.append("Dir::Log \"").append(logDir).append("/\";\n");
    conf.append("Dir::Bin::dpkg \"/usr/bin/dpkg\";\n");
    conf.append("DPkg::Chroot-Directory \"").append(root).append("/\";\n");
    conf.append("APT::Architecture \"").append(hostArchitecture()).append("\";\n");
    conf.append("APT::Sandbox::User \"root\";\n");
    for (String option : aptOptions()) {
      conf.append(option).append(";\n");
    }
    return conf.toString();
  }

  // ---------------------------------------------------------------- cache

  /**
   * Empties the root's apt archives and lists and links the warm cache into them (copies when the cache
   * is on another file system): what apt finds there is exactly the cache, whatever a hook left.
   */
  /**
   * Puts the warm cache into the root: its package files hard-linked (noted in the returned {@link AptCacheLinks},
   * since package scripts run in the root), its indices copied (nothing that runs in the root may reach the cached
   * indices the next build trusts; docs/adr/0066).
   */
  private static AptCacheLinks seedRoot(ImageRoot image, Path archivesCache, Path listsCache) throws IOException {
    for (String dir : List.of(ARCHIVES, LISTS)) {
      if (image.isSymbolicLink(dir)) {
        image.delete(dir); // apt's own directory, never a link to somewhere else
      }
    }
    image.deleteChildren(ARCHIVES);
    image.deleteChildren(LISTS);
    Map<String, Path> linked = linkOrCopyFiles(archivesCache, image.createDirectories(ARCHIVES), ".deb");
    copyFiles(listsCache, image.createDirectories(LISTS));
    return AptCacheLinks.note(linked);
  }

  /** Empties the root's apt archives and lists for a run that takes nothing from the warm cache (a rebuild). */
  private static void emptyRoot(ImageRoot image) throws IOException {
    for (String dir : List.of(ARCHIVES, LISTS)) {
      if (image.isSymbolicLink(dir)) {
        image.delete(dir);
      }
      image.deleteChildren(dir);
      image.createDirectories(dir);
    }
  }

  /** apt's package files and signed indices inside a root. */
  private static final String ARCHIVES = "/var/cache/apt/archives";
  static final String LISTS = "/var/lib/apt/lists";

  /** Links (or copies) the published files of {@code from} ending in {@code suffix} into {@code to}; returns them. */
  static Map<String, Path> linkOrCopyFiles(Path from, Path to, String suffix) throws IOException {
    Map<String, Path> linked = new TreeMap<>();
    try (Stream<Path> files = Files.list(from)) {
      for (Path file : files.filter(f -> isPublished(f, suffix)).toList()) {
        Path target = to.resolve(file.getFileName().toString());
        Files.deleteIfExists(target);
        FileTrees.linkOrCopy(file, target);
        linked.put(file.getFileName().toString(), file);
      }
    }
    return linked;
  }

  /** Copies the published files of {@code from} into {@code to}: new inodes, whatever is done to them there. */
  private static void copyFiles(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.list(from)) {
      for (Path file : files.filter(f -> isPublished(f, "")).toList()) {
        Files.copy(file, to.resolve(file.getFileName().toString()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
  }

  private static boolean isPublished(Path file, String suffix) {
    String name = file.getFileName().toString();
    return Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS) && !name.startsWith(".") && name.endsWith(suffix)
        && !"lock".equals(name);
  }

  /**
   * After a successful run: checks each package file installed by this run — fetched ones and
   * cached ones alike, since apt takes a file already in its archives directory on its size
   * alone — against the SHA256 in {@code index}, the signed indices as read before any package script ran (the
   * root's lists are the scripts' to write by now: never read again); publishes fetched files
   * into the cache; counts what was downloaded and what came from the cache. A cached file that
   * no longer matches is removed from the cache so that the next build fetches it again.
   */
  private InstallReport harvest(PackageSession session, AptSourcesFile sources, Path archivesCache,
      AptPackageIndex index, Set<String> cachedBefore, Set<String> installedBefore) throws IOException, BuildFailure {
    ImageRoot image = session.image();
    Path archives = image.resolve(ARCHIVES);
    Set<String> added = new TreeSet<>(installedArchiveNames(session));
    added.removeAll(installedBefore);
    Map<String, Path> fetched = new TreeMap<>();
    Map<String, Path> reused = new TreeMap<>();
    try (Stream<Path> files = Files.list(archives)) {
      for (Path deb : files.filter(f -> isPublished(f, ".deb")).toList()) {
        String name = deb.getFileName().toString();
        Path cached = archivesCache.resolve(name);
        if (!added.contains(name)) {
          continue; // cached files this run did not need, or whatever else was left there
        }
        if (Files.exists(cached) && Files.isSameFile(cached, deb)) {
          reused.put(name, cached);
        } else {
          fetched.put(name, deb);
        }
      }
    }
    String sourcesName = sources.file().toString();
    for (Map.Entry<String, Path> e : reused.entrySet()) {
      String sha = sha256(e.getValue());
      if (!index.vouchesFor(e.getKey(), sha)) {
        Files.deleteIfExists(e.getValue());
        throw new BuildFailure(Kind.INTEGRITY, "apt: cached package file " + e.getValue() + " (sha256 " + sha
            + ") does not match the SHA256 the signed indices of " + sourcesName + " state for it; it was"
            + " installed by apt on its size alone and is now removed from the cache. Rebuild from scratch");
      }
    }
    for (Map.Entry<String, Path> e : fetched.entrySet()) {
      String sha = sha256(e.getValue());
      if (!index.vouchesFor(e.getKey(), sha)) {
        throw new BuildFailure(Kind.INTEGRITY, "apt: package file " + e.getKey() + " (sha256 " + sha + ")"
            + (index.knows(e.getKey()) ? " does not match the SHA256 the signed indices of " + sourcesName
                + " state for it" : " is not listed in the signed indices of " + sourcesName)
            + "; it was not cached. Retry the build; if it persists the archive or a proxy serves bad files");
      }
    }
    long bytes = 0;
    for (Map.Entry<String, Path> e : fetched.entrySet()) {
      bytes += Files.size(e.getValue());
    }
    AptCacheLock.holding(session.cacheDir(), () -> {
      for (Map.Entry<String, Path> e : fetched.entrySet()) {
        publish(e.getValue(), archivesCache.resolve(e.getKey()));
      }
    });

    int fromCache = (int) added.stream().filter(n -> cachedBefore.contains(n) && !fetched.containsKey(n)).count();
    return new InstallReport(fetched.size(), bytes, fromCache);
  }

  /**
   * Copies {@code file} to a temporary name of its own beside {@code target} (two builds of one
   * repo may publish the same file at once), then renames it into place: a new inode, also when {@code file} is
   * {@code target}.
   */
  static void publish(Path file, Path target) throws IOException {
    Path temporary = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".partial");
    try {
      Files.copy(file, temporary, StandardCopyOption.REPLACE_EXISTING);
      Files.move(temporary, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(temporary);
    }
  }

  /** Replaces the cached indices with the ones apt just verified; drops cached ones apt no longer has. */
  static void publishLists(Path lists, Path listsCache) throws IOException {
    if (!Files.isDirectory(lists)) {
      return;
    }
    Set<String> fresh = new TreeSet<>();
    try (Stream<Path> files = Files.list(lists)) {
      for (Path file : files.filter(f -> isPublished(f, "")).toList()) {
        String name = file.getFileName().toString();
        fresh.add(name);
        Path cached = listsCache.resolve(name);
        if (!(Files.exists(cached) && Files.isSameFile(cached, file))) {
          publish(file, cached);
        }
      }
    }
    try (Stream<Path> files = Files.list(listsCache)) {
      for (Path stale : files.filter(f -> isPublished(f, "") && !fresh.contains(f.getFileName().toString())).toList()) {
        Files.deleteIfExists(stale);
      }
    }
  }

  /**
   * Empties the root's apt caches and lists (the warm cache lives outside the image). Best effort:
   * it runs in finally blocks and must not hide the failure being reported; cleanImage removes
   * the same files again.
   */
  private static void emptyAptState(PackageSession session) {
    try {
      ImageRoot image = session.image();
      image.deleteChildren("/var/cache/apt");
      image.deleteChildren(LISTS);
    } catch (IOException e) {
      // cleanImage retries and reports
    }
  }

  // ---------------------------------------------------------------- dpkg database

  /** Installed packages as {name, version, arch}, sorted, from the root's dpkg database. */
  private List<String[]> installedPackages(PackageSession session) throws BuildFailure {
    if (!hasDpkgDatabase(session)) {
      return List.of();
    }
    Path admindir;
    try {
      admindir = session.image().resolve("/var/lib/dpkg");
    } catch (IOException e) {
      throw new BuildFailure(Kind.INTERNAL, "apt: cannot find the dpkg database of " + session.rootfs() + ": " + e.getMessage(), e);
    }
    try {
      List<String> lines = new ArrayList<>();
      ToolRun run = runTool(session, querySandbox(session).command(List.of("dpkg-query", "--admindir=" + admindir, "-W",
          "-f", "${db:Status-Abbrev}\\t${Package}\\t${Version}\\t${Architecture}\\n")), Map.of(), lines::add, false);
      if (run.exitCode() != 0) {
        throw new BuildFailure(Kind.TOOL, "apt: dpkg-query on " + admindir + " failed:\n" + String.join("\n", run.tail()));
      }
      List<String[]> packages = new ArrayList<>();
      for (String line : lines) {
        String[] f = line.split("\t");
        if (f.length == 4 && f[0].startsWith("ii")) {
          packages.add(new String[] {f[1], f[2], f[3]});
        }
      }
      packages.sort((a, b) -> (a[0] + "\t" + a[2]).compareTo(b[0] + "\t" + b[2]));
      return packages;
    } catch (IOException e) {
      throw new BuildFailure(Kind.TOOL, "apt: cannot run dpkg-query on " + admindir + ": " + e.getMessage(), e);
    }
  }

  private Set<String> installedArchiveNames(PackageSession session) throws BuildFailure {
    Set<String> names = new TreeSet<>();
    for (String[] p : installedPackages(session)) {
      names.add(AptPackageIndex.archiveName(p[0], p[1], p[2]));
    }
    return names;
  }

  // ---------------------------------------------------------------- running tools

  /** What a tool run left: its exit code, its last lines, and every apt error or warning line. */
  record ToolRun(int exitCode, List<String> tail, List<String> problems) {}

  /** Runs an apt tool and turns a failure into the BuildFailure an operator can act on. */
  void runApt(PackageSession session, AptSourcesFile sources, List<String> command, Map<String, String> env,
      Sandbox sandbox) throws BuildFailure, IOException {
    ToolRun run = runTool(session, sandbox.command(command), env);
    if (run.exitCode() != 0) {
      throw AptFailure.classify(command.get(0), run.exitCode(), run.problems(), run.tail(), sources);
    }
  }

  private ToolRun runTool(PackageSession session, List<String> command, Map<String, String> env)
      throws IOException, BuildFailure {
    return runTool(session, command, env, line -> session.log().line(session.stage(), line), true);
  }

  /**
   * Runs {@code command} (a sandboxed one) in the build environment (see {@link ExternalCommand}) plus
   * the build's SOURCE_DATE_EPOCH, {@code INITRD=No} (no initramfs is generated), a non-interactive
   * debconf, HOME in the sandbox's private /tmp and dpkg's {@code unsafe-io} (beside its two default force
   * flags): dpkg then does not fsync every file it unpacks into a root that is a build directory's, which a
   * crash discards whole (docs/adr/0047); as an environment variable it is not written into the image,
   * streaming each output line and collecting apt's error and warning lines. With
   * {@code mergeErrors} false, only standard output reaches {@code out} (for queries).
   */
  ToolRun runTool(PackageSession session, List<String> command, Map<String, String> env,
      java.util.function.Consumer<String> out, boolean mergeErrors) throws IOException, BuildFailure {
    Map<String, String> environment = new LinkedHashMap<>();
    environment.put("HOME", "/tmp");
    environment.put("SOURCE_DATE_EPOCH", Long.toString(session.sourceDateEpoch()));
    environment.put("INITRD", "No");
    environment.put("DEBIAN_FRONTEND", "noninteractive");
    environment.put("DEBCONF_NONINTERACTIVE_SEEN", "true");
    environment.put("DPKG_FORCE", DPKG_FORCE);
    environment.putAll(env);
    if (!mergeErrors) {
      try {
        ExternalCommand.output(command, environment).forEach(out);
        return new ToolRun(0, List.of(), List.of());
      } catch (IOException e) {
        return new ToolRun(1, List.of(e.getMessage()), List.of());
      }
    }
    List<String> problems = new ArrayList<>();
    ExternalCommand.Result result = ExternalCommand.run(command, environment, null, line -> {
      out.accept(line);
      if (AptFailure.isProblemLine(line) && problems.size() < 200) {
        problems.add(line);
      }
    });
    List<String> tail = result.tail().subList(Math.max(0, result.tail().size() - TAIL_LINES), result.tail().size());
    return new ToolRun(result.exitCode(), List.copyOf(tail), problems);
  }

  // ---------------------------------------------------------------- small things

  static void checkPackageNames(List<String> packages) throws BuildFailure {
    for (String p : packages) {
      if (!PACKAGE_NAME.matcher(p).matches()) {
        throw new BuildFailure(Kind.PACKAGE, "apt: '" + p + "' is not a Debian package name"
            + " (lower-case letters, digits, + - . ; optionally :arch or =version)");
      }
    }
  }

  /**
   * The sources the session installs from. An entry that switches apt's signature check off
   * ({@code [trusted=yes]}, {@code Trusted: yes}, ...) is refused unless the operator allowed the
   * definition unsigned: the loader refuses it in a definition's own file, and this is the driver's own
   * refusal, which also covers the worker's sources (docs/adr/0027).
   */
  static AptSourcesFile sourcesOf(PackageSession session) throws BuildFailure {
    Optional<Path> shipped = session.aptSources().or(() -> session.definition().aptSources());
    Path file = shipped.isPresent() ? shipped.get() : defaultSources();
    try {
      AptSourcesFile sources = AptSourcesFile.read(file);
      if (!sources.insecure().isEmpty() && !session.definition().unsignedAllowed()) {
        throw new BuildFailure(shipped.isPresent() ? Kind.DEFINITION : Kind.INPUT, "apt sources file " + file + " "
            + String.join("; ", sources.describeInsecure()) + ": that switches apt's signature check off, and "
            + session.definition().name() + " is not allowed unsigned; remove the option and name the archive's"
            + " key with signed-by=, or have the operator pass --allow-unsigned " + session.definition().name());
      }
      return sources;
    } catch (IllegalArgumentException e) {
      throw new BuildFailure(shipped.isPresent() ? Kind.DEFINITION : Kind.TOOL, e.getMessage(), e);
    } catch (IOException e) {
      throw new BuildFailure(shipped.isPresent() ? Kind.DEFINITION : Kind.TOOL,
          "cannot read apt sources file " + file + ": " + e.getMessage(), e);
    }
  }

  /** The worker's settings of {@link #INHERITED_APT_SETTINGS} (from apt-config) plus {@link #APT_OPTIONS}. */
  List<String> aptOptions() throws BuildFailure {
    List<String> options = inheritedAptOptions;
    if (options == null) {
      List<String> found = new ArrayList<>();
      try {
        for (String line : ExternalCommand.output(List.of("apt-config", "dump"), Map.of())) {
          for (String key : INHERITED_APT_SETTINGS) {
            Matcher m = Pattern.compile(Pattern.quote(key) + " \"([^\"]*)\";").matcher(line);
            if (m.matches()) {
              found.add(key + " \"" + m.group(1) + "\"");
            }
          }
        }
      } catch (IOException e) {
        throw new BuildFailure(Kind.TOOL, "apt: cannot run apt-config: " + e.getMessage() + "; install apt", e);
      }
      found.addAll(APT_OPTIONS);
      options = List.copyOf(found);
      inheritedAptOptions = options;
    }
    return options;
  }

  String hostArchitecture() throws BuildFailure {
    String arch = hostArchitecture;
    if (arch == null) {
      try {
        arch = String.join("", ExternalCommand.output(List.of("dpkg", "--print-architecture"), Map.of())).trim();
        if (arch.isEmpty()) {
          throw new BuildFailure(Kind.TOOL, "apt: dpkg --print-architecture failed; install dpkg");
        }
      } catch (IOException e) {
        throw new BuildFailure(Kind.TOOL, "apt: cannot run dpkg: " + e.getMessage() + "; install dpkg", e);
      }
      hostArchitecture = arch;
    }
    return arch;
  }

  /** Deletes the image's file at {@code path} when it holds exactly the host file's bytes (the host's, copied in). */
  private static void deleteIfCopiedFromHost(ImageRoot image, String path, Path onHost) throws IOException {
    if (!image.isSymbolicLink(path) && image.isRegularFile(path) && Files.isReadable(onHost)
        && Arrays.equals(image.read(path), Files.readAllBytes(onHost))) {
      image.delete(path);
    }
  }

  /** Deletes a regular file or link at {@code path}; a directory there stays. */
  private static void deleteFile(ImageRoot image, String path) throws IOException {
    if (image.isSymbolicLink(path) || image.isRegularFile(path)) {
      image.delete(path);
    }
  }

  /** Whether the root holds a dpkg database (a package was installed). */
  private static boolean hasDpkgDatabase(PackageSession session) throws BuildFailure {
    try {
      return Files.exists(session.rootfs(), LinkOption.NOFOLLOW_LINKS)
          && session.image().isRegularFile("/var/lib/dpkg/status");
    } catch (IOException e) {
      throw new BuildFailure(Kind.INTERNAL, "apt: cannot read " + session.rootfs() + ": " + e.getMessage(), e);
    }
  }

  private static Set<String> fileNames(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> isPublished(f, ".deb")).map(f -> f.getFileName().toString())
          .collect(java.util.stream.Collectors.toCollection(TreeSet::new));
    }
  }

  static String sha256(Path file) throws IOException {
    return Sha256.of(file);
  }

}
