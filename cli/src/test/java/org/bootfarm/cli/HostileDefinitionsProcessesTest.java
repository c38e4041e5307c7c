package org.bootfarm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.worker.fixture.EscapeProbe;
import org.bootfarm.worker.fixture.FixtureYumRepo;
import org.bootfarm.worker.fixture.HostCanaries;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile repo definitions against a real farm: a coordinator and a worker, each its own JVM on
 * 127.0.0.1, building against the fixture yum repository (its variant that also serves the signed
 * {@code bootfarm-probe} package). Each definition tries one thing an attacker who writes definitions
 * would try on the worker: read root's files, another repo's cache or the worker's data; write outside
 * its build; remount the host writable; read the host's disk through a device node; reach the farm's
 * own API; plant links for the worker's root-run steps to follow; swap its image tree for a link; and,
 * from a package's install script, escape rpm's chroot. Each is refused (the build fails naming what was
 * refused) or contained (the build succeeds and the image holds only what bootfarm placed); the canaries
 * outside every build are unchanged, no secret reaches a build log, and the farm's state is unchanged.
 */
@Tag("process")
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class HostileDefinitionsProcessesTest {
  static final String WORKER = "w-hostile";
  static final String PLAIN = "fixture-plain";

  Path dir;
  FixtureYumRepo repo;
  FarmProcesses farm;
  final HostCanaries canaries = new HostCanaries();
  Path rootSecret;
  Path cacheSecret;
  Path dataSecret;
  Path hostDir;
  Path hostFile;
  Path hostEtc;
  int buildsBefore;
  String corePatternBefore;
  final Map<String, JsonNode> builds = new LinkedHashMap<>();
  final Map<String, String> logs = new LinkedHashMap<>();

  @BeforeAll
  void submitEveryHostileDefinition(@TempDir Path tempDir) throws Exception {
    dir = tempDir;
    corePatternBefore = Files.readString(Path.of("/proc/sys/kernel/core_pattern"));
    repo = FixtureYumRepo.start(FixtureYumRepo.Variant.HOSTILE_SCRIPTLET);
    farm = new FarmProcesses(dir);
    Path repos = Files.createDirectories(dir.resolve("repos"));
    Path scratch = dir.resolve("scratch");
    Path workerCache = dir.resolve(WORKER + "/cache");
    rootSecret = canaries.plant(Path.of("/root", HostCanaries.uniqueName()));
    cacheSecret = canaries.plant(workerCache.resolve("repos/" + PLAIN + "/" + HostCanaries.uniqueName()));
    dataSecret = canaries.plant(dir.resolve(WORKER + "/" + HostCanaries.uniqueName()));
    hostDir = Files.createDirectories(dir.resolve("host"));
    hostFile = canaries.plant(hostDir.resolve("shadow"));
    canaries.watch(hostDir);
    hostEtc = Path.of("/etc", HostCanaries.uniqueName());
    long device = (Long) Files.getAttribute(dir, "unix:dev");

    FixtureBuilds.writeTdnfDefinition(scratch, repos, repo, PLAIN, "");
    hostile(repos, "hostile-reads-root", "cat " + rootSecret);
    hostile(repos, "hostile-reads-other-cache", "cat " + cacheSecret);
    hostile(repos, "hostile-reads-worker-data", "cat " + dataSecret);
    hostile(repos, "hostile-writes-outside", "echo pwned > " + hostDir.resolve("pwned"));
    hostile(repos, "hostile-remounts-host", "mount -o remount,rw / && echo pwned > " + hostDir.resolve("pwned"));
    // the kernel's settings are the host's: the value read is written back, so a sandbox that lets it through
    // changes nothing but fails the test
    hostile(repos, "hostile-writes-kernel-settings", "cat /proc/sys/kernel/core_pattern > /tmp/setting"
        + " && cat /tmp/setting > /proc/sys/kernel/core_pattern && echo 'kernel.core_pattern written'");
    hostile(repos, "hostile-reads-disk", "mknod \"$R/disk\" b " + major(device) + " " + minor(device)
        + " && head -c 4096 \"$R/disk\" > /dev/null");
    hostile(repos, "hostile-calls-the-farm", "exec 3<>/dev/tcp/127.0.0.1/" + farmPort() + " && printf '"
        + "POST /api/v1/builds HTTP/1.0\\r\\nContent-Type: application/json\\r\\nContent-Length: 20\\r\\n\\r\\n"
        + "{\"repo\":\"" + PLAIN + "\"}' >&3 && cat <&3");
    Path links = hostile(repos, "hostile-plants-links", String.join("\n",
        "rmdir \"$B/boot\" 2>/dev/null || true",
        "ln -s " + hostDir + " \"$B/boot\"",
        "mkdir -p \"$R/etc\"",
        "ln -s " + hostFile + " \"$R/etc/os-release\""));
    staging(links, String.join("\n",
        "printf 'multi-call binary\\n' > \"$R/usr/bin/busybox\"",
        "mkdir -p \"$R/bin\" && ln -sf ../usr/bin/busybox \"$R/bin/init\"",
        "ln -s " + hostFile + " \"$R/.tempfs_list\"",
        "ln -s " + hostFile + " \"$R/etc/hostname\"",
        "rm -rf \"$R/var/cache\" && ln -s " + hostDir + " \"$R/var/cache\""));
    Path swaps = hostile(repos, "hostile-swaps-its-rootfs", "");
    staging(swaps, "rm -rf \"$R\" && ln -s " + hostDir + " \"$R\"");
    Path scriptlet = hostile(repos, "hostile-package-script", "mkdir -p \"$R/etc\" && cat > \"$R/"
        + EscapeProbe.ORDERS + "\" <<'ORDERS'\n" + new EscapeProbe().read(rootSecret).read(cacheSecret)
            .write(hostEtc).write(hostDir.resolve("pwned")).connect(farmPort()).orders() + "ORDERS");
    Path spec = scriptlet.resolve("repo-spec.json");
    Files.writeString(spec, Files.readString(spec).replace("\"base\": \"filesystem ", "\"base\": \"filesystem "
        + EscapeProbe.PACKAGE + " "));

    Path keys = Files.createDirectories(dir.resolve("keys"));
    farm.startCoordinator("coordinator", dir.resolve("coordinator-data"), repos, keys);
    farm.startWorker(WORKER, List.of("--worker-id", WORKER, "--slots", "2"));
    farm.awaitLine(WORKER, " ready: ", 90);
    Map<String, String> components = Map.of("tether", farm.upload("#!/bin/sh\necho tether\n"),
        "unpack", farm.upload("#!/bin/sh\necho unpack\n"));
    JsonNode plain = farm.awaitBuild(farm.submit(PLAIN, components), FarmProcesses::finished);
    assertEquals("SUCCEEDED", plain.get("state").asText(), plain::toString);
    buildsBefore = farm.get("/api/v1/builds").get("builds").size();
    Map<String, String> ids = new LinkedHashMap<>();
    for (String name : definitionNames(repos)) {
      ids.put(name, farm.submit(name, components));
    }
    for (Map.Entry<String, String> id : ids.entrySet()) {
      JsonNode build = farm.awaitBuild(id.getValue(), FarmProcesses::finished);
      builds.put(id.getKey(), build);
      logs.put(id.getKey(), build.hasNonNull("log")
          ? new String(farm.download(build.get("log").asText()), StandardCharsets.UTF_8) : "");
      System.out.printf("%s: %s %s%n", id.getKey(), build.get("state").asText(),
          build.hasNonNull("error") ? build.get("error").asText() : "");
    }
    EscapeProbe.reports(logs.get("hostile-package-script").lines().toList()).forEach(System.out::println);
  }

  @AfterAll
  void stopFarm() throws Exception {
    try {
      if (farm != null) {
        farm.close();
      }
      if (repo != null) {
        repo.close();
      }
    } finally {
      canaries.close();
      Files.deleteIfExists(hostEtc);
    }
  }

  @Test
  void nothingOutsideTheBuildsChangedAndNoSecretReachedALog() throws IOException {
    canaries.assertUntouched();
    assertFalse(Files.exists(hostEtc, LinkOption.NOFOLLOW_LINKS), "a package script wrote the host's /etc");
    logs.forEach((name, log) -> canaries.assertNoSecretIn("the log of " + name, log));
    builds.forEach((name, build) -> canaries.assertNoSecretIn("the record of " + name, build.toString()));
  }

  @Test
  void hooksFindNothingOfTheHostToRead() {
    assertRefused("hostile-reads-root", "No such file or directory");
    assertRefused("hostile-reads-other-cache", "No such file or directory");
    assertRefused("hostile-reads-worker-data", "No such file or directory");
  }

  @Test
  void hooksCannotWriteOutsideTheirBuild() {
    assertRefused("hostile-writes-outside", "No such file or directory");
    assertRefused("hostile-remounts-host", "mount");
  }

  /**
   * kernel.core_pattern names a program the kernel runs as root outside every namespace when a process dumps core:
   * a hook that could set it to a file of its image would own the host. The sandbox keeps uid 0, and the kernel checks
   * such writes by uid: /proc/sys is read-only in every sandbox.
   */
  @Test
  void hooksCannotChangeTheKernelsSettings() throws IOException {
    assertRefused("hostile-writes-kernel-settings", "Read-only file system");
    assertEquals(corePatternBefore, Files.readString(Path.of("/proc/sys/kernel/core_pattern")),
        "the host's kernel.core_pattern changed");
  }

  @Test
  void aDeviceNodeAHookMakesCannotBeOpened() {
    assertRefused("hostile-reads-disk", "Permission denied");
  }

  @Test
  void hooksHaveNoNetworkNotEvenToTheFarm() throws Exception {
    assertRefused("hostile-calls-the-farm", "Connection refused|Network is unreachable");
    assertEquals(buildsBefore + definitionCount(), farm.get("/api/v1/builds").get("builds").size(),
        "a hook submitted a build to the farm");
  }

  @Test
  void linksPlantedForTheWorkersOwnStepsAreNotFollowed() throws Exception {
    JsonNode build = builds.get("hostile-plants-links");
    assertEquals("SUCCEEDED", build.get("state").asText(), () -> build + "\n" + logs.get("hostile-plants-links"));
    JsonNode manifest = FarmProcesses.JSON.readTree(farm.download(artifact(build, "manifest.json")));
    Map<String, JsonNode> entries = new LinkedHashMap<>();
    for (JsonNode entry : manifest.has("entries") ? manifest.get("entries") : manifest) {
      entries.put(entry.get("image").asText() + ":" + entry.get("path").asText(), entry);
    }
    JsonNode busybox = entries.get("initramfs:usr/bin/busybox");
    assertEquals(Sha256.of("multi-call binary\n".getBytes(StandardCharsets.UTF_8)), busybox.get("sha256").asText(),
        "the multi-call binary was overwritten: " + busybox);
    JsonNode init = entries.get("initramfs:bin/init");
    assertEquals("file", init.get("type").asText(), "/bin/init is still the link: " + init);
    assertEquals("file", entries.get("initramfs:.tempfs_list").get("type").asText());
  }

  @Test
  void aHookSwappingItsRootfsForALinkFailsTheBuildNamingIt() {
    assertRefused("hostile-swaps-its-rootfs", "symbolic link");
  }

  @Test
  void aPackageScriptThatLeavesRpmsChrootIsContained() {
    String log = logs.get("hostile-package-script");
    List<String> reports = EscapeProbe.reports(log.lines().toList());
    assertEquals(Optional.of("OK"), EscapeProbe.outcome(reports, "chroot escape"), () -> "the script did not run: " + log);
    for (String attempt : List.of("read " + rootSecret, "read " + cacheSecret, "write " + hostEtc,
        "write " + hostDir.resolve("pwned"), "connect 127.0.0.1:" + farmPort())) {
      Optional<String> outcome = EscapeProbe.outcome(reports, attempt);
      assertTrue(outcome.isPresent() && outcome.get().startsWith("refused"), attempt + ": " + outcome + "; " + reports);
    }
  }

  /** The build of {@code name} failed, its error and its log saying why ({@code reason}, a regular expression). */
  private void assertRefused(String name, String reason) {
    JsonNode build = builds.get(name);
    assertEquals("FAILED", build.get("state").asText(), () -> name + " was not refused: " + build + "\n" + logs.get(name));
    Pattern why = Pattern.compile(reason);
    String error = build.get("error").asText();
    assertTrue(why.matcher(error).find(), () -> name + " failed for another reason than '" + reason + "': " + error);
    assertTrue(why.matcher(logs.get(name)).find(), () -> "the log of " + name + " does not say why:\n" + logs.get(name));
  }

  /** The coordinator's HTTP port: the farm's own API, which a hook or package script must not reach. */
  private int farmPort() {
    return farm.httpPort;
  }

  private static String artifact(JsonNode build, String name) {
    for (JsonNode artifact : build.get("artifacts")) {
      if (artifact.get("name").asText().equals(name)) {
        return artifact.get("sha256").asText();
      }
    }
    throw new AssertionError("no artifact " + name + " in " + build);
  }

  private int definitionCount() {
    return builds.size();
  }

  private static List<String> definitionNames(Path repos) throws IOException {
    try (var names = Files.list(repos)) {
      return names.map(p -> p.getFileName().toString()).filter(n -> n.startsWith("hostile-")).sorted().toList();
    }
  }

  /** The fixture tdnf definition named {@code name}, whose base.sh runs {@code attempt} after its own lines. */
  private Path hostile(Path repos, String name, String attempt) throws IOException {
    return FixtureBuilds.writeTdnfDefinition(dir.resolve("scratch"), repos, repo, name,
        "\nR=$(rootfs_dir \"$PKGDIR\"); B=$(bootfs_dir \"$PKGDIR\")\n" + attempt + "\n");
  }

  private static void staging(Path definition, String body) throws IOException {
    Path hook = definition.resolve("staging.sh");
    Files.writeString(hook, "#!/bin/bash\nR=$(rootfs_dir \"$PKGDIR\")\n" + body + "\n");
    Files.setPosixFilePermissions(hook, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  private static long major(long device) {
    return ((device >> 8) & 0xfff) | ((device >> 32) & ~0xfffL);
  }

  private static long minor(long device) {
    return (device & 0xff) | ((device >> 12) & ~0xffL);
  }
}
