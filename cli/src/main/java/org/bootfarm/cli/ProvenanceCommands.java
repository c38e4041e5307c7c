package org.bootfarm.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.bootfarm.client.BridgeClient;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.api.v1.SigningKeyInfo;
import org.bootfarm.protocol.api.v1.WireJson;
import org.bootfarm.protocol.provenance.FarmSigningKey;
import org.bootfarm.protocol.provenance.ProvenanceVerifier;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The commands of signed provenance (ADR 0044): {@code bootfarm keys} prints the farm's public keys (a client of
 * the farm), and {@code bootfarm verify-provenance} checks a downloaded file against its {@code
 * provenance.intoto.jsonl} offline, with no farm at all.
 */
final class ProvenanceCommands {
  private ProvenanceCommands() {}

  @Command(name = "keys", mixinStandardHelpOptions = true,
      description = "Print the farm's provenance public keys, current and retired: keyid and PEM, a file for"
          + " verify-provenance --key.")
  static final class Keys extends ClientCommands.ClientCommand {
    @Override
    int run(BridgeClient farm) throws Exception {
      List<SigningKeyInfo> keys = farm.keys();
      if (client.json) {
        printJson(Map.of("keys", keys));
        return 0;
      }
      for (SigningKeyInfo key : keys) {
        System.out.println("# keyid " + key.keyid() + " " + key.algorithm() + " " + key.status());
        System.out.print(key.pem());
      }
      return 0;
    }
  }

  @Command(name = "verify-provenance", mixinStandardHelpOptions = true,
      description = "Verify FILE against the farm's signed provenance, offline: the DSSE signature by one of the"
          + " given keys, the in-toto payload type, FILE's sha256 among the subjects; with --reproduced also the"
          + " pair's signed reproducibility attestation. Exit 0 verified, 1 not verified, 2 bad input.")
  static final class VerifyProvenance implements Callable<Integer> {
    static final int VERIFIED = 0;
    static final int NOT_VERIFIED = 1;
    static final int BAD_INPUT = 2;

    @Parameters(index = "0", paramLabel = "FILE", description = "the downloaded artifact (an ISO, its buildinfo...)")
    Path file;

    @Option(names = "--provenance", paramLabel = "P", required = true,
        description = "the build's provenance.intoto.jsonl")
    Path provenance;

    @Option(names = "--key", paramLabel = "KEY.pub", required = true,
        description = "the farm's public key(s): PEM blocks (bootfarm keys > farm-keys.pub), or the JSON of"
            + " GET /api/v1/keys")
    Path key;

    @Option(names = "--json", description = "print the verified facts as JSON")
    boolean json;

    @Option(names = "--reproduced", description = "also require a signed reproducibility attestation: two workers"
        + " built FILE with the same sha256 (verdict REPRODUCIBLE)")
    boolean reproduced;

    @Option(names = "--attestation", paramLabel = "A", description = "the pair's reproducibility.intoto.jsonl"
        + " (default: that name beside --provenance); with --reproduced")
    Path attestation;

    @Override
    public Integer call() {
      String sha256;
      String envelope;
      String attested = null;
      List<FarmSigningKey> keys;
      if (attestation != null && !reproduced) {
        System.err.println("bootfarm verify-provenance: --attestation is read only with --reproduced: add it");
        return BAD_INPUT;
      }
      Path attestationFile = attestation != null ? attestation
          : provenance.toAbsolutePath().resolveSibling("reproducibility.intoto.jsonl");
      try {
        sha256 = Sha256.of(readable(file, "FILE"));
        envelope = Files.readString(readable(provenance, "--provenance"), StandardCharsets.UTF_8);
        keys = keys(Files.readString(readable(key, "--key"), StandardCharsets.UTF_8));
        if (reproduced) {
          attested = Files.readString(readable(attestationFile, "--attestation"), StandardCharsets.UTF_8);
        }
      } catch (IOException | IllegalArgumentException e) {
        System.err.println("bootfarm verify-provenance: " + e.getMessage());
        return BAD_INPUT;
      }
      ProvenanceVerifier.Verified verified;
      try {
        verified = ProvenanceVerifier.verify(envelope, keys, file.getFileName().toString(), sha256);
      } catch (ProvenanceVerifier.BadInput e) {
        System.err.println("bootfarm verify-provenance: " + provenance + ": " + e.getMessage());
        return BAD_INPUT;
      } catch (ProvenanceVerifier.NotVerified e) {
        System.err.println("bootfarm verify-provenance: NOT VERIFIED: " + e.getMessage());
        return NOT_VERIFIED;
      }
      ProvenanceVerifier.Verified reproducedBy = null;
      if (reproduced) {
        try {
          reproducedBy = ProvenanceVerifier.verifyReproduced(attested, keys, file.getFileName().toString(), sha256);
        } catch (ProvenanceVerifier.BadInput e) {
          System.err.println("bootfarm verify-provenance: " + attestationFile + ": " + e.getMessage());
          return BAD_INPUT;
        } catch (ProvenanceVerifier.NotVerified e) {
          System.err.println("bootfarm verify-provenance: NOT VERIFIED (--reproduced): " + attestationFile + ": "
              + e.getMessage());
          return NOT_VERIFIED;
        }
      }
      Map<String, Object> facts = new LinkedHashMap<>();
      facts.put("verified", true);
      facts.put("file", file.toString());
      facts.put("sha256", sha256);
      facts.put("subject", verified.subject());
      facts.put("keyid", verified.keyid());
      facts.put("build", verified.buildId());
      facts.put("repo", verified.repo());
      facts.put("target", verified.target());
      facts.put("builder", verified.builder());
      facts.put("builderVersion", verified.builderVersion());
      facts.put("startedOn", verified.startedOn());
      facts.put("finishedOn", verified.finishedOn());
      if (reproducedBy != null) {
        facts.put("reproduced", reproducedFacts(reproducedBy));
      }
      if (json) {
        System.out.println(WireJson.write(facts));
      } else {
        System.out.println("verified: " + file + " (sha256 " + sha256 + ") is " + verified.subject() + " of build "
            + verified.buildId());
        System.out.println("  signed by key " + verified.keyid());
        System.out.println("  repo      " + verified.repo() + ", target " + verified.target());
        System.out.println("  builder   " + verified.builder() + " " + verified.builderVersion());
        System.out.println("  started   " + verified.startedOn());
        System.out.println("  finished  " + verified.finishedOn());
        if (reproducedBy != null) {
          System.out.println("reproduced: " + reproducedBy.subject() + " judged REPRODUCIBLE on "
              + reproducedBy.judgedOn() + ", signed by key " + reproducedBy.keyid());
          System.out.println("  side A    build " + reproducedBy.side("sideA", "build") + " on worker "
              + reproducedBy.side("sideA", "worker"));
          System.out.println("  side B    build " + reproducedBy.side("sideB", "build") + " on worker "
              + reproducedBy.side("sideB", "worker") + ", varied " + reproducedBy.statement()
              .at("/predicate/sideB/variation"));
        }
      }
      return VERIFIED;
    }

    private static Map<String, Object> reproducedFacts(ProvenanceVerifier.Verified reproduced) {
      Map<String, Object> facts = new LinkedHashMap<>();
      facts.put("keyid", reproduced.keyid());
      facts.put("subject", reproduced.subject());
      facts.put("judgedOn", reproduced.judgedOn());
      for (String side : List.of("sideA", "sideB")) {
        facts.put(side, Map.of("build", String.valueOf(reproduced.side(side, "build")),
            "worker", String.valueOf(reproduced.side(side, "worker"))));
      }
      return facts;
    }

    private static Path readable(Path path, String what) throws IOException {
      if (!Files.isRegularFile(path) || !Files.isReadable(path)) {
        throw new IOException(what + " " + path + ": no such readable file");
      }
      return path;
    }

    /** The keys of a PEM file, or of the JSON {@code GET /api/v1/keys} answers; at least one. */
    static List<FarmSigningKey> keys(String text) {
      List<FarmSigningKey> keys = new ArrayList<>();
      if (text.stripLeading().startsWith("{")) {
        try {
          for (JsonNode entry : new ObjectMapper().readTree(text).path("keys")) {
            keys.add(FarmSigningKey.fromRaw(Base64.getDecoder().decode(entry.path("publicKey").asText())));
          }
        } catch (IOException e) {
          throw new IllegalArgumentException("--key: not the JSON of GET /api/v1/keys: " + e.getMessage());
        }
      } else {
        keys.addAll(FarmSigningKey.readPem(text));
      }
      if (keys.isEmpty()) {
        throw new IllegalArgumentException("--key holds no public key: give the PEM that 'bootfarm keys' prints"
            + " (-----BEGIN PUBLIC KEY-----), or the JSON of GET /api/v1/keys");
      }
      return keys;
    }
  }
}
