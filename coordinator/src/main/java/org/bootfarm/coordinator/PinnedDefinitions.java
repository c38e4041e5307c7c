package org.bootfarm.coordinator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import org.bootfarm.coordinator.cas.ArtifactNotFoundException;
import org.bootfarm.coordinator.cas.ArtifactStore;
import org.bootfarm.protocol.Sha256;
import org.bootfarm.protocol.repo.DefinitionArchive;
import org.bootfarm.protocol.repo.RepoDefinitionLoader;

/**
 * The definitions builds are pinned to, kept in the artifact store under their digest (docs/adr/0034): a
 * submission {@link #keep}s the catalogue's archive of the definition it was checked against, and every
 * attempt of the build, on any coordinator, reads exactly those bytes back ({@link #files}), whatever the
 * repos directory holds by then.
 */
public final class PinnedDefinitions {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The stored archive of a pinned definition is gone or damaged: the build cannot run anywhere. */
  public static final class MissingDefinitionException extends IOException {
    MissingDefinitionException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  private final ArtifactStore artifacts;
  /** The package manager of each pinned definition read so far (a definition's bytes never change). */
  private final Map<String, String> packageManagers = new ConcurrentHashMap<>();

  public PinnedDefinitions(ArtifactStore artifacts) {
    this.artifacts = artifacts;
  }

  /**
   * Keeps the catalogue entry's archive under its digest (stored once per digest; a digest already held only
   * has its age restarted, once per admission through {@code touches}, so retention sees it as young until the
   * build naming it is recorded); returns the digest.
   */
  String keep(RepoCatalog.Entry entry, ArtifactTouches touches) throws IOException {
    String digest = entry.digest();
    if (!touches.touch(digest)) {
      artifacts.putOwn(digest, new ByteArrayInputStream(entry.archive()));
      touches.nowHeld(digest);
    }
    return digest;
  }

  /**
   * The pinned definition's files as an assignment carries them (relative path → base64), read from the store
   * and checked against the digest.
   *
   * @throws MissingDefinitionException naming the build, the digest and what to do, when the archive is not in
   *     the store or is not the digest's preimage
   */
  public Map<String, String> files(String buildId, String repo, String digest) throws MissingDefinitionException {
    byte[] archive = read(buildId, repo, digest);
    try {
      return DefinitionArchive.definitionFiles(archive);
    } catch (DefinitionArchive.MalformedArchiveException e) {
      throw unusable(e, buildId, repo, digest);
    }
  }

  /** The package manager of the pinned definition ({@code packagemanager} of its repo-spec.json). */
  public Optional<String> packageManager(String buildId, String repo, String digest) throws MissingDefinitionException {
    String known = packageManagers.get(digest);
    if (known != null) {
      return Optional.of(known);
    }
    byte[] spec = unpack(read(buildId, repo, digest), buildId, repo, digest)
        .get(RepoDefinitionLoader.SPEC_FILE);
    if (spec == null) {
      return Optional.empty();
    }
    try {
      JsonNode manager = JSON.readTree(spec).get("packagemanager");
      if (manager == null || !manager.isTextual()) {
        return Optional.empty();
      }
      packageManagers.put(digest, manager.asText());
      return Optional.of(manager.asText());
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private byte[] read(String buildId, String repo, String digest) throws MissingDefinitionException {
    byte[] archive;
    try (InputStream in = artifacts.open(digest)) {
      archive = in.readAllBytes();
    } catch (ArtifactNotFoundException e) {
      throw new MissingDefinitionException("build " + buildId + " is pinned to definition " + repo + " " + digest
          + ", which the artifact store no longer holds: the build cannot run with the definition it was"
          + " submitted with; submit it again (it then builds " + repo + " as the repos directory holds it now)", e);
    } catch (IOException e) {
      throw new MissingDefinitionException("cannot read definition " + repo + " " + digest + " of build " + buildId
          + " from the artifact store: " + e.getMessage(), e);
    }
    if (!Sha256.of(archive).equals(digest)) {
      throw new MissingDefinitionException("the artifact store's copy of definition " + repo + " " + digest
          + " (build " + buildId + ") hashes to " + Sha256.of(archive) + ": it is damaged and not used; submit the"
          + " build again", null);
    }
    return archive;
  }

  private static Map<String, byte[]> unpack(byte[] archive, String buildId, String repo, String digest)
      throws MissingDefinitionException {
    try {
      return DefinitionArchive.unpack(archive);
    } catch (DefinitionArchive.MalformedArchiveException e) {
      throw unusable(e, buildId, repo, digest);
    }
  }

  private static MissingDefinitionException unusable(IOException e, String buildId, String repo, String digest) {
    return new MissingDefinitionException("definition " + repo + " " + digest + " of build " + buildId
        + " cannot be used: " + e.getMessage(), e);
  }
}
