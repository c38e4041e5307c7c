package org.bootfarm.protocol.repo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Pins what {@link RepoDefinitionLoader} accepts and what it reports, one rule per test. */
@Tag("unit")
class RepoDefinitionLoaderTest {

  static final String INIT_SH = """
      #!/bin/bash
      drivers=( "vmxnet3" "nf_nat" )
      install-entropy () {
          mkdir -p "$1/bin"
      }
      function install-iptables {
          mkdir -p "$1/bin"
      }
      """;

  static final String REPO_FILE = """
      [fixture]
      name=Fixture
      baseurl=http://127.0.0.1:8080/$releasever/$basearch/
      gpgkey=file:///etc/pki/rpm-gpg/FIXTURE-KEY
      gpgcheck=1
      enabled=1
      """;

  @TempDir Path tmp;
  Path dir;
  Path keys;

  @BeforeEach
  void writeValidTdnfDefinition() throws IOException {
    dir = Files.createDirectories(tmp.resolve("repos/fixture-1.0"));
    keys = Files.createDirectories(tmp.resolve("keys"));
    Files.writeString(keys.resolve("FIXTURE-KEY"), "-----BEGIN PGP PUBLIC KEY BLOCK-----\n");
    spec("""
        {
          "name": "fixture-1.0",
          "packagemanager": "tdnf",
          "kernel": "linux-esx",
          "init": "/bin/init",
          "packages_script_staging": {"bootstrap": "", "appliance": "erase toybox"},
          "packages": {"base": "filesystem toybox", "bootstrap": "", "appliance": "systemd"}
        }
        """);
    write("init.sh", INIT_SH);
    write("fixture.repo", REPO_FILE);
  }

  void spec(String json) throws IOException {
    write("repo-spec.json", json);
  }

  void write(String name, String text) throws IOException {
    Files.writeString(dir.resolve(name), text);
  }

  LoadOptions opts() {
    return new LoadOptions(keys, false);
  }

  List<DefinitionProblem> problems(LoadOptions opts) {
    return assertThrows(DefinitionException.class, () -> RepoDefinitionLoader.load(dir, opts)).problems();
  }

  List<DefinitionProblem> problems() {
    return problems(opts());
  }

  static DefinitionProblem only(List<DefinitionProblem> problems) {
    assertEquals(1, problems.size(), () -> "expected one problem, got " + problems);
    return problems.get(0);
  }

  static void assertMentions(DefinitionProblem p, String... parts) {
    for (String part : parts) {
      assertTrue(p.message().contains(part), () -> "\"" + part + "\" not in: " + p);
    }
  }

  @Test
  void loadsValidDefinition() throws Exception {
    RepoDefinition def = RepoDefinitionLoader.load(dir, opts());
    assertEquals("fixture-1.0", def.name());
    assertEquals("tdnf", def.spec().packageManager());
    assertEquals(List.of("filesystem", "toybox"), def.spec().packageList("base"));
    assertEquals("erase toybox", def.spec().stagingScript("appliance"));
    assertTrue(def.spec().supportsTarget("appliance"));
    assertEquals(List.of(dir.resolve("fixture.repo")), def.repoFiles());
    assertEquals(List.of(new RepoDefinition.ResolvedKey("file:///etc/pki/rpm-gpg/FIXTURE-KEY",
        keys.resolve("FIXTURE-KEY").toAbsolutePath())), def.gpgKeys());
    assertEquals(dir.resolve("init.sh"), def.initScript());
    assertEquals(Optional.empty(), def.baseHook());
    assertEquals(Optional.empty(), def.aptSources());
  }

  @Test
  void rejectsDefinitionWithoutPackageManager() throws Exception {
    spec("""
        {"name": "fixture-1.0", "kernel": "linux-esx", "init": "/bin/init",
         "packages": {"base": "filesystem", "bootstrap": ""}}
        """);
    DefinitionProblem p = only(problems());
    assertEquals("repo-spec.json", p.file());
    assertEquals("packagemanager", p.field());
    assertMentions(p, "missing required field", "tdnf, yum, dnf, apt");
  }

  @Test
  void unknownPackageManagerListsTheAllowedOnes() throws Exception {
    spec("""
        {"name": "fixture-1.0", "packagemanager": "zypper", "kernel": "linux-esx", "init": "/bin/init",
         "packages": {"base": "filesystem", "bootstrap": ""}}
        """);
    DefinitionProblem p = only(problems());
    assertEquals("packagemanager", p.field());
    assertMentions(p, "\"zypper\"", "tdnf, yum, dnf, apt");
  }

  @Test
  void rejectsNameThatDiffersFromDirectory() throws Exception {
    spec("""
        {"name": "fixture-2.0", "packagemanager": "tdnf", "kernel": "linux-esx", "init": "/bin/init",
         "packages": {"base": "filesystem", "bootstrap": ""}}
        """);
    DefinitionProblem p = only(problems());
    assertEquals("name", p.field());
    assertMentions(p, "fixture-2.0", "fixture-1.0");
  }

  @Test
  void rejectsRelativeInit() throws Exception {
    spec("""
        {"name": "fixture-1.0", "packagemanager": "tdnf", "kernel": "linux-esx", "init": "bin/init",
         "packages": {"base": "filesystem", "bootstrap": ""}}
        """);
    DefinitionProblem p = only(problems());
    assertEquals("init", p.field());
    assertMentions(p, "not an absolute path");
  }

  @Test
  void kernelRpmThatExistsIsUncheckedSoItNeedsTheOperatorsAllowance() throws Exception {
    Path rpm = Files.writeString(tmp.resolve("kernel-2.6.32.x86_64.rpm"), "rpm");
    spec("""
        {"name": "fixture-1.0", "packagemanager": "yum", "kernel": "%s", "init": "/bin/init",
         "packages": {"base": "filesystem", "bootstrap": ""}}
        """.formatted(rpm));
    DefinitionProblem p = only(problems());
    assertEquals("repo-spec.json", p.file());
    assertEquals("kernel", p.field());
    assertMentions(p, rpm.toString(), "without a signature check", "--allow-unsigned fixture-1.0");

    RepoDefinition def = RepoDefinitionLoader.load(dir, opts().withAllowUnsigned(List.of("fixture-1.0")));
    assertTrue(def.spec().kernelIsFile());
    assertTrue(def.unsignedAllowed());
    assertEquals(List.of("repo-spec.json kernel: kernel-2.6.32.x86_64.rpm"), def.unsigned());
  }

  @Test
  void rejectsKernelRpmThatDoesNotExist() throws Exception {
    spec("""
        {"name": "fixture-1.0", "packagemanager": "yum", "kernel": "/nonexistent/kernel.rpm", "init": "/bin/init",
         "packages": {"base": "filesystem", "bootstrap": ""}}
        """);
    DefinitionProblem p = only(problems());
    assertEquals("kernel", p.field());
    assertMentions(p, "/nonexistent/kernel.rpm", "does not exist");
  }

  @Test
  void rejectsKernelFileForApt() throws Exception {
    Files.delete(dir.resolve("fixture.repo"));
    Path rpm = Files.writeString(tmp.resolve("kernel.rpm"), "rpm");
    spec("""
        {"name": "fixture-1.0", "packagemanager": "apt", "kernel": "%s", "init": "/bin/init",
         "packages": {"base": "busybox", "bootstrap": ""}}
        """.formatted(rpm));
    DefinitionProblem p = only(problems());
    assertEquals("kernel", p.field());
    assertMentions(p, "only for rpm package managers");
  }

  @Test
  void namesTheWrongJsonType() throws Exception {
    spec("""
        {"name": "fixture-1.0", "packagemanager": "tdnf", "kernel": "linux-esx", "init": "/bin/init",
         "packages": {"base": ["filesystem", "toybox"], "bootstrap": ""}}
        """);
    DefinitionProblem p = only(problems());
    assertEquals("packages.base", p.field());
    assertEquals("expected a string of space-separated package names, got an array", p.message());
  }

  @Test
  void rejectsEmptyBaseList() throws Exception {
    spec("""
        {"name": "fixture-1.0", "packagemanager": "tdnf", "kernel": "linux-esx", "init": "/bin/init",
         "packages": {"base": "  ", "bootstrap": ""}}
        """);
    assertEquals("packages.base", only(problems()).field());
  }

  @Test
  void rejectsMissingBootstrapList() throws Exception {
    spec("""
        {"name": "fixture-1.0", "packagemanager": "tdnf", "kernel": "linux-esx", "init": "/bin/init",
         "packages": {"base": "filesystem"}}
        """);
    DefinitionProblem p = only(problems());
    assertEquals("packages.bootstrap", p.field());
    assertMentions(p, "missing required field");
  }

  @Test
  void acceptsBootstrapOnlyDefinition() throws Exception {
    spec("""
        {"name": "fixture-1.0", "packagemanager": "tdnf", "kernel": "linux-esx", "init": "/bin/init",
         "packages": {"base": "filesystem", "bootstrap": ""}}
        """);
    RepoSpec spec = RepoDefinitionLoader.load(dir, opts()).spec();
    assertTrue(spec.supportsTarget("bootstrap"));
    assertFalse(spec.supportsTarget("appliance"));
    assertEquals(List.of(), spec.packageList("bootstrap"));
  }

  @Test
  void rejectsUnknownTopLevelField() throws Exception {
    spec("""
        {"name": "fixture-1.0", "packagemanager": "tdnf", "kernel": "linux-esx", "init": "/bin/init",
         "packages": {"base": "filesystem", "bootstrap": ""}, "packages_scripts_staging": {}}
        """);
    DefinitionProblem p = only(problems());
    assertEquals("packages_scripts_staging", p.field());
    assertMentions(p, "unknown field", "packages_script_staging");
  }

  @Test
  void rejectsUnknownPackageList() throws Exception {
    spec("""
        {"name": "fixture-1.0", "packagemanager": "tdnf", "kernel": "linux-esx", "init": "/bin/init",
         "packages": {"base": "filesystem", "bootstrap": "", "appliances": "systemd"}}
        """);
    assertEquals("packages.appliances", only(problems()).field());
  }

  @Test
  void rejectsStagingScriptWithVerbTheDriverDoesNotRun() throws Exception {
    spec("""
        {"name": "fixture-1.0", "packagemanager": "tdnf", "kernel": "linux-esx", "init": "/bin/init",
         "packages_script_staging": {"bootstrap": "rm -rf /usr/share/doc"},
         "packages": {"base": "filesystem", "bootstrap": ""}}
        """);
    DefinitionProblem p = only(problems());
    assertEquals("packages_script_staging.bootstrap", p.field());
    assertMentions(p, "\"rm\"", "install, erase, remove, update, reinstall, downgrade");
  }

  @Test
  void rejectsStagingScriptForUnknownTarget() throws Exception {
    spec("""
        {"name": "fixture-1.0", "packagemanager": "tdnf", "kernel": "linux-esx", "init": "/bin/init",
         "packages_script_staging": {"boostrap": "erase toybox"},
         "packages": {"base": "filesystem", "bootstrap": ""}}
        """);
    assertEquals("packages_script_staging.boostrap", only(problems()).field());
  }

  @Test
  void aptStagingScriptsUseAptVerbs() throws Exception {
    Files.delete(dir.resolve("fixture.repo"));
    spec("""
        {"name": "fixture-1.0", "packagemanager": "apt", "kernel": "linux-image-cloud-amd64", "init": "/bin/init",
         "packages_script_staging": {"bootstrap": "purge haveged", "appliance": "erase haveged"},
         "packages": {"base": "busybox", "bootstrap": "", "appliance": "systemd"}}
        """);
    DefinitionProblem p = only(problems());
    assertEquals("packages_script_staging.appliance", p.field());
    assertMentions(p, "install, remove, purge");
  }

  @Test
  void malformedJsonNamesLineAndColumn() throws Exception {
    spec("{\n  \"name\": \"fixture-1.0\",\n  \"packagemanager\": \"tdnf\"\n  \"kernel\": \"linux-esx\"\n}\n");
    DefinitionProblem p = only(problems());
    assertEquals("repo-spec.json", p.file());
    assertMentions(p, "malformed JSON", "line 4, column 3");
  }

  @Test
  void emptySpecIsAProblem() throws Exception {
    spec("");
    DefinitionProblem p = only(problems());
    assertEquals("repo-spec.json", p.file());
    assertMentions(p, "is empty");
  }

  @Test
  void specThatIsNotAnObjectNamesWhatItIs() throws Exception {
    spec("[\"photon-2.0\"]");
    assertMentions(only(problems()), "expected a JSON object", "got an array");
  }

  @Test
  void trailingContentAfterTheObjectIsMalformed() throws Exception {
    spec("""
        {"name": "fixture-1.0", "packagemanager": "tdnf", "kernel": "linux-esx", "init": "/bin/init",
         "packages": {"base": "filesystem", "bootstrap": ""}}
        {"name": "second"}
        """);
    assertMentions(only(problems()), "malformed JSON at line 3");
  }

  @Test
  void duplicateJsonKeysAreProblems() throws Exception {
    spec("{\"name\": \"fixture-1.0\", \"name\": \"other\"}");
    assertMentions(only(problems()), "malformed JSON", "Duplicate field 'name'");
  }

  @Test
  void requiresInitScript() throws Exception {
    Files.delete(dir.resolve("init.sh"));
    DefinitionProblem p = only(problems());
    assertEquals("init.sh", p.file());
    assertMentions(p, "missing");
  }

  @Test
  void initScriptMustDefineBothFunctions() throws Exception {
    write("init.sh", "#!/bin/bash\ndrivers=(vmxnet3)\ninstall_entropy () { :; }\n");
    List<DefinitionProblem> problems = problems();
    assertEquals(List.of("install-entropy", "install-iptables"),
        problems.stream().map(DefinitionProblem::field).toList());
    assertTrue(problems.stream().allMatch(p -> p.file().equals("init.sh")));
  }

  @Test
  void initScriptWithoutDriversArrayMeansNoDriversAndIsNotedNotRefused() throws Exception {
    write("init.sh", INIT_SH.replace("drivers=( \"vmxnet3\" \"nf_nat\" )\n", "modules=(vmxnet3)\n"));
    RepoDefinition def = RepoDefinitionLoader.load(dir, opts());
    DefinitionProblem note = only(def.notes());
    assertEquals("init.sh", note.file());
    assertEquals("drivers", note.field());
    assertMentions(note, "loads no kernel modules of this repo");
    write("init.sh", INIT_SH);
    assertEquals(List.of(), RepoDefinitionLoader.load(dir, opts()).notes());
  }

  @Test
  void hookWithSyntaxErrorIsAProblem() throws Exception {
    write("base.sh", "#!/bin/bash\nif [ -e /x ]; then\n  echo yes\n");
    DefinitionProblem p = only(problems());
    assertEquals("base.sh", p.file());
    assertMentions(p, "bash syntax error", "line 4");
  }

  @Test
  void presentHooksAreLoaded() throws Exception {
    write("base.sh", "mknod \"$(rootfs_dir $PKGDIR)/dev/null\" c 1 3\n");
    write("staging.sh", "rm -f \"$(rootfs_dir $PKGDIR)/etc/localtime\"\n");
    RepoDefinition def = RepoDefinitionLoader.load(dir, opts());
    assertEquals(Optional.of(dir.resolve("base.sh")), def.baseHook());
    assertEquals(Optional.of(dir.resolve("staging.sh")), def.stagingHook());
  }

  @Test
  void rpmDefinitionNeedsARepoFile() throws Exception {
    Files.delete(dir.resolve("fixture.repo"));
    DefinitionProblem p = only(problems());
    assertEquals("*.repo", p.file());
    assertMentions(p, "no .repo file");
  }

  @Test
  void namesTheSectionWithoutBaseurl() throws Exception {
    write("fixture.repo", REPO_FILE + "\n[fixture-updates]\nname=Updates\ngpgcheck=1\n"
        + "gpgkey=file:///etc/pki/rpm-gpg/FIXTURE-KEY\n");
    DefinitionProblem p = only(problems());
    assertEquals("fixture.repo", p.file());
    assertEquals("[fixture-updates] baseurl", p.field());
    assertMentions(p, "baseurl, mirrorlist or metalink");
  }

  @Test
  void mirrorlistOrMetalinkIsEnoughForASection() throws Exception {
    write("fixture.repo", "[a]\nmirrorlist=http://127.0.0.1/list\ngpgcheck=1\ngpgkey=https://127.0.0.1/key\n"
        + "[b]\nmetalink=http://127.0.0.1/metalink?repo=$basearch\ngpgcheck=1\ngpgkey=https://127.0.0.1/key\n");
    assertEquals(List.of(), RepoDefinitionLoader.load(dir, opts()).gpgKeys());
  }

  @Test
  void gpgcheckWithoutKeyIsAProblem() throws Exception {
    write("fixture.repo", "[fixture]\nbaseurl=http://127.0.0.1/\ngpgcheck=1\n");
    DefinitionProblem p = only(problems());
    assertEquals("[fixture] gpgkey", p.field());
    assertMentions(p, "gpgcheck=1 but no gpgkey");
  }

  @Test
  void gpgcheckMustBeZeroOrOne() throws Exception {
    write("fixture.repo", "[fixture]\nbaseurl=http://127.0.0.1/\ngpgcheck=yes please\n");
    assertEquals("[fixture] gpgcheck", only(problems()).field());
  }

  @Test
  void keyOutsideAnySectionNamesTheLine() throws Exception {
    write("fixture.repo", "baseurl=http://127.0.0.1/\n" + REPO_FILE);
    DefinitionProblem p = only(problems());
    assertEquals("line 1", p.field());
    assertMentions(p, "outside any [section]");
  }

  @Test
  void findsKeyInDefinitionDirFirst() throws Exception {
    write("FIXTURE-KEY", "-----BEGIN PGP PUBLIC KEY BLOCK-----\n");
    RepoDefinition def = RepoDefinitionLoader.load(dir, opts());
    assertEquals(dir.resolve("FIXTURE-KEY"), def.gpgKeys().get(0).file());
  }

  @Test
  void findsKeyInTrustedKeysDir() throws Exception {
    RepoDefinition def = RepoDefinitionLoader.load(dir, opts());
    assertEquals(keys.resolve("FIXTURE-KEY").toAbsolutePath(), def.gpgKeys().get(0).file());
  }

  @Test
  void missingKeyNamesSectionReferenceBothPlacesAndTheKeysFlag() throws Exception {
    Path empty = Files.createDirectories(tmp.resolve("no-keys"));
    DefinitionProblem p = only(problems(new LoadOptions(empty, false)));
    assertEquals("fixture.repo", p.file());
    assertEquals("[fixture] gpgkey", p.field());
    assertMentions(p, "file:///etc/pki/rpm-gpg/FIXTURE-KEY", dir.toString(), empty.toString(), "--keys");
  }

  @Test
  void everyKeyOfAMultiKeyEntryIsResolved() throws Exception {
    Files.writeString(keys.resolve("OTHER-KEY"), "key");
    write("fixture.repo", REPO_FILE.replace("FIXTURE-KEY",
        "FIXTURE-KEY,\n    file:///etc/pki/rpm-gpg/OTHER-KEY https://127.0.0.1/remote-key"));
    assertEquals(List.of("FIXTURE-KEY", "OTHER-KEY"), RepoDefinitionLoader.load(dir, opts()).gpgKeys()
        .stream().map(k -> k.file().getFileName().toString()).toList());
  }

  @Test
  void localRepoFileReplacesRepoFiles() throws Exception {
    write("fixture.repo", "[broken]\nname=no url here\ngpgcheck=1\ngpgkey=file:///etc/pki/rpm-gpg/FIXTURE-KEY\n");
    write("fixture-1.0.repo.local", "[local]\nbaseurl=http://127.0.0.1:9/repo/\ngpgcheck=1\n"
        + "gpgkey=file:///etc/pki/rpm-gpg/FIXTURE-KEY\n");
    RepoDefinition def = RepoDefinitionLoader.load(dir, new LoadOptions(keys, true));
    assertEquals(List.of(dir.resolve("fixture-1.0.repo.local")), def.repoFiles());
    assertEquals("[broken] baseurl", only(problems(new LoadOptions(keys, false))).field());
  }

  @Test
  void localRepoModeWithoutLocalFileNamesTheExpectedFile() throws Exception {
    DefinitionProblem p = only(problems(new LoadOptions(keys, true)));
    assertEquals("fixture-1.0.repo.local", p.file());
    assertMentions(p, "local-repo mode");
  }

  @Test
  void repoFilesAreAProblemForApt() throws Exception {
    spec("""
        {"name": "fixture-1.0", "packagemanager": "apt", "kernel": "linux-image-cloud-amd64", "init": "/bin/init",
         "packages": {"base": "busybox kmod", "bootstrap": ""}}
        """);
    DefinitionProblem p = only(problems());
    assertEquals("fixture.repo", p.file());
    assertMentions(p, "not used by apt");
  }

  @Test
  void aptDefinitionWithoutSourcesUsesTheWorkersSources() throws Exception {
    Files.delete(dir.resolve("fixture.repo"));
    spec("""
        {"name": "fixture-1.0", "packagemanager": "apt", "kernel": "linux-image-cloud-amd64", "init": "/bin/init",
         "packages": {"base": "busybox kmod", "bootstrap": ""}}
        """);
    assertEquals(Optional.empty(), RepoDefinitionLoader.load(dir, opts()).aptSources());
    write("debian.sources", "Types: deb\nURIs: http://127.0.0.1/debian\nSuites: bookworm\nComponents: main\n");
    assertEquals(Optional.of(dir.resolve("debian.sources")), RepoDefinitionLoader.load(dir, opts()).aptSources());
    write("sources.list", "deb http://127.0.0.1/debian bookworm main\n");
    assertMentions(only(problems()), "more than one apt sources file");
  }

  @Test
  void reportsEveryProblemAtOnce() throws Exception {
    spec("""
        {"name": "wrong", "packagemanager": "tdnf", "kernel": "linux-esx", "init": "sbin/init",
         "packages": {"base": 7}, "extra": true}
        """);
    write("init.sh", "#!/bin/bash\ndrivers=(\n");
    write("fixture.repo", "[fixture]\nname=x\ngpgcheck=1\n");
    List<DefinitionProblem> problems = problems();
    List<String> where = problems.stream().map(p -> p.file() + ": " + p.field()).collect(Collectors.toList());
    assertEquals(List.of(
        "repo-spec.json: extra",
        "repo-spec.json: name",
        "repo-spec.json: init",
        "repo-spec.json: packages.base",
        "repo-spec.json: packages.bootstrap",
        "init.sh: install-entropy",
        "init.sh: install-iptables",
        "init.sh: ",
        "fixture.repo: [fixture] baseurl",
        "fixture.repo: [fixture] gpgkey"), where);
    DefinitionException e = assertThrows(DefinitionException.class, () -> RepoDefinitionLoader.load(dir, opts()));
    assertTrue(e.getMessage().contains("repo-spec.json: packages.base: expected a string"), e.getMessage());
  }

  // ---- signatures cannot be switched off by omission (docs/adr/0027) ----

  @Test
  void sectionWithoutGpgcheckIsRefusedNamingTheSectionAndTheFlag() throws Exception {
    write("fixture.repo", REPO_FILE.replace("gpgcheck=1\n", ""));
    DefinitionProblem p = only(problems());
    assertEquals("fixture.repo", p.file());
    assertEquals("[fixture] gpgcheck", p.field());
    assertMentions(p, "no gpgcheck", "without a signature check", "dnf's default is not to check",
        "set gpgcheck=1", "--allow-unsigned fixture-1.0", "allow-unsigned");
  }

  @Test
  void sectionWithGpgcheckZeroIsRefusedAmongSignedOnes() throws Exception {
    write("fixture.repo", REPO_FILE + "\n[fixture-extras]\nbaseurl=http://127.0.0.1/extras/\ngpgcheck=0\n");
    DefinitionProblem p = only(problems());
    assertEquals("[fixture-extras] gpgcheck", p.field());
    assertMentions(p, "gpgcheck=0", "without a signature check", "--allow-unsigned fixture-1.0");
  }

  @Test
  void allowingTheDefinitionLoadsItAndListsEverySectionThatGoesUnchecked() throws Exception {
    write("fixture.repo", REPO_FILE + "\n[plain]\nbaseurl=http://127.0.0.1/plain/\n"
        + "\n[off]\nbaseurl=http://127.0.0.1/off/\ngpgcheck=0\n");
    assertEquals(2, problems(opts().withAllowUnsigned(List.of("another-repo"))).size(),
        "allowing another definition allows nothing here");
    RepoDefinition def = RepoDefinitionLoader.load(dir, opts().withAllowUnsigned(List.of("fixture-1.0")));
    assertTrue(def.unsignedAllowed());
    assertEquals(List.of("fixture.repo [plain]: no gpgcheck", "fixture.repo [off]: gpgcheck=0"), def.unsigned());
  }

  @Test
  void anAllowedDefinitionThatIsSignedThroughoutListsNothingUnsigned() throws Exception {
    RepoDefinition def = RepoDefinitionLoader.load(dir, opts().withAllowUnsigned(List.of("fixture-1.0")));
    assertTrue(def.unsignedAllowed());
    assertEquals(List.of(), def.unsigned());
    assertFalse(RepoDefinitionLoader.load(dir, opts()).unsignedAllowed());
  }

  @Test
  void repoGpgcheckMustBeZeroOrOne() throws Exception {
    write("fixture.repo", REPO_FILE + "repo_gpgcheck=sometimes\n");
    assertEquals("[fixture] repo_gpgcheck", only(problems()).field());
    write("fixture.repo", REPO_FILE + "repo_gpgcheck=1\n");
    assertEquals(List.of(), RepoDefinitionLoader.load(dir, opts()).unsigned());
  }

  void aptDefinition() throws IOException {
    Files.delete(dir.resolve("fixture.repo"));
    spec("""
        {"name": "fixture-1.0", "packagemanager": "apt", "kernel": "linux-image-cloud-amd64", "init": "/bin/init",
         "packages": {"base": "busybox kmod", "bootstrap": ""}}
        """);
  }

  @Test
  void aptSourceMarkedTrustedIsRefusedInBothFormats() throws Exception {
    aptDefinition();
    write("sources.list", """
        # the archive
        deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] http://127.0.0.1/debian bookworm main
        deb [arch=amd64 trusted=yes] http://127.0.0.1/local bookworm main
        """);
    DefinitionProblem p = only(problems());
    assertEquals("sources.list", p.file());
    assertEquals("line 3", p.field());
    assertMentions(p, "trusted=yes", "signature check off for http://127.0.0.1/local", "signed-by=",
        "--allow-unsigned fixture-1.0");

    Files.delete(dir.resolve("sources.list"));
    write("debian.sources", """
        Types: deb
        URIs: http://127.0.0.1/debian
        Suites: bookworm
        Components: main
        Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

        Types: deb
        URIs: http://127.0.0.1/local
        Suites: bookworm
        Components: main
        Trusted: yes
        Allow-Weak: yes
        """);
    p = only(problems());
    assertEquals("debian.sources", p.file());
    assertEquals("line 7", p.field());
    assertMentions(p, "trusted=yes and allow-weak=yes switch apt's signature check off");
  }

  @Test
  void aptOptionsThatWeakenTheCheckAreUnsignedAndTheirFalseValuesAreNot() throws Exception {
    aptDefinition();
    write("sources.list", """
        deb [trusted=no allow-insecure=false] http://127.0.0.1/a bookworm main
        deb [allow-insecure=yes] http://127.0.0.1/b bookworm main
        deb [allow-downgrade-to-insecure=yes] http://127.0.0.1/c bookworm main
        """);
    assertEquals(List.of("line 2", "line 3"), problems().stream().map(DefinitionProblem::field).toList());
    RepoDefinition def = RepoDefinitionLoader.load(dir, opts().withAllowUnsigned(List.of("fixture-1.0")));
    assertEquals(List.of("sources.list line 2: allow-insecure=yes",
        "sources.list line 3: allow-downgrade-to-insecure=yes"), def.unsigned());
  }

  @Test
  void aDisabledTrustedStanzaInstallsNothingAndIsNotUnsigned() throws Exception {
    aptDefinition();
    write("debian.sources", """
        Types: deb
        URIs: http://127.0.0.1/debian
        Suites: bookworm

        Types: deb
        URIs: http://127.0.0.1/old
        Suites: buster
        Trusted: yes
        Enabled: no
        """);
    assertEquals(List.of(), RepoDefinitionLoader.load(dir, opts()).unsigned());
  }

  // ---- package names are words, never options ----

  @Test
  void packageNamesThatReadAsOptionsAreRefusedNamingFieldAndWord() throws Exception {
    spec("""
        {"name": "fixture-1.0", "packagemanager": "tdnf", "kernel": "--nogpgcheck", "init": "/bin/init",
         "packages_script_staging": {"bootstrap": "install -x", "appliance": "erase toybox"},
         "packages": {"base": "filesystem --setopt=gpgcheck=0 toybox", "bootstrap": "-y",
                      "appliance": "systemd *"}}
        """);
    List<DefinitionProblem> problems = problems();
    assertEquals(List.of("kernel", "packages.base", "packages.bootstrap", "packages.appliance",
        "packages_script_staging.bootstrap"), problems.stream().map(DefinitionProblem::field).toList(),
        problems::toString);
    assertTrue(problems.stream().allMatch(p -> p.file().equals("repo-spec.json")));
    assertMentions(problems.get(0), "\"--nogpgcheck\" is not a package name", "read as an option");
    assertMentions(problems.get(1), "\"--setopt=gpgcheck=0\"");
    assertMentions(problems.get(2), "\"-y\"");
    assertMentions(problems.get(3), "\"*\" is not a package name");
    assertFalse(problems.get(3).message().contains("option"), problems.get(3)::toString);
    assertMentions(problems.get(4), "\"-x\"");
  }

  @Test
  void rpmNamesWithVersionsAndEpochsAreWords() throws Exception {
    spec("""
        {"name": "fixture-1.0", "packagemanager": "yum", "kernel": "kernel-2.6.32-754.el6", "init": "/bin/init",
         "packages_script_staging": {"bootstrap": "erase util-linux-ng"},
         "packages": {"base": "filesystem bash-4.1.2 perl:5.10 libstdc++ python2.7_x", "bootstrap": ""}}
        """);
    assertEquals(List.of("filesystem", "bash-4.1.2", "perl:5.10", "libstdc++", "python2.7_x"),
        RepoDefinitionLoader.load(dir, opts()).spec().packageList("base"));
  }

  @Test
  void aptNamesFollowDebianPolicyWithArchAndVersion() throws Exception {
    aptDefinition();
    spec("""
        {"name": "fixture-1.0", "packagemanager": "apt", "kernel": "linux-image-cloud-amd64", "init": "/bin/init",
         "packages": {"base": "busybox:amd64 kmod=30+20221128-1 g++ Busybox", "bootstrap": ""}}
        """);
    DefinitionProblem p = only(problems());
    assertEquals("packages.base", p.field());
    assertMentions(p, "\"Busybox\" is not a Debian package name");
  }

  @Test
  void digestDependsOnPathsAndContentsNotOnLocation() throws Exception {
    String first = RepoDefinitionLoader.digest(dir);
    assertTrue(first.matches("[0-9a-f]{64}"), first);
    Path copy = Files.createDirectories(tmp.resolve("elsewhere/fixture-1.0"));
    for (String f : List.of("repo-spec.json", "init.sh", "fixture.repo")) {
      Files.copy(dir.resolve(f), copy.resolve(f));
    }
    assertEquals(first, RepoDefinitionLoader.digest(copy));
    Files.move(copy.resolve("fixture.repo"), copy.resolve("other.repo"));
    String renamed = RepoDefinitionLoader.digest(copy);
    assertNotEquals(first, renamed);
    Files.writeString(copy.resolve("other.repo"), REPO_FILE + "\n");
    assertNotEquals(renamed, RepoDefinitionLoader.digest(copy));
  }
}
