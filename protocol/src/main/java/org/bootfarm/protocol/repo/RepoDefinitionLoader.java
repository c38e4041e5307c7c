package org.bootfarm.protocol.repo;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.io.OutputStream;
import java.security.DigestOutputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.bootfarm.protocol.Sha256;

/**
 * Reads a repo definition directory in the seed's format and validates all of it before anything
 * is built, collecting <em>every</em> problem (file, field, what to do) into one
 * {@link DefinitionException}. The coordinator checks a definition on submission with it, the
 * worker loads it before a build, and {@code bootfarm check} prints its findings.
 *
 * <p>What is checked:
 * <ul>
 *   <li>{@code repo-spec.json}: well-formed JSON (a syntax error is reported with line and
 *       column; duplicate keys are errors); {@code name} equal to the directory name;
 *       {@code packagemanager} one of {@link RepoSpec#PACKAGE_MANAGERS}; {@code init} an absolute
 *       path; {@code kernel} a package name, or (rpm package managers only) an absolute path to an
 *       existing {@code .rpm} file; {@code packages.base} a non-empty string,
 *       {@code packages.bootstrap} a string (may be empty), {@code packages.appliance} optional
 *       (absent means the definition builds the bootstrap target only);
 *       {@code packages_script_staging} optional, keyed by target, each a string whose first word
 *       is a verb the driver supports ({@link #RPM_STAGING_VERBS}, {@link #APT_STAGING_VERBS}).
 *       Values of the wrong JSON type are named with the type found. <strong>Unknown fields, at the
 *       top level and inside {@code packages} and {@code packages_script_staging}, are problems,
 *       not ignored</strong>: a misspelt {@code packagemanger} would otherwise silently fall back
 *       to nothing.</li>
 *   <li>{@code init.sh} must exist, define the {@code install-entropy} and
 *       {@code install-iptables} functions (checked textually), and pass {@code bash -n}; its
 *       {@code drivers=( ... )} array is optional: without one the bootstrap loads no repo drivers,
 *       as VIC's own bootstrap treats it (VIC ships such definitions), and {@link RepoDefinition#notes()}
 *       says so. {@code base.sh} and {@code staging.sh} are optional and must pass {@code bash -n}
 *       when present. The syntax check is skipped on a machine without bash.</li>
 *   <li>Package names are words, never options: every name in {@code packages.*}, in a
 *       {@code packages_script_staging} script after its verb, and the kernel (unless it is a file)
 *       matches {@link RepoSpec#RPM_PACKAGE_WORD} or {@link RepoSpec#APT_PACKAGE_WORD}.</li>
 *   <li>rpm package managers (tdnf, yum, dnf): at least one {@code *.repo} file, or in local-repo
 *       mode {@code <name>.repo.local}, which then replaces them. Each is read as INI: every
 *       section needs {@code baseurl}, {@code mirrorlist} or {@code metalink}; {@code gpgcheck}
 *       and {@code repo_gpgcheck} are 0 or 1; {@code gpgcheck=1} needs a {@code gpgkey}; each
 *       {@code file:///...} key is found by its file name in the definition directory first, then in
 *       {@link LoadOptions#trustedKeysDir()}.</li>
 *   <li>apt: no {@code .repo} files; at most one sources file ({@code sources.list},
 *       {@code *.list} or {@code *.sources}); none means the worker's own apt sources.</li>
 *   <li>Signature checking cannot be switched off by omission (docs/adr/0027): a {@code .repo}
 *       section without {@code gpgcheck=1} (dnf's default is off) or with {@code gpgcheck=0}, a
 *       kernel given as an {@code .rpm} file (dnf checks no file's signature), and an enabled apt
 *       source with {@code trusted}, {@code allow-insecure}, {@code allow-weak} or
 *       {@code allow-downgrade-to-insecure} on, are problems unless the operator allowed the
 *       definition ({@link LoadOptions#allowsUnsigned}); then they are listed in
 *       {@link RepoDefinition#unsigned()}.</li>
 * </ul>
 */
public final class RepoDefinitionLoader {

  /** The spec file of a definition. */
  public static final String SPEC_FILE = "repo-spec.json";
  /** The repo's init script (becomes {@code /bin/repoinit}). */
  public static final String INIT_SCRIPT = "init.sh";
  /** The hook run before the base packages are installed. */
  public static final String BASE_HOOK = "base.sh";
  /** The hook run after the staging packages are installed. */
  public static final String STAGING_HOOK = "staging.sh";

  /** Verbs a {@code packages_script_staging} script may start with for tdnf, yum and dnf. */
  public static final List<String> RPM_STAGING_VERBS =
      List.of("install", "erase", "remove", "update", "reinstall", "downgrade");
  /** Verbs a {@code packages_script_staging} script may start with for apt. */
  public static final List<String> APT_STAGING_VERBS = List.of("install", "remove", "purge");

  private static final List<String> TOP_LEVEL_FIELDS =
      List.of("name", "packagemanager", "kernel", "init", "packages", "packages_script_staging");
  private static final List<String> PACKAGE_LISTS = List.of("base", "bootstrap", "appliance");

  private static final Pattern DRIVERS_ARRAY =
      Pattern.compile("(?m)^\\s*(?:declare\\s+-a\\s+|local\\s+)?drivers=\\(");
  private static final ObjectMapper JSON = new ObjectMapper()
      .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
      .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

  private RepoDefinitionLoader() {}

  /**
   * Loads and validates the definition in {@code dir}.
   *
   * @throws DefinitionException listing every problem found, when there is at least one
   */
  public static RepoDefinition load(Path dir, LoadOptions opts) throws DefinitionException {
    return new Run(dir, opts).load();
  }

  /**
   * The definition digest recorded in a buildinfo: sha256 over every file under {@code dir}, in
   * sorted order of relative path ({@code /}-separated), each contributing its kind, path, size
   * and contents ({@code file\0path\0size\0bytes}; a symlink {@code link\0path\0target\0}): the sha256 of
   * {@link DefinitionArchive#pack}{@code (dir)}, which the artifact store keeps under this digest.
   * Directories contribute only through their files, so an empty directory changes nothing.
   *
   * @throws UncheckedIOException when the directory cannot be read
   */
  public static String digest(Path dir) {
    DigestOutputStream hashing = Sha256.hashing(OutputStream.nullOutputStream());
    DefinitionArchive.write(dir, hashing);
    return Sha256.hex(hashing.getMessageDigest());
  }

  /** One validation pass over one directory: accumulates problems, builds the definition. */
  private static final class Run {
    private final Path dir;
    private final LoadOptions opts;
    private final List<DefinitionProblem> problems = new ArrayList<>();
    private final List<DefinitionProblem> notes = new ArrayList<>();
    /** What installs packages without a signature check ({@link RepoDefinition#unsigned()}). */
    private final List<String> unsigned = new ArrayList<>();
    private String dirName;

    Run(Path dir, LoadOptions opts) {
      this.dir = dir.toAbsolutePath().normalize();
      this.opts = opts == null ? LoadOptions.defaults() : opts;
    }

    private void problem(String file, String field, String message) {
      problems.add(new DefinitionProblem(file, field, message));
    }

    RepoDefinition load() throws DefinitionException {
      if (!Files.isDirectory(dir)) {
        problem(dir.toString(), "", "not a directory: point at a repo definition directory"
            + " holding repo-spec.json, e.g. repos/photon-2.0");
        throw new DefinitionException(dir, problems);
      }
      dirName = dir.getFileName().toString();
      SpecFields spec = readSpec(dirName);
      String family = spec.packageManager != null && RepoSpec.PACKAGE_MANAGERS.contains(spec.packageManager)
          ? ("apt".equals(spec.packageManager) ? "deb" : "rpm") : null;
      checkKernel(spec, family);
      checkStagingScripts(spec, family);
      checkPackageWords(spec, family);

      Path init = dir.resolve(INIT_SCRIPT);
      checkInitScript(init);
      Optional<Path> baseHook = optionalScript(BASE_HOOK);
      Optional<Path> stagingHook = optionalScript(STAGING_HOOK);

      List<Path> repoFiles = new ArrayList<>();
      List<RepoDefinition.ResolvedKey> keys = new ArrayList<>();
      Optional<Path> aptSources = Optional.empty();
      if ("rpm".equals(family)) {
        String name = spec.name != null ? spec.name : dirName;
        repoFiles.addAll(rpmRepoFiles(name));
        for (Path repoFile : repoFiles) {
          checkRepoFile(repoFile, keys);
        }
      } else if ("deb".equals(family)) {
        aptSources = aptSources();
        aptSources.ifPresent(this::checkAptSourcesSigned);
      } else {
        // package manager missing or unknown (already reported): still check any .repo files
        for (Path repoFile : listFiles(p -> p.getFileName().toString().endsWith(".repo"))) {
          checkRepoFile(repoFile, keys);
        }
      }

      if (!problems.isEmpty()) {
        throw new DefinitionException(dir, problems);
      }
      RepoSpec repoSpec = new RepoSpec(spec.name, spec.packageManager, spec.init, spec.kernel,
          spec.packages, spec.stagingScripts);
      return new RepoDefinition(dir, repoSpec, List.copyOf(repoFiles), List.copyOf(keys),
          aptSources, init, baseHook, stagingHook, opts.allowsUnsigned(dirName), List.copyOf(unsigned),
          List.copyOf(notes));
    }

    // ---- repo-spec.json ----

    /** The fields read from repo-spec.json; null where missing or invalid (already reported). */
    private static final class SpecFields {
      String name;
      String packageManager;
      String init;
      String kernel;
      final Map<String, String> packages = new LinkedHashMap<>();
      final Map<String, String> stagingScripts = new LinkedHashMap<>();
    }

    private SpecFields readSpec(String dirName) {
      SpecFields spec = new SpecFields();
      Path file = dir.resolve(SPEC_FILE);
      if (!Files.isRegularFile(file)) {
        problem(SPEC_FILE, "", "missing: every repo definition needs a repo-spec.json"
            + " (name, packagemanager, init, kernel, packages)");
        return spec;
      }
      JsonNode root;
      try {
        root = JSON.readTree(Files.readAllBytes(file));
      } catch (JsonProcessingException e) {
        var at = e.getLocation();
        String where = at == null ? "" : "line " + at.getLineNr() + ", column " + at.getColumnNr() + ": ";
        problem(SPEC_FILE, "", "malformed JSON at " + where + e.getOriginalMessage());
        return spec;
      } catch (IOException e) {
        problem(SPEC_FILE, "", "cannot read: " + e.getMessage());
        return spec;
      }
      if (root == null || root.isMissingNode()) {
        problem(SPEC_FILE, "", "is empty: write the definition's JSON object {\"name\": ...,"
            + " \"packagemanager\": ..., \"init\": ..., \"kernel\": ..., \"packages\": {...}}");
        return spec;
      }
      if (!root.isObject()) {
        problem(SPEC_FILE, "", "expected a JSON object {\"name\": ..., \"packagemanager\": ...}, got "
            + describe(root));
        return spec;
      }
      for (Iterator<String> it = root.fieldNames(); it.hasNext(); ) {
        String field = it.next();
        if (!TOP_LEVEL_FIELDS.contains(field)) {
          problem(SPEC_FILE, field, "unknown field: remove it or correct its spelling (fields are "
              + String.join(", ", TOP_LEVEL_FIELDS) + ")");
        }
      }

      spec.name = requiredString(root, "name", "the definition's name, equal to its directory name");
      if (spec.name != null && !spec.name.equals(dirName)) {
        problem(SPEC_FILE, "name", "\"" + spec.name + "\" does not match the directory name \""
            + dirName + "\": rename one so they are equal");
      }

      spec.packageManager = requiredString(root, "packagemanager", "one of "
          + String.join(", ", RepoSpec.PACKAGE_MANAGERS));
      if (spec.packageManager != null && !RepoSpec.PACKAGE_MANAGERS.contains(spec.packageManager)) {
        problem(SPEC_FILE, "packagemanager", "unknown package manager \"" + spec.packageManager
            + "\": use one of " + String.join(", ", RepoSpec.PACKAGE_MANAGERS));
        spec.packageManager = null;
      }

      spec.init = requiredString(root, "init", "the absolute path of the init, e.g. /bin/init");
      if (spec.init != null && !spec.init.startsWith("/")) {
        problem(SPEC_FILE, "init", "\"" + spec.init + "\" is not an absolute path: give the init's"
            + " path inside the image, e.g. /bin/init or /lib/systemd/systemd");
        spec.init = null;
      }

      spec.kernel = requiredString(root, "kernel",
          "a kernel package name (e.g. linux-esx) or an absolute path to a kernel .rpm");

      readPackages(root, spec);
      readStagingScripts(root, spec);
      return spec;
    }

    private String requiredString(JsonNode root, String field, String expected) {
      JsonNode node = root.get(field);
      if (node == null || node.isNull()) {
        problem(SPEC_FILE, field, "missing required field: add \"" + field + "\": " + expected);
        return null;
      }
      if (!node.isTextual()) {
        problem(SPEC_FILE, field, "expected a string (" + expected + "), got " + describe(node));
        return null;
      }
      if (node.asText().isBlank()) {
        problem(SPEC_FILE, field, "is empty: set it to " + expected);
        return null;
      }
      return node.asText().strip();
    }

    private void readPackages(JsonNode root, SpecFields spec) {
      JsonNode packages = root.get("packages");
      if (packages == null || packages.isNull()) {
        problem(SPEC_FILE, "packages", "missing required field: add \"packages\": {\"base\": \"...\","
            + " \"bootstrap\": \"...\"} (\"appliance\" optional)");
        return;
      }
      if (!packages.isObject()) {
        problem(SPEC_FILE, "packages", "expected an object of package lists, got " + describe(packages));
        return;
      }
      for (Iterator<String> it = packages.fieldNames(); it.hasNext(); ) {
        String key = it.next();
        if (!PACKAGE_LISTS.contains(key)) {
          problem(SPEC_FILE, "packages." + key, "unknown package list: use "
              + String.join(", ", PACKAGE_LISTS));
        }
      }
      for (String key : PACKAGE_LISTS) {
        JsonNode list = packages.get(key);
        String field = "packages." + key;
        if (list == null || list.isNull()) {
          if ("base".equals(key)) {
            problem(SPEC_FILE, field, "missing required field: list the packages every image needs,"
                + " e.g. \"filesystem coreutils kmod\"");
          } else if ("bootstrap".equals(key)) {
            problem(SPEC_FILE, field, "missing required field: list the bootstrap-only packages"
                + " (\"\" for none)");
          }
          continue;
        }
        if (!list.isTextual()) {
          problem(SPEC_FILE, field, "expected a string of space-separated package names, got "
              + describe(list));
          continue;
        }
        if ("base".equals(key) && list.asText().isBlank()) {
          problem(SPEC_FILE, field, "is empty: list the packages every image needs,"
              + " e.g. \"filesystem coreutils kmod\"");
          continue;
        }
        spec.packages.put(key, list.asText().strip());
      }
    }

    private void readStagingScripts(JsonNode root, SpecFields spec) {
      JsonNode scripts = root.get("packages_script_staging");
      if (scripts == null || scripts.isNull()) {
        return;
      }
      if (!scripts.isObject()) {
        problem(SPEC_FILE, "packages_script_staging", "expected an object keyed by target ("
            + String.join(", ", RepoSpec.TARGETS) + "), got " + describe(scripts));
        return;
      }
      for (Iterator<Map.Entry<String, JsonNode>> it = scripts.fields(); it.hasNext(); ) {
        Map.Entry<String, JsonNode> e = it.next();
        String field = "packages_script_staging." + e.getKey();
        if (!RepoSpec.TARGETS.contains(e.getKey())) {
          problem(SPEC_FILE, field, "unknown target: use " + String.join(", ", RepoSpec.TARGETS));
          continue;
        }
        if (!e.getValue().isTextual()) {
          problem(SPEC_FILE, field, "expected a string holding one package-manager command"
              + " (e.g. \"erase toybox\"), got " + describe(e.getValue()));
          continue;
        }
        spec.stagingScripts.put(e.getKey(), e.getValue().asText().strip());
      }
    }

    private void checkKernel(SpecFields spec, String family) {
      if (spec.kernel == null) {
        return;
      }
      if (spec.kernel.startsWith("/")) {
        if ("deb".equals(family)) {
          problem(SPEC_FILE, "kernel", "a kernel file (" + spec.kernel + ") is supported only for rpm"
              + " package managers: name the kernel package instead, e.g. linux-image-cloud-amd64");
        } else if (!spec.kernel.endsWith(".rpm")) {
          problem(SPEC_FILE, "kernel", spec.kernel + " is a path but not a .rpm file: give the"
              + " absolute path of a kernel RPM, or a package name such as linux-esx");
        } else if (!Files.isRegularFile(Path.of(spec.kernel))) {
          problem(SPEC_FILE, "kernel", "kernel RPM " + spec.kernel + " does not exist on this"
              + " machine: copy it there or name the kernel package instead");
        } else {
          // dnf checks no package given as a file (localpkg_gpgcheck cannot work without a key import)
          unsigned(SPEC_FILE, "kernel", SPEC_FILE + " kernel: " + Path.of(spec.kernel).getFileName(),
              spec.kernel + " is installed from its file without a signature check (dnf checks the"
              + " signature of no package given as a file)", "name the kernel package of a signed repository"
              + " instead");
        }
      } else if (spec.kernel.chars().anyMatch(Character::isWhitespace)) {
        problem(SPEC_FILE, "kernel", "\"" + spec.kernel + "\" names more than one package: give"
            + " exactly one kernel package, and put other packages in packages.base");
      }
    }

    /**
     * Every package name of the package lists, of the staging scripts (after their verb) and the kernel
     * (unless it is a file) must be a word no tool can read as an option ({@link RepoSpec#RPM_PACKAGE_WORD},
     * {@link RepoSpec#APT_PACKAGE_WORD}).
     */
    private void checkPackageWords(SpecFields spec, String family) {
      if (family == null) {
        return;
      }
      Pattern word = "deb".equals(family) ? RepoSpec.APT_PACKAGE_WORD : RepoSpec.RPM_PACKAGE_WORD;
      String shape = "deb".equals(family)
          ? "a Debian package name: lower-case letters, digits and + . -, starting with a letter or digit,"
              + " optionally :ARCH or =VERSION"
          : "a package name: letters, digits and . _ + : ~ -, starting with a letter or digit";
      if (spec.kernel != null && !spec.kernel.startsWith("/")
          && !spec.kernel.chars().anyMatch(Character::isWhitespace) && !word.matcher(spec.kernel).matches()) {
        problem(SPEC_FILE, "kernel", notAWord(spec.kernel, shape));
      }
      spec.packages.forEach((list, value) -> checkWords("packages." + list, List.of(value.split("\\s+")), word,
          shape));
      List<String> verbs = "deb".equals(family) ? APT_STAGING_VERBS : RPM_STAGING_VERBS;
      spec.stagingScripts.forEach((target, script) -> {
        List<String> words = script.isBlank() ? List.of() : List.of(script.split("\\s+"));
        if (!words.isEmpty() && !verbs.contains(words.get(0))) {
          return; // refused for its verb already
        }
        checkWords("packages_script_staging." + target, words.isEmpty() ? words : words.subList(1, words.size()),
            word, shape);
      });
    }

    private void checkWords(String field, List<String> words, Pattern word, String shape) {
      for (String name : words) {
        if (!name.isEmpty() && !word.matcher(name).matches()) {
          problem(SPEC_FILE, field, notAWord(name, shape));
        }
      }
    }

    private static String notAWord(String name, String shape) {
      return "\"" + name + "\" is not " + shape + (name.startsWith("-") ? " (a word starting with - would be"
          + " read as an option of the package manager)" : "") + ": correct the name or remove it";
    }

    /**
     * Records a source of packages installed without a signature check: allowed when the operator allowed
     * this definition ({@link LoadOptions#allowsUnsigned}), else a problem naming the file, the field, what
     * is unchecked and both ways out.
     */
    private void unsigned(String file, String field, String entry, String what, String fix) {
      if (opts.allowsUnsigned(dirName)) {
        unsigned.add(entry);
      } else {
        problem(file, field, what + ": " + fix + ", or, to build it unsigned on purpose, have the operator pass"
            + " --allow-unsigned " + dirName + " (config key allow-unsigned on a farm)");
      }
    }

    private void checkStagingScripts(SpecFields spec, String family) {
      if (family == null) {
        return;
      }
      List<String> verbs = "deb".equals(family) ? APT_STAGING_VERBS : RPM_STAGING_VERBS;
      for (Map.Entry<String, String> e : spec.stagingScripts.entrySet()) {
        if (e.getValue().isBlank()) {
          continue;
        }
        String verb = e.getValue().split("\\s+")[0];
        if (!verbs.contains(verb)) {
          problem(SPEC_FILE, "packages_script_staging." + e.getKey(), "\"" + verb + "\" is not a "
              + spec.packageManager + " command bootfarm runs: start the script with one of "
              + String.join(", ", verbs));
        } else if (e.getValue().split("\\s+").length < 2) {
          problem(SPEC_FILE, "packages_script_staging." + e.getKey(), "\"" + e.getValue()
              + "\" names no package: add the packages to " + verb);
        }
      }
    }

    // ---- scripts ----

    private void checkInitScript(Path init) {
      if (!Files.isRegularFile(init)) {
        problem(INIT_SCRIPT, "", "missing: every repo definition needs an init.sh defining the"
            + " install-entropy and install-iptables functions (and a drivers=( ... ) array of the kernel"
            + " modules to load, if any)");
        return;
      }
      String text;
      try {
        text = Files.readString(init, StandardCharsets.UTF_8);
      } catch (IOException e) {
        problem(INIT_SCRIPT, "", "cannot read: " + e.getMessage());
        return;
      }
      if (!DRIVERS_ARRAY.matcher(text).find()) {
        notes.add(new DefinitionProblem(INIT_SCRIPT, "drivers", "no drivers=( ... ) array: the bootstrap"
            + " loads no kernel modules of this repo (only its netfilter set and what the hardware needs)"));
      }
      for (String function : List.of("install-entropy", "install-iptables")) {
        Pattern definition = Pattern.compile("(?m)^\\s*(?:function\\s+" + Pattern.quote(function)
            + "\\b|" + Pattern.quote(function) + "\\s*\\(\\s*\\))");
        if (!definition.matcher(text).find()) {
          problem(INIT_SCRIPT, function, "function not defined: add " + function + " () { ... },"
              + " which copies its binaries and libraries into the directory given as $1 (/.tether)");
        }
      }
      checkSyntax(init, INIT_SCRIPT);
    }

    private Optional<Path> optionalScript(String name) {
      Path script = dir.resolve(name);
      if (!Files.exists(script)) {
        return Optional.empty();
      }
      if (!Files.isRegularFile(script)) {
        problem(name, "", "is not a regular file: make it a bash script or remove it");
        return Optional.empty();
      }
      checkSyntax(script, name);
      return Optional.of(script);
    }

    /**
     * {@code bash -n}: reports syntax errors, silently skipped where there is no bash. Debian's bash with Debian's
     * PATH and nothing else of the caller's environment (no {@code BASH_ENV}), as every tool a worker runs.
     */
    private void checkSyntax(Path script, String name) {
      Process process;
      try {
        ProcessBuilder bash = new ProcessBuilder("/bin/bash", "-n", script.toString())
            .redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        bash.environment().clear();
        bash.environment().put("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        bash.environment().put("LC_ALL", "C.UTF-8");
        process = bash.start();
      } catch (IOException noBash) {
        return;
      }
      try {
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!process.waitFor(30, TimeUnit.SECONDS)) {
          process.destroyForcibly();
          return;
        }
        if (process.exitValue() != 0) {
          String errors = output.lines()
              .map(l -> l.replace(script.toString() + ": ", ""))
              .limit(5)
              .collect(Collectors.joining("; "));
          problem(name, "", "bash syntax error: " + errors + ": fix the script (check with bash -n "
              + name + ")");
        }
      } catch (IOException e) {
        // the syntax check is advisory when bash cannot be driven; the hook run will fail loudly
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    // ---- rpm repositories ----

    private List<Path> rpmRepoFiles(String name) {
      List<Path> repoFiles = listFiles(p -> p.getFileName().toString().endsWith(".repo"));
      if (opts.localRepos()) {
        Path local = dir.resolve(name + ".repo.local");
        if (!Files.isRegularFile(local)) {
          problem(name + ".repo.local", "", "missing: local-repo mode uses " + name + ".repo.local in"
              + " place of the .repo files; add it, or build without local-repo mode");
          return List.of();
        }
        return List.of(local);
      }
      if (repoFiles.isEmpty()) {
        problem("*.repo", "", "no .repo file: an rpm definition needs at least one yum .repo file"
            + " naming its repositories (baseurl, gpgkey, gpgcheck)");
      }
      return repoFiles;
    }

    private List<Path> listFiles(java.util.function.Predicate<Path> filter) {
      try (Stream<Path> list = Files.list(dir)) {
        return list.filter(Files::isRegularFile).filter(filter).sorted().toList();
      } catch (IOException e) {
        problem(dir.toString(), "", "cannot list the directory: " + e.getMessage());
        return List.of();
      }
    }

    private void checkRepoFile(Path repoFile, List<RepoDefinition.ResolvedKey> keys) {
      String fileName = repoFile.getFileName().toString();
      String text;
      try {
        text = Files.readString(repoFile, StandardCharsets.UTF_8);
      } catch (IOException e) {
        problem(fileName, "", "cannot read: " + e.getMessage());
        return;
      }
      YumRepoFile ini = YumRepoFile.parse(text);
      for (YumRepoFile.BadLine bad : ini.badLines()) {
        problem(fileName, "line " + bad.line(), bad.reason() + " (found \"" + bad.text().strip() + "\")");
      }
      if (ini.sections().isEmpty()) {
        problem(fileName, "", "no [repository] section: add one with baseurl, gpgcheck and gpgkey");
      }
      List<String> seen = new ArrayList<>();
      Map<String, List<String>> missingKeys = new LinkedHashMap<>();
      for (YumRepoFile.Section section : ini.sections()) {
        String id = "[" + section.name() + "]";
        if (seen.contains(section.name())) {
          problem(fileName, id, "section defined twice (line " + section.line() + "): give each"
              + " repository its own id");
        }
        seen.add(section.name());
        Map<String, String> values = section.values();
        if (!values.containsKey("baseurl") && !values.containsKey("mirrorlist")
            && !values.containsKey("metalink")) {
          problem(fileName, id + " baseurl", "no baseurl, mirrorlist or metalink: add where the"
              + " repository's packages are");
        }
        for (String urlKey : List.of("baseurl", "mirrorlist", "metalink")) {
          if (values.containsKey(urlKey) && values.get(urlKey).isBlank()) {
            problem(fileName, id + " " + urlKey, "is empty: give the repository's URL");
          }
        }
        String gpgcheck = values.get("gpgcheck");
        if (gpgcheck != null && !gpgcheck.equals("0") && !gpgcheck.equals("1")) {
          problem(fileName, id + " gpgcheck", "\"" + gpgcheck + "\" is not 0 or 1: use 1 to verify"
              + " package signatures");
        } else if (!"1".equals(gpgcheck)) {
          String off = gpgcheck == null ? "no gpgcheck" : "gpgcheck=0";
          unsigned(fileName, id + " gpgcheck", fileName + " " + id + ": " + off, off + ": packages from this"
              + " repository would be installed without a signature check" + (gpgcheck == null
                  ? " (dnf's default is not to check)" : ""), "set gpgcheck=1 and gpgkey=file:///etc/pki/rpm-gpg/<KEY>"
              + " naming the key its packages are signed with");
        }
        String repoGpgcheck = values.get("repo_gpgcheck");
        if (repoGpgcheck != null && !repoGpgcheck.equals("0") && !repoGpgcheck.equals("1")) {
          problem(fileName, id + " repo_gpgcheck", "\"" + repoGpgcheck + "\" is not 0 or 1: use 1 to verify"
              + " the signature of the repository's metadata too, or remove it (package signatures are checked"
              + " either way)");
        }
        String gpgkey = values.getOrDefault("gpgkey", "").strip();
        if ("1".equals(gpgcheck) && gpgkey.isEmpty()) {
          problem(fileName, id + " gpgkey", "gpgcheck=1 but no gpgkey: add"
              + " gpgkey=file:///etc/pki/rpm-gpg/<KEY> naming the key the packages are signed with");
        }
        if (!gpgkey.isEmpty()) {
          for (String reference : gpgkey.split("[\\s,]+")) {
            resolveKey(fileName, id, reference, keys, missingKeys);
          }
        }
      }
      missingKeys.forEach((reference, sections) -> reportMissingKey(fileName, reference, sections));
    }

    private void resolveKey(String fileName, String id, String reference,
        List<RepoDefinition.ResolvedKey> keys, Map<String, List<String>> missingKeys) {
      String field = id + " gpgkey";
      if (!reference.startsWith("file:")) {
        if (!reference.startsWith("https://") && !reference.startsWith("http://")) {
          problem(fileName, field, "\"" + reference + "\" is not a file:///, http:// or https:// URL:"
              + " reference the key as file:///etc/pki/rpm-gpg/<KEY>");
        }
        return;
      }
      String path = reference.replaceFirst("^file:(//)?", "");
      if (!path.startsWith("/")) {
        problem(fileName, field, "\"" + reference + "\" is not an absolute file URL: write it as"
            + " file:///etc/pki/rpm-gpg/<KEY>");
        return;
      }
      String keyName = RepoDefinition.ResolvedKey.fileName(reference);
      if (keyName == null) {
        problem(fileName, field, "\"" + reference + "\" names no file");
        return;
      }
      Path found = findKey(keyName);
      if (found == null) {
        missingKeys.computeIfAbsent(reference, r -> new ArrayList<>()).add(id);
      } else if (keys.stream().noneMatch(k -> k.reference().equals(reference))) {
        keys.add(new RepoDefinition.ResolvedKey(reference, found));
      }
    }

    /** The key file of that name: in the definition directory first, then in the trusted keys. */
    private Path findKey(String keyName) {
      Path inDefinition = dir.resolve(keyName);
      if (Files.isRegularFile(inDefinition)) {
        return inDefinition;
      }
      Path inTrusted = opts.trustedKeysDir().resolve(keyName).toAbsolutePath();
      return Files.isRegularFile(inTrusted) ? inTrusted : null;
    }

    /** One problem per missing key and file, naming the first section and any others using it. */
    private void reportMissingKey(String fileName, String reference, List<String> sections) {
      String keyName = RepoDefinition.ResolvedKey.fileName(reference);
      String others = sections.size() > 1
          ? " (also used by " + String.join(", ", sections.subList(1, sections.size())) + ")" : "";
      problem(fileName, sections.get(0) + " gpgkey", "key " + reference + " not found" + others
          + ": looked for " + keyName + " in the definition directory " + dir + " and in the"
          + " trusted-keys directory " + opts.trustedKeysDir().toAbsolutePath() + "; install the key"
          + " in the trusted-keys directory, or pass --keys DIR (or set " + LoadOptions.KEYS_ENV
          + ") naming a directory that holds it");
    }

    // ---- apt ----

    private Optional<Path> aptSources() {
      for (Path repo : listFiles(p -> p.getFileName().toString().endsWith(".repo")
          || p.getFileName().toString().endsWith(".repo.local"))) {
        problem(repo.getFileName().toString(), "", "yum .repo files are not used by apt"
            + " definitions: remove it (apt uses the worker's own sources, or a sources.list or"
            + " .sources file shipped with the definition)");
      }
      List<Path> sources = listFiles(p -> {
        String n = p.getFileName().toString();
        return n.endsWith(".list") || n.endsWith(".sources");
      });
      if (sources.size() > 1) {
        problem(sources.stream().map(p -> p.getFileName().toString()).collect(Collectors.joining(", ")),
            "", "more than one apt sources file: keep exactly one (or none to use the worker's own"
            + " apt sources)");
        return Optional.empty();
      }
      return sources.stream().findFirst();
    }

    /** The shipped apt sources: an entry that switches apt's signature check off is unsigned. */
    private void checkAptSourcesSigned(Path file) {
      String fileName = file.getFileName().toString();
      AptSources sources;
      try {
        sources = AptSources.read(file);
      } catch (IOException e) {
        problem(fileName, "", "cannot read: " + e.getMessage());
        return;
      }
      for (AptSources.Entry entry : sources.entries()) {
        List<String> insecure = entry.insecureOptions();
        if (entry.enabled() && !insecure.isEmpty()) {
          unsigned(fileName, "line " + entry.line(), fileName + " line " + entry.line() + ": "
              + String.join(" ", insecure), String.join(" and ", insecure) + " switch" + (insecure.size() == 1
              ? "es" : "") + " apt's signature check off for " + String.join(" ", entry.uris()), "remove "
              + (insecure.size() == 1 ? "it" : "them") + " and name the archive's key with signed-by= (Signed-By:"
              + " in a .sources file)");
        }
      }
    }

    private static String describe(JsonNode node) {
      if (node == null || node.isNull()) {
        return "null";
      }
      return switch (node.getNodeType()) {
        case ARRAY -> "an array";
        case OBJECT -> "an object";
        case NUMBER -> "a number";
        case BOOLEAN -> "a boolean";
        case STRING -> "a string";
        default -> node.getNodeType().toString().toLowerCase(java.util.Locale.ROOT);
      };
    }
  }
}
