package org.bootfarm.coordinator.replication;

import java.util.Map;
import java.util.Optional;
import org.bootfarm.cluster.identity.MemberIdentity;
import org.bootfarm.cluster.identity.SignedRecords;

/**
 * The HTTP base URL each coordinator publishes for itself in the cluster map {@link #MAP}, under its node id and
 * sealed with its certificate ({@link SignedRecords}): where the other coordinators copy its artifacts from, with
 * the coordinators' token. It is the only place a coordinator learns another's URL (ADR 0064): a message that asks
 * for a copy names the coordinator to copy from, and is believed only when that coordinator's entry was sealed by
 * the message's own sender; no URL in a message is ever fetched. Reads of the map block (Hazelcast): call them off
 * the event loop.
 */
public final class CoordinatorUrls {
  /** The cluster map of coordinator node ids to their HTTP base URLs, each value sealed by its coordinator. */
  public static final String MAP = "bootfarm.v1.coordinators";

  private final Map<String, String> map;
  private final SignedRecords records;
  private final String nodeId;
  private final String url;

  private CoordinatorUrls(Map<String, String> map, SignedRecords records, String nodeId, String url) {
    this.map = map;
    this.records = records;
    this.nodeId = nodeId;
    this.url = url;
  }

  /**
   * Publishes {@code url} as the coordinator {@code nodeId}'s in {@code map} (the cluster's {@link #MAP}; a map of
   * its own for a coordinator without a cluster), sealed by {@code records}, and reads the others' from there.
   */
  public static CoordinatorUrls publish(Map<String, String> map, SignedRecords records, String nodeId, String url) {
    map.put(nodeId, records.seal(MAP, nodeId, url));
    return new CoordinatorUrls(map, records, nodeId, url);
  }

  /** This coordinator's node id, the key of its entry. */
  public String nodeId() {
    return nodeId;
  }

  /** This coordinator's own HTTP base URL. */
  public String url() {
    return url;
  }

  /** The URL the coordinator {@code nodeId} published, when a coordinator sealed it for that node id. */
  public Optional<String> of(String nodeId) {
    return records.open(MAP, nodeId, map.get(nodeId));
  }

  /**
   * Where to copy from for a message of {@code sender} (its verified certificate; null in a cluster without
   * certificates) that names the coordinator {@code nodeId}: that coordinator's URL, when {@code sender} sealed it. A
   * coordinator of an earlier version names no node id (null) but the URL {@code claimed}: believed only when {@code
   * sender} sealed exactly that URL for itself under some node id. Else empty.
   */
  public Optional<String> sourceFor(MemberIdentity sender, String nodeId, String claimed) {
    if (nodeId != null) {
      return records.openSealed(MAP, nodeId, map.get(nodeId))
          .filter(sealed -> sender == null || sender.equals(sealed.by())).map(SignedRecords.Sealed::payload);
    }
    if (claimed == null) {
      return Optional.empty();
    }
    for (Map.Entry<String, String> entry : Map.copyOf(map).entrySet()) {
      Optional<SignedRecords.Sealed> sealed = records.openSealed(MAP, entry.getKey(), entry.getValue());
      if (sealed.isPresent() && claimed.equals(sealed.get().payload())
          && (sender == null || sender.equals(sealed.get().by()))) {
        return Optional.of(claimed);
      }
    }
    return Optional.empty();
  }

  /** Takes this coordinator's entry out of the map (it is stopping); the cluster may be gone already. */
  public void withdraw() {
    try {
      map.remove(nodeId);
    } catch (RuntimeException e) {
      // the cluster is going away with this process
    }
  }
}
