package org.bootfarm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.bootfarm.testkit.Gate;
import org.bootfarm.worker.fixture.FixtureDefinitions;
import org.bootfarm.worker.fixture.FixtureYumRepo;

/** Inputs and readers shared by the CLI build tests: component files, argument lists, manifests. */
final class FixtureBuilds {
  private FixtureBuilds() {}

  /** Writes stand-in tether and unpack components into dir. */
  static Map<String, Path> components(Path dir) throws IOException {
    Files.createDirectories(dir);
    Path tether = dir.resolve("tether");
    Path unpack = dir.resolve("unpack");
    Files.writeString(tether, "#!/bin/sh\necho tether stand-in\n");
    Files.writeString(unpack, "#!/bin/sh\necho unpack stand-in\n");
    Files.setPosixFilePermissions(tether, PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(unpack, PosixFilePermissions.fromString("rwxr-xr-x"));
    return Map.of("tether", tether, "unpack", unpack);
  }

  /**
   * Writes the fixture tdnf definition into {@code repos} under another name (its name field too), with
   * lines appended to its base.sh; {@code scratch} holds the first copy.
   */
  static Path writeTdnfDefinitionAs(org.bootfarm.worker.fixture.FixtureYumRepo repo, Path scratch, Path repos,
      String name, String appendToBaseSh) throws IOException {
    Path first = Files.createDirectories(scratch.resolve(name));
    Path target = Files.move(org.bootfarm.worker.fixture.FixtureDefinitions.write(first,
        org.bootfarm.worker.fixture.FixtureDefinitions.TDNF, repo), repos.resolve(name));
    Path spec = target.resolve("repo-spec.json");
    Files.writeString(spec, Files.readString(spec).replace(
        "\"name\": \"" + org.bootfarm.worker.fixture.FixtureDefinitions.TDNF + "\"", "\"name\": \"" + name + "\""));
    if (!appendToBaseSh.isEmpty()) {
      Files.writeString(target.resolve("base.sh"), appendToBaseSh, java.nio.file.StandardOpenOption.APPEND);
    }
    return target;
  }

  /** The arguments of a {@code bootfarm build --json} of a definition. */
  static List<String> buildArgs(Path definition, Map<String, Path> components, Path out, Path cache, Path keys) {
    List<String> args = new ArrayList<>(List.of("build", definition.toString(), "--json",
        "--out", out.toString(), "--cache-dir", cache.toString(), "--keys", keys.toString()));
    components.forEach((name, file) -> {
      args.add("--component");
      args.add(name + "=" + file);
    });
    return args;
  }

  /** Copies a directory tree (files and directories) to {@code to}. */
  static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> walk = Files.walk(from)) {
      for (Path p : walk.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }

  /**
   * Writes a build's inputs into {@code inputs} as {@code bootfarm fetch --inputs} lays them out: the definition, the
   * components, and each file the build's {@code inputFiles} (sha256 → path) name under its own name, in
   * {@code keys/} when its sha256 is one of {@code keys}, else in {@code packages/}.
   */
  static void writeInputs(Path inputs, Path definition, Map<String, Path> components, JsonNode inputFiles,
      java.util.Set<String> keys) throws IOException {
    copyTree(definition, inputs.resolve("definition"));
    Files.createDirectories(inputs.resolve("components"));
    for (Map.Entry<String, Path> c : components.entrySet()) {
      Files.copy(c.getValue(), inputs.resolve("components").resolve(c.getKey()));
    }
    Files.createDirectories(inputs.resolve("packages"));
    for (java.util.Iterator<Map.Entry<String, JsonNode>> it = inputFiles.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> input = it.next();
      Path file = Path.of(input.getValue().asText());
      Path into = Files.createDirectories(inputs.resolve(keys.contains(input.getKey()) ? "keys" : "packages"));
      Files.copy(file, into.resolve(file.getFileName()));
    }
  }

  /** A JSON file a build wrote (buildinfo.json). */
  static JsonNode json(Path file) throws IOException {
    return new ObjectMapper().readTree(file.toFile());
  }

  /** manifest.json as image:path → entry. */
  static Map<String, JsonNode> manifest(Path out) throws IOException {
    JsonNode root = new ObjectMapper().readTree(out.resolve("manifest.json").toFile());
    JsonNode entries = root.isArray() ? root : root.get("entries");
    Map<String, JsonNode> byPath = new TreeMap<>();
    for (JsonNode entry : entries) {
      byPath.put(entry.get("image").asText() + ":" + entry.get("path").asText(), entry);
    }
    return byPath;
  }

  /**
   * Writes the fixture tdnf definition into {@code repos} under another name (its spec's name follows
   * the directory's), with {@code appendToBaseSh} appended to its base.sh (a line that breaks or varies the build;
   * reliably caught running); {@code scratch} holds the copy first.
   */
  static Path writeTdnfDefinition(Path scratch, Path repos, FixtureYumRepo repo, String name, String appendToBaseSh)
      throws IOException {
    Path written = FixtureDefinitions.write(Files.createDirectories(scratch.resolve(name)), FixtureDefinitions.TDNF,
        repo);
    Path target = Files.move(written, repos.resolve(name));
    Path spec = target.resolve("repo-spec.json");
    Files.writeString(spec, Files.readString(spec).replace("\"name\": \"" + FixtureDefinitions.TDNF + "\"",
        "\"name\": \"" + name + "\""));
    if (!appendToBaseSh.isEmpty()) {
      Files.writeString(target.resolve("base.sh"), appendToBaseSh, StandardOpenOption.APPEND);
    }
    return target;
  }

  /**
   * Makes the definition's staging.sh (a hook every build runs: base may come from the stage cache) wait at
   * {@code gate} until the test lets it go on, so that a build is caught running for as long as the test needs.
   */
  static void gateInStaging(Path definition, Gate gate) throws IOException {
    Path staging = Files.writeString(definition.resolve("staging.sh"), "#!/bin/bash\n" + gate.hookLines());
    Files.setPosixFilePermissions(staging, PosixFilePermissions.fromString("rwxr-xr-x"));
  }

  /** Every regular file under dir, recursively. */
  static List<Path> files(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return List.of();
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      return walk.filter(Files::isRegularFile).sorted().toList();
    }
  }
}
